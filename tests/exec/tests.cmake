# `vdsoforge exec` with real getrandom consumers from Debian 13 (glibc 2.41,
# Go 1.24; scripts/fetch-consumers.sh puts them in VDSOFORGE_CONSUMER_ROOT),
# and the life of traced processes.  Without the consumers the consumer
# tests print SKIP and exit 77; scripts/test.sh always fetches them.
set(exec_test_dir "${CMAKE_CURRENT_LIST_DIR}")
set(VDSOFORGE_CONSUMER_ROOT "${PROJECT_SOURCE_DIR}/build/consumers/root" CACHE PATH
    "Debian 13 packages unpacked by scripts/fetch-consumers.sh")
find_package(nlohmann_json 3 REQUIRED)

# The C probe, built against this machine's headers; the tests run it with
# Debian 13's dynamic loader and libc.
add_executable(exec_glibc_probe "${exec_test_dir}/probes/glibc_probe.c")
target_compile_options(exec_glibc_probe PRIVATE -Wall -Wextra -Werror)
target_link_libraries(exec_glibc_probe PRIVATE Threads::Threads)

# A small C program reporting what it was given (auxv, mappings), for the
# process-life tests.
add_executable(exec_vdso_probe "${exec_test_dir}/probes/vdso_probe.c")
target_compile_options(exec_vdso_probe PRIVATE -Wall -Wextra -Werror)

# The Go probe, built offline with the fetched Go 1.24 at build time.
set(exec_go_probe "${CMAKE_CURRENT_BINARY_DIR}/exec_go_probe")
if(EXISTS "${VDSOFORGE_CONSUMER_ROOT}/usr/lib/go-1.24/bin/go")
  add_custom_command(OUTPUT "${exec_go_probe}"
    COMMAND "${exec_test_dir}/build_go_probe.sh" "${VDSOFORGE_CONSUMER_ROOT}"
            "${exec_test_dir}/probes/go" "${exec_go_probe}" "${VDSOFORGE_CONSUMER_ROOT}/../gocache"
    DEPENDS "${exec_test_dir}/probes/go/main.go" "${exec_test_dir}/probes/go/churn.go"
            "${exec_test_dir}/probes/go/locked.go"
            "${exec_test_dir}/build_go_probe.sh"
    COMMENT "Building the Go 1.24 probe")
  add_custom_target(exec_go_probe_build ALL DEPENDS "${exec_go_probe}")
endif()

# An image exporting no getrandom: the control run.
vdsoforge_add_image(vdsoforge-exec-control SOURCES "${exec_test_dir}/control_image.cpp"
  EXPORTS __vdso_getcpu getcpu)

add_library(vdsoforge_exec_harness STATIC
  "${exec_test_dir}/exec_harness.cpp" "${exec_test_dir}/test_images.cpp")
target_include_directories(vdsoforge_exec_harness PUBLIC
  "${exec_test_dir}" "${PROJECT_SOURCE_DIR}/tests/tools")
target_link_libraries(vdsoforge_exec_harness PUBLIC nlohmann_json::nlohmann_json Catch2::Catch2 vdsoforge::loader
                                                    vdsoforge_test_support)
target_compile_options(vdsoforge_exec_harness PRIVATE ${VDSOFORGE_WARNINGS})
target_compile_definitions(vdsoforge_exec_harness PUBLIC
  VDSOFORGE_CONSUMER_ROOT="${VDSOFORGE_CONSUMER_ROOT}"
  VDSOFORGE_GO_PROBE="${exec_go_probe}"
  VDSOFORGE_GLIBC_PROBE="$<TARGET_FILE:exec_glibc_probe>"
  VDSOFORGE_VDSO_PROBE="$<TARGET_FILE:exec_vdso_probe>"
  VDSOFORGE_EXEC_CONTROL_IMAGE="${CMAKE_CURRENT_BINARY_DIR}/vdsoforge-exec-control.so")

foreach(consumer glibc go)
  vdsoforge_add_test(exec_${consumer} NEEDS_IMAGE LABEL consumers
    SOURCES "${exec_test_dir}/test_consumers.cpp" LIBS vdsoforge_exec_harness)
  add_dependencies(exec_${consumer} exec_glibc_probe vdsoforge-exec-control)
endforeach()
target_compile_definitions(exec_go PRIVATE VDSOFORGE_EXEC_CONSUMER_GO=1)
if(TARGET exec_go_probe_build)
  add_dependencies(exec_go exec_go_probe_build)
endif()

