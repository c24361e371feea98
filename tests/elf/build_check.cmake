# cmake -DTOOL=... -DSOURCE_DIR=... -DWORK_DIR=... -DTARGET=... [-DEXPECT=<text>] -P build_check.cmake
#
# Builds one image of tests/elf/bad_images with the project's image builder.
# Without EXPECT the build must succeed; with EXPECT it must fail and its
# output must contain EXPECT (the culprit the check names).
foreach(var TOOL SOURCE_DIR WORK_DIR TARGET)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_check.cmake: -D${var}=... is required")
  endif()
endforeach()

set(binary_dir "${WORK_DIR}/${TARGET}")
file(REMOVE_RECURSE "${binary_dir}")
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/elf/bad_images" -B "${binary_dir}" -G Ninja
          -DCMAKE_CXX_COMPILER=clang++ -DVDSOFORGE_TOOL=${TOOL} -DVDSOFORGE_SOURCE_DIR=${SOURCE_DIR}
  RESULT_VARIABLE configure_result OUTPUT_VARIABLE configure_output ERROR_VARIABLE configure_output)
if(NOT configure_result EQUAL 0)
  message(FATAL_ERROR "configuring the bad images failed:\n${configure_output}")
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" --build "${binary_dir}" --target ${TARGET}
  RESULT_VARIABLE build_result OUTPUT_VARIABLE build_output ERROR_VARIABLE build_output)
message("${build_output}")

if(NOT DEFINED EXPECT)
  if(NOT build_result EQUAL 0)
    message(FATAL_ERROR "image ${TARGET} should have built")
  endif()
  if(NOT EXISTS "${binary_dir}/${TARGET}.so")
    message(FATAL_ERROR "image ${TARGET} built but ${TARGET}.so is missing")
  endif()
  return()
endif()
if(build_result EQUAL 0)
  message(FATAL_ERROR "image ${TARGET} should have failed the check, but it built")
endif()
if(EXISTS "${binary_dir}/${TARGET}.so")
  message(FATAL_ERROR "image ${TARGET} failed the check but ${TARGET}.so was still produced")
endif()
string(FIND "${build_output}" "${EXPECT}" found)
if(found EQUAL -1)
  message(FATAL_ERROR "the failed build of ${TARGET} does not name the culprit '${EXPECT}'")
endif()
file(REMOVE_RECURSE "${binary_dir}")
