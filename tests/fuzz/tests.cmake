# libFuzzer target for the ELF parser, run for a bounded time on every test
# run.  Built only with VDSOFORGE_BUILD_FUZZERS and a compiler that links
# -fsanitize=fuzzer (Clang with libclang-rt).  It links a variant of the ELF
# layer library compiled with the fuzzer's coverage instrumentation.
if(NOT VDSOFORGE_BUILD_FUZZERS)
  return()
endif()

include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer,address,undefined")
set(CMAKE_REQUIRED_LINK_OPTIONS "-fsanitize=fuzzer,address,undefined")
check_cxx_source_compiles([[
  #include <cstddef>
  #include <cstdint>
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }
]] VDSOFORGE_HAVE_LIBFUZZER)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(NOT VDSOFORGE_HAVE_LIBFUZZER)
  message(STATUS "vdsoforge: the compiler cannot link -fsanitize=fuzzer; fuzzers not built")
  return()
endif()

# The ELF layer again, built with the fuzzer's coverage instrumentation.
vdsoforge_add_elf_library(vdsoforge_elf_fuzzing COMPILE_OPTIONS
  -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  -g -O1)
add_executable(fuzz_elf_image fuzz/fuzz_elf_image.cpp)
target_link_libraries(fuzz_elf_image PRIVATE vdsoforge_elf_fuzzing)
target_compile_options(fuzz_elf_image PRIVATE ${VDSOFORGE_WARNINGS}
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1)
target_link_options(fuzz_elf_image PRIVATE -fsanitize=fuzzer,address,undefined)

add_executable(fuzz_seed_corpus fuzz/seed_corpus.cpp)
target_link_libraries(fuzz_seed_corpus PRIVATE vdsoforge::loader)
target_compile_options(fuzz_seed_corpus PRIVATE ${VDSOFORGE_WARNINGS})
add_dependencies(fuzz_seed_corpus vdsoforge-getrandom)

# The corpus lives in the build tree and grows from run to run; the seeds
# (built image, its debug twin, the live kernel vDSO, the real 6.12 kernels'
# vDSOs of tests/kernel/fixtures) are rewritten each run.
set(fuzz_corpus "${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus/elf_image")
add_test(NAME fuzz_elf_image_seed
  COMMAND fuzz_seed_corpus "${fuzz_corpus}"
          "${PROJECT_BINARY_DIR}/vdso_src/vdsoforge-getrandom.so"
          "${PROJECT_BINARY_DIR}/vdso_src/vdsoforge-getrandom.so.dbg"
          "${PROJECT_SOURCE_DIR}/tests/kernel/fixtures/linux-6.12.118+deb12-amd64.vdso"
          "${PROJECT_SOURCE_DIR}/tests/kernel/fixtures/linux-6.12.118-tinyconfig-clang14.vdso")
set_tests_properties(fuzz_elf_image_seed PROPERTIES FIXTURES_SETUP fuzz_elf_corpus)
add_test(NAME fuzz_elf_image
  COMMAND fuzz_elf_image -max_total_time=20 -rss_limit_mb=1024 -timeout=10 -max_len=16384
          -print_final_stats=1 "${fuzz_corpus}")
set_tests_properties(fuzz_elf_image PROPERTIES FIXTURES_REQUIRED fuzz_elf_corpus TIMEOUT 120)