vdsoforge_add_test(exec_broken_images NEEDS_IMAGE LABEL consumers
  SOURCES "${exec_test_dir}/test_mutants.cpp"
  LIBS vdsoforge_exec_harness vdsoforge_conformance_mutants)
add_dependencies(exec_broken_images exec_glibc_probe)

vdsoforge_add_test(exec_process NEEDS_IMAGE CASE_LABEL consumers
  SOURCES "${exec_test_dir}/test_process.cpp" LIBS vdsoforge_exec_harness)
# A program that spends its life in failing execve calls: signals sent
# to exec while exec holds one of them must still reach it.
add_executable(exec_failing_execve_loop "${exec_test_dir}/probes/failing_execve_loop.c")
target_compile_options(exec_failing_execve_loop PRIVATE -Wall -Wextra -Werror)
# A program that makes itself non-dumpable before it execs: an execve exec
# cannot attach to when it lacks CAP_SYS_PTRACE.
add_executable(exec_undumpable_exec "${exec_test_dir}/probes/undumpable_exec.c")
target_compile_options(exec_undumpable_exec PRIVATE -Wall -Wextra -Werror)
# A program that copies another into a memfd and execs it from there.
add_executable(exec_memfd_exec "${exec_test_dir}/probes/memfd_exec.c")
target_compile_options(exec_memfd_exec PRIVATE -Wall -Wextra -Werror)
# A program that execs from a thread other than its first.
add_executable(exec_thread_exec "${exec_test_dir}/probes/thread_exec.c")
target_compile_options(exec_thread_exec PRIVATE -Wall -Wextra -Werror)
target_link_libraries(exec_thread_exec PRIVATE Threads::Threads)
add_dependencies(exec_process exec_glibc_probe exec_vdso_probe vdsoforge-exec-control
                 exec_failing_execve_loop exec_undumpable_exec exec_thread_exec exec_memfd_exec)
target_compile_definitions(exec_process PRIVATE
  VDSOFORGE_FAILING_EXECVE_LOOP="$<TARGET_FILE:exec_failing_execve_loop>"
  VDSOFORGE_UNDUMPABLE_EXEC="$<TARGET_FILE:exec_undumpable_exec>"
  VDSOFORGE_THREAD_EXEC="$<TARGET_FILE:exec_thread_exec>"
  VDSOFORGE_MEMFD_EXEC="$<TARGET_FILE:exec_memfd_exec>")
if(TARGET exec_go_probe_build)
  add_dependencies(exec_process exec_go_probe_build)
endif()
target_include_directories(exec_broken_images PRIVATE "${PROJECT_SOURCE_DIR}/tests/conformance")

# --kernel-data: the image on the program's own kernel data pages.  The
# coarse-clock probe compares the vDSO's coarse clocks with system calls on
# either side (and forbids clock_gettime system calls from the vDSO's text
# with seccomp); the reseed helper moves the kernel's real generation.
add_executable(exec_coarse_clock_probe "${exec_test_dir}/probes/coarse_clock_probe.c")
target_compile_options(exec_coarse_clock_probe PRIVATE -Wall -Wextra -Werror)
add_executable(exec_kernel_crng_reseed "${exec_test_dir}/probes/kernel_crng_reseed.c")
target_compile_options(exec_kernel_crng_reseed PRIVATE -Wall -Wextra -Werror)
vdsoforge_add_test(exec_kernel_data NEEDS_IMAGE CASE_LABEL consumers
  SOURCES "${exec_test_dir}/test_kernel_data.cpp" LIBS vdsoforge_exec_harness)
add_dependencies(exec_kernel_data exec_glibc_probe exec_coarse_clock_probe exec_kernel_crng_reseed)
target_compile_definitions(exec_kernel_data PRIVATE
  VDSOFORGE_COARSE_CLOCK_PROBE="$<TARGET_FILE:exec_coarse_clock_probe>"
  VDSOFORGE_KERNEL_CRNG_RESEED="$<TARGET_FILE:exec_kernel_crng_reseed>")

# The exec overhead benchmark's workloads (tests/bench/exec_overhead.sh).
add_executable(exec_workload "${exec_test_dir}/probes/workload.c")
target_compile_options(exec_workload PRIVATE -Wall -Wextra -Werror)

# What any seccomp filter costs a system call, cached or not (the same benchmark).
add_executable(exec_seccomp_cost "${exec_test_dir}/probes/seccomp_cost.c")
target_compile_options(exec_seccomp_cost PRIVATE -Wall -Wextra -Werror)

