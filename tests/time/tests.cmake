# The time functions (clock_gettime, gettimeofday, time, clock_getres,
# getcpu) of every shipped image against the running kernel's vDSO, and the
# loader's emulation of the time data (docs/conformance.md, "Time").
set(time_test_dir "${CMAKE_CURRENT_LIST_DIR}")

add_library(vdsoforge_time_test_support STATIC "${time_test_dir}/time_images.cpp")
target_include_directories(vdsoforge_time_test_support PUBLIC "${time_test_dir}")
target_link_libraries(vdsoforge_time_test_support PUBLIC vdsoforge_test_support)
target_compile_options(vdsoforge_time_test_support PRIVATE ${VDSOFORGE_WARNINGS})

foreach(program clocks clock_modes)
  vdsoforge_add_test(time_${program} NEEDS_IMAGE
    SOURCES "${time_test_dir}/test_${program}.cpp" LIBS vdsoforge_time_test_support)
endforeach()
# A writer thread rewrites the time data while readers call the image.
vdsoforge_add_test(time_torn_read NEEDS_IMAGE LABEL threads
  SOURCES "${time_test_dir}/test_torn_read.cpp" LIBS vdsoforge_time_test_support)
# A scripted schedule applied by the loader's worker thread while a reader
# thread (its clock system calls refused) watches each step.
vdsoforge_add_test(time_schedule NEEDS_IMAGE LABEL threads
  SOURCES "${time_test_dir}/test_schedule.cpp" LIBS vdsoforge_time_test_support)
include("${CMAKE_CURRENT_LIST_DIR}/kernel_selftests.cmake")

# Real consumers under `vdsoforge exec`, clock system calls forbidden.
add_executable(time_forbid_clock_syscalls "${time_test_dir}/probes/forbid_clock_syscalls.c")
target_compile_options(time_forbid_clock_syscalls PRIVATE -Wall -Wextra -Werror)
add_executable(time_clock_probe "${time_test_dir}/probes/clock_probe.c")
target_compile_options(time_clock_probe PRIVATE -Wall -Wextra -Werror)
# Ordinary programs under a clock-syscall ban: a sanitizer runtime reads the
# clock by raw system call (the ban would kill it), so no preset instruments them.
foreach(probe time_forbid_clock_syscalls time_clock_probe)
  target_compile_options(${probe} PRIVATE -fno-sanitize=all)
  target_link_options(${probe} PRIVATE -fno-sanitize=all)
endforeach()
set(time_go_probe "${CMAKE_CURRENT_BINARY_DIR}/time_go_clock_probe")
if(EXISTS "${VDSOFORGE_CONSUMER_ROOT}/usr/lib/go-1.24/bin/go")
  add_custom_command(OUTPUT "${time_go_probe}"
    COMMAND "${PROJECT_SOURCE_DIR}/tests/exec/build_go_probe.sh" "${VDSOFORGE_CONSUMER_ROOT}"
            "${time_test_dir}/probes/go" "${time_go_probe}" "${VDSOFORGE_CONSUMER_ROOT}/../gocache"
    DEPENDS "${time_test_dir}/probes/go/main.go" "${PROJECT_SOURCE_DIR}/tests/exec/build_go_probe.sh"
    COMMENT "Building the Go 1.24 clock probe")
  add_custom_target(time_go_clock_probe_build ALL DEPENDS "${time_go_probe}")
endif()
vdsoforge_add_test(time_consumers NEEDS_IMAGE LABEL consumers SOURCES "${time_test_dir}/test_consumers.cpp"
  LIBS vdsoforge_time_test_support)
add_dependencies(time_consumers time_forbid_clock_syscalls time_clock_probe)
if(TARGET time_go_clock_probe_build)
  add_dependencies(time_consumers time_go_clock_probe_build)
endif()
target_compile_definitions(time_consumers PRIVATE
  VDSOFORGE_CONSUMER_ROOT="${VDSOFORGE_CONSUMER_ROOT}"
  VDSOFORGE_TIME_GO_PROBE="${time_go_probe}"
  VDSOFORGE_TIME_CLOCK_PROBE="$<TARGET_FILE:time_clock_probe>"
  VDSOFORGE_TIME_FORBID_CLOCK_SYSCALLS="$<TARGET_FILE:time_forbid_clock_syscalls>")

# `ctl` changing a program's clocks under `exec`, live.
vdsoforge_add_test(time_exec_clock_control NEEDS_IMAGE
  SOURCES "${time_test_dir}/test_exec_clock_control.cpp" LIBS vdsoforge_exec)
add_dependencies(time_exec_clock_control time_forbid_clock_syscalls time_clock_probe vdsoforge)
target_compile_definitions(time_exec_clock_control PRIVATE
  VDSOFORGE_TIME_CLOCK_PROBE="$<TARGET_FILE:time_clock_probe>"
  VDSOFORGE_TIME_FORBID_CLOCK_SYSCALLS="$<TARGET_FILE:time_forbid_clock_syscalls>")

# The image's time algorithm compiled for the host over data areas built in
# the test: each kernel generation's shape (vdso_src/host_time.h).
vdsoforge_add_test(time_layouts SOURCES "${time_test_dir}/test_time_layouts.cpp"
  LIBS vdsoforge_image_host)

# The clock conformance cases again inside a real time namespace: following
# the kernel there must mirror the namespace's offsets too (docs/loader.md).
add_test(NAME "time_clocks_in_time_namespace"
         COMMAND "${time_test_dir}/in_time_namespace.sh" $<TARGET_FILE:time_clocks>)
set_tests_properties("time_clocks_in_time_namespace" PROPERTIES SKIP_RETURN_CODE 77)
