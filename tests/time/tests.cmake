# The time functions (clock_gettime, gettimeofday, time, clock_getres,
# getcpu) of every shipped image against the running kernel's vDSO, and the
# loader's emulation of the time data (docs/conformance.md, "Time").
set(time_test_dir "${CMAKE_CURRENT_LIST_DIR}")

add_library(vdsoforge_time_test_support STATIC "${time_test_dir}/time_images.cpp")
target_include_directories(vdsoforge_time_test_support PUBLIC "${time_test_dir}")
target_link_libraries(vdsoforge_time_test_support PUBLIC vdsoforge_test_support)
target_compile_options(vdsoforge_time_test_support PRIVATE ${VDSOFORGE_WARNINGS})

foreach(program clocks clock_modes torn_read)
  vdsoforge_add_test(time_${program} NEEDS_IMAGE
    SOURCES "${time_test_dir}/test_${program}.cpp" LIBS vdsoforge_time_test_support)
endforeach()