# The probes stand for ordinary programs run under exec's ptrace, where
# LeakSanitizer cannot work (it ptraces the process's own threads at exit):
# they are built without sanitizers in every preset.  The host code under
# test, the vdsoforge tracer, keeps them.
foreach(probe exec_glibc_probe exec_vdso_probe exec_workload exec_seccomp_cost
              exec_coarse_clock_probe exec_kernel_crng_reseed exec_failing_execve_loop
              exec_undumpable_exec exec_thread_exec exec_memfd_exec)
  target_compile_options(${probe} PRIVATE -fno-sanitize=all)
  target_link_options(${probe} PRIVATE -fno-sanitize=all)
endforeach()

# Ground truth for the consumer models of `vdsoforge abi --consumers`: the
# real glibc 2.41 and Go 1.24 on every altered image (tests/tools/consumer_damages).
vdsoforge_add_test(exec_consumer_verdicts NEEDS_IMAGE CASE_LABEL consumers
  SOURCES "${exec_test_dir}/test_consumer_verdicts.cpp" "${exec_test_dir}/consumer_sightings.cpp"
          "${PROJECT_SOURCE_DIR}/tests/tools/consumer_damages.cpp"
  LIBS vdsoforge_exec_harness vdsoforge_abi)
target_compile_definitions(exec_consumer_verdicts PRIVATE
  VDSOFORGE_CONSUMER_MATRIX="${CMAKE_CURRENT_BINARY_DIR}/consumer-matrix.md")
add_dependencies(exec_consumer_verdicts exec_glibc_probe)
if(TARGET exec_go_probe_build)
  add_dependencies(exec_consumer_verdicts exec_go_probe_build)
endif()

# Programs under exec run untraced between their execve calls: job control,
# tracing from inside (the kernel's vdso_test_getrandom, strace), privileges.
set(exec_kernel_source "/usr/src/linux-source-6.12.tar.xz")
set(exec_kernel_selftest "${CMAKE_CURRENT_BINARY_DIR}/vdso_test_getrandom")
if(EXISTS "${exec_kernel_source}")
  add_custom_command(OUTPUT "${exec_kernel_selftest}"
    COMMAND "${exec_test_dir}/build_kernel_selftest.sh" "${exec_kernel_source}" "${exec_kernel_selftest}"
    DEPENDS "${exec_test_dir}/build_kernel_selftest.sh"
    COMMENT "Building the kernel's vdso_test_getrandom from ${exec_kernel_source}")
  add_custom_target(exec_kernel_selftest_build ALL DEPENDS "${exec_kernel_selftest}")
endif()
vdsoforge_add_test(exec_untraced NEEDS_IMAGE CASE_LABEL consumers
  SOURCES "${exec_test_dir}/test_untraced.cpp" LIBS vdsoforge_exec_harness)
target_compile_definitions(exec_untraced PRIVATE
  VDSOFORGE_KERNEL_SELFTEST="${exec_kernel_selftest}"
  VDSOFORGE_KERNEL_SOURCE="${exec_kernel_source}")
target_link_libraries(exec_untraced PRIVATE util)
add_dependencies(exec_untraced exec_glibc_probe exec_vdso_probe)
if(TARGET exec_kernel_selftest_build)
  add_dependencies(exec_untraced exec_kernel_selftest_build)
endif()

# Fault injection (--scenario, ctl wipe) on each consumer.
foreach(consumer glibc go)
  vdsoforge_add_test(exec_faults_${consumer} NEEDS_IMAGE
    SOURCES "${exec_test_dir}/test_faults.cpp" LIBS vdsoforge_exec_harness)
  add_dependencies(exec_faults_${consumer} exec_glibc_probe exec_thread_churn)
endforeach()
# Threads that come and go while the generation changes (glibc).
add_executable(exec_thread_churn "${exec_test_dir}/probes/thread_churn.c")
target_compile_options(exec_thread_churn PRIVATE -Wall -Wextra -Werror -fno-sanitize=all)
target_link_options(exec_thread_churn PRIVATE -fno-sanitize=all)
target_link_libraries(exec_thread_churn PRIVATE Threads::Threads)
foreach(consumer glibc go)
  target_compile_definitions(exec_faults_${consumer} PRIVATE
    VDSOFORGE_THREAD_CHURN="$<TARGET_FILE:exec_thread_churn>")
endforeach()
target_compile_definitions(exec_faults_go PRIVATE VDSOFORGE_EXEC_CONSUMER_GO=1)
if(TARGET exec_go_probe_build)
  add_dependencies(exec_faults_go exec_go_probe_build)
endif()

