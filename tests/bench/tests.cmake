# Benchmarks (not tests): built with the project, never run by CTest; run by
# scripts/bench.sh (tables, CSV, JSON, plot) or by hand.  Every comparison is
# measured side by side in one run.
if(VDSOFORGE_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
  find_package(OpenSSL REQUIRED)
  add_executable(bench_getrandom bench/bench_getrandom.cpp)
  target_link_libraries(bench_getrandom PRIVATE vdsoforge::loader vdsoforge_image_host
                                                benchmark::benchmark PkgConfig::VDSOFORGE_SODIUM OpenSSL::Crypto
                                                vdsoforge_test_support)
  target_compile_options(bench_getrandom PRIVATE ${VDSOFORGE_WARNINGS})
  add_dependencies(bench_getrandom vdsoforge-getrandom)

  # The time functions, image beside the kernel vDSO (a table of its own).
  add_executable(bench_time bench/bench_time.cpp)
  target_link_libraries(bench_time PRIVATE vdsoforge::loader vdsoforge_test_support)
  target_compile_options(bench_time PRIVATE ${VDSOFORGE_WARNINGS})
  add_dependencies(bench_time vdsoforge-getrandom)
endif()
