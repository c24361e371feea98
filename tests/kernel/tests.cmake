# A real kernel serving the image (docs/kernel.md): Debian's linux-source-6.12
# built with the linux-6.11 image as its vDSO, and Debian's unmodified 6.12
# kernel, each booted under QEMU (TCG) with the programs below in an
# initramfs.  tests/kernel/run.sh does the building, packing, booting and
# judging; this file builds what goes into the guest.
set(kernel_test_dir "${CMAKE_CURRENT_LIST_DIR}")
set(kernel_guest_dir "${kernel_test_dir}/guest")
set(kernel_out_dir "${CMAKE_CURRENT_BINARY_DIR}/kernel")
set(kernel_image "${PROJECT_BINARY_DIR}/vdso_src/vdsoforge-getrandom-linux-6.11.so")

# What the kernel build consumes, and the header the checking program
# compares it with: both written by the built tool from the linux-6.11 image.
set(kernel_vdso_source "${kernel_out_dir}/vdso-image-64.c")
set(kernel_vdso_header "${kernel_out_dir}/vdso611.h")
add_custom_command(
  OUTPUT "${kernel_vdso_source}" "${kernel_vdso_header}"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${kernel_out_dir}"
  COMMAND vdsoforge embed --format kernel "${kernel_image}" -o "${kernel_vdso_source}"
  COMMAND vdsoforge embed "${kernel_image}" --name vdso611 -o "${kernel_vdso_header}"
  DEPENDS vdsoforge vdsoforge-getrandom-linux-6.11 "${kernel_image}"
  COMMENT "Writing vdso-image-64.c for Linux 6.12 from the linux-6.11 image"
  VERBATIM)

# /init, static.  The C guest programs are built without sanitizers in every
# preset: static ones cannot carry the sanitizer runtimes.
add_executable(kernel_guest_init "${kernel_guest_dir}/init.c")

# The file against its header (on the host), and against the live [vdso] (in
# the guest), static: the generated file compiled through kernel_shim/.
add_executable(kernel_vdso_match "${kernel_guest_dir}/vdso_match.c" "${kernel_vdso_source}"
                                 "${kernel_vdso_header}")
target_include_directories(kernel_vdso_match PRIVATE "${kernel_guest_dir}/kernel_shim"
                                                     "${kernel_out_dir}")
target_compile_definitions(kernel_vdso_match PRIVATE VDSO_MATCH_HEADER="vdso611.h")

# glibc 2.41's getrandom() with the system call forbidden, in and out of a
# time namespace; run with Debian 13's loader.
add_executable(kernel_glibc_seccomp_probe "${kernel_guest_dir}/glibc_seccomp_probe.c")

# The image's time functions against the kernel's clocks, static (its C
# library calls the vDSO's clock functions).
add_executable(kernel_time_probe "${kernel_guest_dir}/time_probe.c")

# The kernel's vDSO against an image, byte for byte.
add_executable(kernel_differential "${kernel_guest_dir}/kernel_differential.cpp")
target_link_libraries(kernel_differential PRIVATE vdsoforge_conformance_support vdsoforge::loader)
target_compile_options(kernel_differential PRIVATE ${VDSOFORGE_WARNINGS})

foreach(program kernel_guest_init kernel_vdso_match kernel_glibc_seccomp_probe kernel_time_probe)
  set_target_properties(${program} PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
  target_compile_options(${program} PRIVATE -Wall -Wextra -Werror)
endforeach()
foreach(program kernel_guest_init kernel_vdso_match kernel_time_probe)
  target_link_options(${program} PRIVATE -static)
endforeach()
# (kernel_differential links the sanitized libraries of a sanitizer preset;
# those presets do not run the boots.)
foreach(program kernel_guest_init kernel_vdso_match kernel_glibc_seccomp_probe kernel_time_probe)
  target_compile_options(${program} PRIVATE -fno-sanitize=all)
  target_link_options(${program} PRIVATE -fno-sanitize=all)
endforeach()

# The generated file by itself, on the host: struct, pages, table, initcall.
add_test(NAME "embed_kernel_file: vdso-image-64.c matches the image, its layout and routines"
         COMMAND kernel_vdso_match)

# The kernel build, then the two boots, as three tests: the boots require the
# build (a CTest fixture), so `ctest -R kernel_boot_debian` builds first too.
# The kernel build and its source tree are cached outside the build tree
# (VDSOFORGE_KERNEL_CACHE, default /var/cache/vdsoforge/kernel as root, else
# $XDG_CACHE_HOME/vdsoforge/kernel): the first run builds the kernel (about
# 2-5 min on 2 idle cores), later ones only recompile vdso-image-64.c and relink.
set(kernel_guest_programs kernel_guest_init kernel_vdso_match kernel_glibc_seccomp_probe
                          kernel_time_probe kernel_differential vdsoforge)
add_custom_target(kernel_guest ALL DEPENDS ${kernel_guest_programs})
if(TARGET exec_go_probe_build)
  add_dependencies(kernel_guest exec_go_probe_build)
endif()
set(kernel_run "${kernel_test_dir}/run.sh"
    --build-dir "${PROJECT_BINARY_DIR}"
    --work-dir "${CMAKE_CURRENT_BINARY_DIR}/kernel-run"
    --consumer-root "${VDSOFORGE_CONSUMER_ROOT}"
    --go-probe "${PROJECT_BINARY_DIR}/tests/exec_go_probe"
    --glibc-probe "$<TARGET_FILE:exec_glibc_probe>"
    --vdso-source "${kernel_vdso_source}")
set(kernel_build_test "kernel_build: Linux 6.12 with vdso-image-64.c of the linux-6.11 image")
set(kernel_project_test "kernel_boot_project: Linux 6.12 serves the linux-6.11 image")
set(kernel_debian_test "kernel_boot_debian: Debian's own 6.12 against the linux-6.11 image")
add_test(NAME "${kernel_build_test}" COMMAND ${kernel_run} --boot build)
add_test(NAME "${kernel_project_test}" COMMAND ${kernel_run} --boot project)
add_test(NAME "${kernel_debian_test}" COMMAND ${kernel_run} --boot debian)
set_tests_properties("${kernel_build_test}" PROPERTIES
  LABELS "kernel;consumers" TIMEOUT 3600 RUN_SERIAL TRUE FIXTURES_SETUP kernel_built)
set_tests_properties("${kernel_project_test}" "${kernel_debian_test}" PROPERTIES
  LABELS "kernel;consumers" TIMEOUT 900 RUN_SERIAL TRUE FIXTURES_REQUIRED kernel_built)
