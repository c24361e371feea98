# What `cmake --install` puts where, and the CMake package that lets another
# project call find_package(vdsoforge) and vdsoforge_add_image().
#
#   bin/vdsoforge                       the tool (image check, abi, embed, ...)
#   lib/libvdsoforge_loader.a           the loader library
#   lib/libvdsoforge_elf.a              the ELF layer under it
#   lib/libvdsoforge_analysis.a         the machine-code analysis it uses
#   include/vdsoforge/*.h               their public headers
#   include/vdsoforge/vgetrandom_abi.h  the kernel ABI types loader.h uses
#   include/vdsoforge/layout_profiles.h the kernels' data-layout profiles
#   share/vdsoforge/cmake/              package config, exported targets,
#                                       VdsoforgeImage.cmake and the defaults
#                                       it uses (VdsoforgeImageDefaults.cmake)
#   share/vdsoforge/linker/             linker script and version scripts
#   share/vdsoforge/image_src/          the freestanding getrandom sources, so
#                                       other images can contain getrandom too
#   lib/vdsoforge/images/               the project's own built images (.so
#                                       and unstripped .so.dbg): ELF code, so
#                                       under lib/ rather than share/
#   lib/vdsoforge/getrandom-probe       the demo consumer `exec --demo` runs
#   share/doc/vdsoforge/                README.md and docs/*.md
#   share/man/man1/vdsoforge.1.gz       the man page (generated in tools/)
#
# VdsoforgeImage.cmake finds the linker files as ../linker relative to itself,
# so the package's cmake and linker directories are siblings under
# share/vdsoforge/, exactly as cmake/ and linker/ are in the source tree.
# CMake's find_package searches <prefix>/share/<name>*/cmake/ on its own.
include(CMakePackageConfigHelpers)

set(vdsoforge_share_dir "${CMAKE_INSTALL_DATADIR}/vdsoforge")
set(vdsoforge_cmake_dir "${vdsoforge_share_dir}/cmake")

install(TARGETS vdsoforge EXPORT vdsoforgeTargets
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(TARGETS vdsoforge_loader vdsoforge_analysis vdsoforge_elf EXPORT vdsoforgeTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/loader/include/vdsoforge"
                  "${PROJECT_SOURCE_DIR}/loader/elf/include/vdsoforge"
                  "${PROJECT_SOURCE_DIR}/loader/analysis/include/vdsoforge"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.h")
install(FILES "${PROJECT_SOURCE_DIR}/vdso_src/vgetrandom_abi.h"
              "${PROJECT_SOURCE_DIR}/vdso_src/layout_profiles.h"
              "${PROJECT_SOURCE_DIR}/vdso_src/vdso_time_abi.h"
              "${PROJECT_SOURCE_DIR}/vdso_src/time_layout.h"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/vdsoforge")

install(FILES
          "${PROJECT_SOURCE_DIR}/linker/vdso.lds"
          "${PROJECT_SOURCE_DIR}/linker/version.map.in"
          "${PROJECT_SOURCE_DIR}/linker/version_symbol.s.in"
        DESTINATION "${vdsoforge_share_dir}/linker")

# The image sources are headers plus freestanding .cpp files; host-only files
# (host_entry.*) stay out because they are no use to an image.
set(vdsoforge_image_sources
  vdso_src/vgetrandom_abi.h vdso_src/vgetrandom.h vdso_src/chacha20.h
  vdso_src/data_layout.h vdso_src/layout_profiles.h vdso_src/raw_syscall.h
  vdso_src/chacha20_asm.h vdso_src/chacha20_routines.h vdso_src/data_access.h
  vdso_src/vdso_time_abi.h vdso_src/time_layout.h vdso_src/vdso_time.h
  vdso_src/time_syscalls.h vdso_src/cpu_counters.h vdso_src/cpu_patches.h
  vdso_src/vdso_time.cpp
  vdso_src/vdso_getrandom.cpp vdso_src/chacha20_dispatch.cpp vdso_src/chacha20_sse2.cpp
  vdso_src/chacha20_avx2.cpp vdso_src/chacha20_avx512.cpp vdso_src/notes.cpp)
list(TRANSFORM vdsoforge_image_sources PREPEND "${PROJECT_SOURCE_DIR}/")
install(FILES ${vdsoforge_image_sources} DESTINATION "${vdsoforge_share_dir}/image_src")

set(vdsoforge_image_dir "${VDSOFORGE_IMAGE_INSTALL_DIR}")
install(FILES
          "${PROJECT_BINARY_DIR}/vdso_src/vdsoforge-getrandom.so"
          "${PROJECT_BINARY_DIR}/vdso_src/vdsoforge-getrandom.so.dbg"
        DESTINATION "${vdsoforge_image_dir}")
# The demo consumer, beside the images: a program for `vdsoforge exec --demo`.
get_filename_component(vdsoforge_probe_dir "${VDSOFORGE_PROBE_INSTALL_PATH}" DIRECTORY)
install(TARGETS vdsoforge_getrandom_probe RUNTIME DESTINATION "${vdsoforge_probe_dir}")

# An installed tool's `run`, `exec` and `abi` default to the image installed
# with it (tools/default_image.cpp, relative to bin/ so the prefix can move).

install(EXPORT vdsoforgeTargets NAMESPACE vdsoforge:: DESTINATION "${vdsoforge_cmake_dir}")
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/vdsoforgeConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/vdsoforgeConfig.cmake"
  INSTALL_DESTINATION "${vdsoforge_cmake_dir}"
  PATH_VARS vdsoforge_share_dir vdsoforge_image_dir)
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/vdsoforgeConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
          "${PROJECT_BINARY_DIR}/vdsoforgeConfig.cmake"
          "${PROJECT_BINARY_DIR}/vdsoforgeConfigVersion.cmake"
          "${PROJECT_SOURCE_DIR}/cmake/VdsoforgeImage.cmake"
          "${PROJECT_SOURCE_DIR}/cmake/VdsoforgeImageDefaults.cmake"
        DESTINATION "${vdsoforge_cmake_dir}")

# The documentation, where Debian and `man vdsoforge` (FILES) say it is.
file(GLOB vdsoforge_docs "${PROJECT_SOURCE_DIR}/docs/*.md")
install(FILES "${PROJECT_SOURCE_DIR}/README.md" ${vdsoforge_docs} DESTINATION "${CMAKE_INSTALL_DOCDIR}")
