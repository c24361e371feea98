# Conformance: the image against the live kernel vDSO and an independent
# reference model (docs/conformance.md lists what each test pins down).

set(conformance_dir "${CMAKE_CURRENT_LIST_DIR}")

add_library(vdsoforge_conformance_support STATIC
  "${conformance_dir}/reference_chacha20.cpp"
  "${conformance_dir}/reference_model.cpp"
  "${conformance_dir}/call_outcome.cpp"
  "${conformance_dir}/differential.cpp"
  "${conformance_dir}/getrandom_interceptor.cpp"
  "${conformance_dir}/trapped_run.cpp")
target_include_directories(vdsoforge_conformance_support PUBLIC
  "${conformance_dir}" "${PROJECT_SOURCE_DIR}/vdso_src")
target_compile_options(vdsoforge_conformance_support PRIVATE ${VDSOFORGE_WARNINGS})

vdsoforge_add_test(conformance_model
  SOURCES "${conformance_dir}/test_model.cpp"
  LIBS vdsoforge_conformance_support vdsoforge_image_host PkgConfig::VDSOFORGE_SODIUM)

# The mid-call generation change, shared by the tests that emulate a page.
add_library(vdsoforge_conformance_mid_call STATIC "${conformance_dir}/mid_call.cpp")
target_link_libraries(vdsoforge_conformance_mid_call PUBLIC
  vdsoforge_conformance_support vdsoforge::loader)
target_compile_options(vdsoforge_conformance_mid_call PRIVATE ${VDSOFORGE_WARNINGS})

set(conformance_loader_libs vdsoforge_conformance_support vdsoforge::loader)
vdsoforge_add_test(conformance_model_vs_kernel
  SOURCES "${conformance_dir}/test_model_vs_kernel.cpp" LIBS ${conformance_loader_libs})
foreach(program byte_identical paths generation max_rw forward_secrecy fork threads signals
                dropped_memory stack_hygiene kernel_emulated profiles)
  set(label "")
  if(program MATCHES "^(generation|threads)$")
    set(label threads)  # concurrent callers, a generation changed under them
  endif()
  vdsoforge_add_test(conformance_${program} NEEDS_IMAGE LABEL ${label}
    SOURCES "${conformance_dir}/test_${program}.cpp" LIBS ${conformance_loader_libs})
endforeach()
target_link_libraries(conformance_kernel_emulated PRIVATE vdsoforge_conformance_mid_call)
target_link_libraries(conformance_profiles PRIVATE vdsoforge_conformance_mid_call)

# Every ChaCha20 routine of the image must be indistinguishable too: the
# programs whose comparisons exercise the block routine run once more per
# routine, with the loader told to patch in that routine (a routine the CPU
# lacks makes its programs SKIP).  The unsuffixed programs run the loader's
# own choice.
# The mid-call generation test traps the image's stores page by page and
# relies on the 16-byte stores of the SSE2 routine (docs/conformance.md); the
# retry logic it checks does not depend on the routine.
target_compile_definitions(conformance_generation PRIVATE VDSOFORGE_CONFORMANCE_ROUTINE="sse2")
foreach(routine sse2 avx2 avx512)
  foreach(program byte_identical paths forward_secrecy stack_hygiene)
    vdsoforge_add_test(conformance_${program}_${routine} NEEDS_IMAGE
      SOURCES "${conformance_dir}/test_${program}.cpp" LIBS ${conformance_loader_libs})
    target_compile_definitions(conformance_${program}_${routine} PRIVATE
      VDSOFORGE_CONFORMANCE_ROUTINE="${routine}")
  endforeach()
endforeach()

find_package(zydis REQUIRED)
add_library(vdsoforge_conformance_mutants STATIC "${conformance_dir}/image_mutants.cpp")
target_link_libraries(vdsoforge_conformance_mutants PUBLIC vdsoforge::loader Zydis::Zydis)
target_compile_options(vdsoforge_conformance_mutants PRIVATE ${VDSOFORGE_WARNINGS})
vdsoforge_add_test(conformance_broken_image NEEDS_IMAGE
  SOURCES "${conformance_dir}/test_broken_image.cpp"
  LIBS ${conformance_loader_libs} vdsoforge_conformance_mutants)
