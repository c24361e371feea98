# Tests of the ELF parser, symbol look-up, malformed input and the image build's
# check (the check command's own tests are in tests/tools), and of the analysis
# layer's data-layout detection (analysis_layout_detect) and time-data layout
# detection (analysis_time_layout_detect).
vdsoforge_add_test(elf_parse
  SOURCES elf/test_parse.cpp
  LIBS vdsoforge::loader NEEDS_IMAGE)
vdsoforge_add_test(elf_lookup
  SOURCES elf/test_lookup.cpp
  LIBS vdsoforge::loader NEEDS_IMAGE)
vdsoforge_add_test(analysis_layout_detect
  SOURCES elf/test_layout_detect.cpp
  LIBS vdsoforge::loader NEEDS_IMAGE)
vdsoforge_add_test(analysis_time_layout_detect
  SOURCES elf/test_time_layout_detect.cpp
  LIBS vdsoforge::loader NEEDS_IMAGE)
vdsoforge_add_test(elf_malformed
  SOURCES elf/test_malformed.cpp
  LIBS vdsoforge::loader NEEDS_IMAGE)

# The image build itself: vdsoforge_add_image() must fail, naming the culprit,
# for an image that breaks a rule, and succeed for a well-formed one.
set(image_build_check_dir "${CMAKE_CURRENT_BINARY_DIR}/image_build_check")
foreach(case IN ITEMS "good" "writable_data|check: section .data present"
                      "extra_export|check: exported symbol __vdso_extra not in --exports"
                      "stack_user|check: stackless uses_the_stack"
                      "stack_protected|__stack_chk_fail")
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 image)
  set(expect "")
  if(case MATCHES "\\|")
    list(GET parts 1 culprit)
    set(expect "-DEXPECT=${culprit}")
  endif()
  add_test(NAME "image_build_check: ${image}"
    COMMAND "${CMAKE_COMMAND}" -DTOOL=$<TARGET_FILE:vdsoforge> -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
            -DWORK_DIR=${image_build_check_dir} -DTARGET=${image} ${expect}
            -P "${CMAKE_CURRENT_SOURCE_DIR}/elf/build_check.cmake")
endforeach()