# A clone of a program's states into a second run (ctl snapshot --to /
# restore --from) on each consumer.
foreach(consumer glibc go)
  vdsoforge_add_test(exec_clone_${consumer} NEEDS_IMAGE
    SOURCES "${exec_test_dir}/test_clone.cpp" LIBS vdsoforge_exec_harness)
  add_dependencies(exec_clone_${consumer} exec_glibc_probe)
endforeach()
target_compile_definitions(exec_clone_go PRIVATE VDSOFORGE_EXEC_CONSUMER_GO=1)
if(TARGET exec_go_probe_build)
  add_dependencies(exec_clone_go exec_go_probe_build)
endif()

# --deterministic SEED: real consumers replayed, and getrandom's edge cases
# (a raw-syscall probe run natively and under exec) answered as the kernel
# answers them.
add_executable(exec_getrandom_edges "${exec_test_dir}/probes/getrandom_edges.cpp")
target_compile_options(exec_getrandom_edges PRIVATE ${VDSOFORGE_WARNINGS} -fno-sanitize=all)
target_link_options(exec_getrandom_edges PRIVATE -fno-sanitize=all)
vdsoforge_add_test(exec_deterministic NEEDS_IMAGE
  SOURCES "${exec_test_dir}/test_deterministic.cpp"
  LIBS vdsoforge_exec_harness vdsoforge_conformance_support)
target_compile_definitions(exec_deterministic PRIVATE
  VDSOFORGE_GETRANDOM_EDGES_PROBE="$<TARGET_FILE:exec_getrandom_edges>")
add_dependencies(exec_deterministic exec_glibc_probe exec_getrandom_edges)
target_compile_definitions(exec_deterministic PRIVATE
  VDSOFORGE_KERNEL_SELFTEST="${exec_kernel_selftest}")
if(TARGET exec_kernel_selftest_build)
  add_dependencies(exec_deterministic exec_kernel_selftest_build)
endif()
if(TARGET exec_go_probe_build)
  add_dependencies(exec_deterministic exec_go_probe_build)
endif()

# The same ground truth for the time symbols: a C probe calling each of
# glibc's five vDSO-served functions and a Go probe reading time.Now and
# syscall.Gettimeofday, per time symbol damaged; exec counts each time system
# call (--count-syscalls).  Ordinary programs, so no sanitizer in any preset.
add_executable(exec_time_calls "${exec_test_dir}/probes/time_calls.c")
target_compile_options(exec_time_calls PRIVATE -Wall -Wextra -Werror -fno-sanitize=all)
target_link_options(exec_time_calls PRIVATE -fno-sanitize=all)
set(exec_go_time_probe "${CMAKE_CURRENT_BINARY_DIR}/exec_go_time_calls")
if(EXISTS "${VDSOFORGE_CONSUMER_ROOT}/usr/lib/go-1.24/bin/go")
  add_custom_command(OUTPUT "${exec_go_time_probe}"
    COMMAND "${exec_test_dir}/build_go_probe.sh" "${VDSOFORGE_CONSUMER_ROOT}"
            "${exec_test_dir}/probes/go_time" "${exec_go_time_probe}"
            "${VDSOFORGE_CONSUMER_ROOT}/../gocache"
    DEPENDS "${exec_test_dir}/probes/go_time/main.go" "${exec_test_dir}/build_go_probe.sh"
    COMMENT "Building the Go 1.24 time-calls probe")
  add_custom_target(exec_go_time_probe_build ALL DEPENDS "${exec_go_time_probe}")
endif()
vdsoforge_add_test(exec_consumer_time_verdicts NEEDS_IMAGE CASE_LABEL consumers
  SOURCES "${exec_test_dir}/test_consumer_time_verdicts.cpp" "${exec_test_dir}/consumer_sightings.cpp"
          "${PROJECT_SOURCE_DIR}/tests/tools/consumer_damages.cpp"
  LIBS vdsoforge_exec_harness vdsoforge_abi)
target_compile_definitions(exec_consumer_time_verdicts PRIVATE
  VDSOFORGE_TIME_CALLS_PROBE="$<TARGET_FILE:exec_time_calls>"
  VDSOFORGE_GO_TIME_CALLS_PROBE="${exec_go_time_probe}"
  VDSOFORGE_CONSUMER_TIME_MATRIX="${CMAKE_CURRENT_BINARY_DIR}/consumer-time-matrix.md")
add_dependencies(exec_consumer_time_verdicts exec_time_calls)
if(TARGET exec_go_time_probe_build)
  add_dependencies(exec_consumer_time_verdicts exec_go_time_probe_build)
endif()
