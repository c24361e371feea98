# The kernel's own vDSO selftests for the time functions
# (tools/testing/selftests/vDSO of Debian's linux-source package), built
# from the tarball at build time and run against the image under
# `vdsoforge exec`, where AT_SYSINFO_EHDR is the image: vdso_test_abi,
# _gettimeofday, _getcpu, _clock_getres and _correctness.  Each must exit 0
# (kselftest's pass); its SKIP (4) counts as a failure here.
set(VDSOFORGE_KERNEL_SOURCE_TARBALL "/usr/src/linux-source-6.12.tar.xz" CACHE FILEPATH
    "Linux source tarball whose vDSO selftests run against the image")
if(EXISTS "${VDSOFORGE_KERNEL_SOURCE_TARBALL}")
  set(selftest_root "${CMAKE_CURRENT_BINARY_DIR}/kernel_selftests")
  set(selftest_dir "${selftest_root}/tools/testing/selftests/vDSO")
  set(selftest_programs vdso_test_abi vdso_test_gettimeofday vdso_test_getcpu
                        vdso_test_clock_getres vdso_test_correctness)
  set(selftest_files "${selftest_root}/tools/testing/selftests/kselftest.h"
      "${selftest_dir}/parse_vdso.c" "${selftest_dir}/parse_vdso.h" "${selftest_dir}/vdso_config.h"
      "${selftest_dir}/vdso_call.h")
  foreach(program IN LISTS selftest_programs)
    list(APPEND selftest_files "${selftest_dir}/${program}.c")
  endforeach()
  add_custom_command(OUTPUT ${selftest_files}
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${selftest_root}"
    COMMAND tar -xf "${VDSOFORGE_KERNEL_SOURCE_TARBALL}" -C "${selftest_root}"
            --strip-components=1 --wildcards "*/tools/testing/selftests/vDSO/*"
            "*/tools/testing/selftests/kselftest.h"
    COMMAND "${CMAKE_COMMAND}" -E touch ${selftest_files}
    DEPENDS "${VDSOFORGE_KERNEL_SOURCE_TARBALL}"
    COMMENT "Extracting the kernel's vDSO selftests")
  foreach(program IN LISTS selftest_programs)
    set(sources "${selftest_dir}/${program}.c")
    if(NOT program MATCHES "clock_getres|correctness")
      list(APPEND sources "${selftest_dir}/parse_vdso.c")
    endif()
    add_executable(kselftest_${program} ${sources})
    # The kernel's flags (its Makefile: -std=gnu99 -O2); kernel code, so the
    # project's warnings-as-errors do not apply.
    target_compile_options(kselftest_${program} PRIVATE -std=gnu99 -O2 -w)
    if(program STREQUAL "vdso_test_correctness")
      target_link_libraries(kselftest_${program} PRIVATE dl)
    endif()
    add_dependencies(kselftest_${program} vdsoforge-getrandom)
    if(program STREQUAL "vdso_test_correctness")
      # Its coarse-clock check wants syscall <= vDSO <= syscall.  Under exec
      # the image's data is the kernel's copied every millisecond, so a tick
      # that lands between the kernel's update and the next copy makes the
      # image's coarse clock one tick older than the system call's (seen in
      # about 1 run of 7 to 15, exactly 4 ms behind; docs/loader.md, "The
      # emulated time data", says why no copy schedule closes it).  Up to
      # five attempts: each prints its report; all five failing fails.
      add_test(NAME "time_kernel_selftest: ${program} under vdsoforge exec"
               COMMAND sh -c "for attempt in 1 2 3 4 5; do \"$0\" exec -q -- \"$1\" && exit 0; echo \"attempt $attempt failed\"; done; exit 1"
                       $<TARGET_FILE:vdsoforge> $<TARGET_FILE:kselftest_${program}>)
      # With the program's own kernel data pages under the image the coarse
      # clocks are the kernel's by construction: five runs, every one must
      # pass, no retry.
      add_test(NAME "time_kernel_selftest: ${program} under vdsoforge exec --kernel-data, 5 runs"
               COMMAND sh -c "for run in 1 2 3 4 5; do echo \"run $run\"; \"$0\" exec -q --kernel-data -- \"$1\" || exit 1; done"
                       $<TARGET_FILE:vdsoforge> $<TARGET_FILE:kselftest_${program}>)
    else()
      add_test(NAME "time_kernel_selftest: ${program} under vdsoforge exec"
               COMMAND vdsoforge exec -q -- $<TARGET_FILE:kselftest_${program}>)
    endif()
  endforeach()
endif()
