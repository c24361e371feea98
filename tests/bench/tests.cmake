# Benchmarks: built with the project and run by scripts/bench.sh (tables,
# CSV, JSON, plot) or by hand; CTest runs only a short check of the report's
# arithmetic.  Every comparison is measured side by side in one run.
if(VDSOFORGE_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
  find_package(OpenSSL REQUIRED)
  add_executable(bench_getrandom bench/bench_getrandom.cpp)
  target_link_libraries(bench_getrandom PRIVATE vdsoforge::loader vdsoforge_image_host
                                                benchmark::benchmark PkgConfig::VDSOFORGE_SODIUM OpenSSL::Crypto
                                                vdsoforge_test_support)
  target_compile_options(bench_getrandom PRIVATE ${VDSOFORGE_WARNINGS})
  add_dependencies(bench_getrandom vdsoforge-getrandom)

  # The one test here: scripts/bench_report.py's throughput and time per
  # call against Google Benchmark's own bytes_per_second, on a short real run.
  set(bench_report_test "bench_report: throughput and time per call agree with Google Benchmark's bytes_per_second")
  add_test(NAME "${bench_report_test}"
           COMMAND python3 "${CMAKE_CURRENT_LIST_DIR}/test_bench_report.py"
                   "$<TARGET_FILE:bench_getrandom>" "${PROJECT_SOURCE_DIR}/scripts/bench_report.py")
  set_tests_properties("${bench_report_test}" PROPERTIES SKIP_RETURN_CODE 77)

  # The time functions, image beside the kernel vDSO (a table of its own).
  add_executable(bench_time bench/bench_time.cpp)
  target_link_libraries(bench_time PRIVATE vdsoforge::loader vdsoforge_test_support)
  target_compile_options(bench_time PRIVATE ${VDSOFORGE_WARNINGS})
  add_dependencies(bench_time vdsoforge-getrandom)
endif()
