# The Debian package, built by CPack from the same install rules as
# `cmake --install` (VdsoforgeInstall.cmake), at prefix /usr:
#
#   cpack --config build/default/CPackConfig.cmake      (scripts/package.sh does it)
#   -> vdsoforge_<version>_amd64.deb
#
# Depends comes from dpkg-shlibdeps on the tool (libc, libstdc++, Zydis ...);
# building images with the installed CMake package also needs Clang, LLD,
# CMake and Ninja, which the package recommends.
set(vdsoforge_debian_dir "${PROJECT_SOURCE_DIR}/packaging/debian")

# Debian wants the changelog gzipped (-n: no timestamp, so the package is
# reproducible) next to the copyright file.
set(vdsoforge_changelog_gz "${PROJECT_BINARY_DIR}/packaging/changelog.gz")
add_custom_command(
  OUTPUT "${vdsoforge_changelog_gz}"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${PROJECT_BINARY_DIR}/packaging"
  COMMAND gzip -9 -n -c "${vdsoforge_debian_dir}/changelog" > "${vdsoforge_changelog_gz}"
  DEPENDS "${vdsoforge_debian_dir}/changelog"
  VERBATIM)
add_custom_target(vdsoforge_changelog ALL DEPENDS "${vdsoforge_changelog_gz}")
install(FILES "${vdsoforge_debian_dir}/copyright" "${vdsoforge_changelog_gz}"
        DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(FILES "${vdsoforge_debian_dir}/lintian-overrides"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/lintian/overrides" RENAME vdsoforge)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vdsoforge)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "vdsoforge")
set(CPACK_PACKAGE_CONTACT "vdsoforge maintainers <maintainers@users.noreply.r-seed-2d1c90d3.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # vdsoforge_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "clang, lld, cmake, ninja-build")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "build, verify and run x86-64 getrandom vDSO images")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the body, which
# CPack indents and whose empty line it turns into " .".
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "vdsoforge builds a freestanding x86-64 vDSO image that provides getrandom()
(the vgetrandom of Linux 6.11 and later), maps it in user space next to an
emulated vdso_rng_data page, and checks that its ABI matches the running
kernel's vDSO.

This package contains the vdsoforge tool (abi, check, dump, embed, run, with
JUnit and SARIF reports for CI), the built images and their unstripped .dbg
copies, the static loader library with its headers, the CMake package with
vdsoforge_add_image(), the documentation and the vdsoforge(1) man page.")
# The tool is shipped stripped; the images' .dbg copies stay unstripped on
# purpose (see the lintian overrides).
set(CPACK_STRIP_FILES TRUE)
include(CPack)
