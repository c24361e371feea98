# Tests of the image stage: ChaCha20, the algorithm on the host, the built file.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)

vdsoforge_add_test(image_chacha20
  SOURCES image/test_chacha20.cpp
  LIBS vdsoforge_image_host PkgConfig::SODIUM)

vdsoforge_add_test(image_host_vgetrandom
  SOURCES image/test_host_vgetrandom.cpp
  LIBS vdsoforge_image_host PkgConfig::SODIUM)

vdsoforge_add_test(image_structure
  SOURCES image/test_image_structure.cpp
  LIBS vdsoforge::loader
  NEEDS_IMAGE)
string(REGEX MATCH "^([0-9]+)\\.([0-9]+)\\.([0-9]+)$" _ "${VDSOFORGE_LINUX_VERSION}")
math(EXPR _vf_linux_code "(${CMAKE_MATCH_1} << 16) | (${CMAKE_MATCH_2} << 8) | ${CMAKE_MATCH_3}")
target_compile_definitions(image_structure PRIVATE
  VDSOFORGE_EXPECTED_LINUX_VERSION_CODE=${_vf_linux_code}
  VDSOFORGE_EXPECTED_DATA_AREA_SIZE=${VDSOFORGE_DATA_AREA_SIZE}
  VDSOFORGE_EXPECTED_RNG_DATA_OFFSET=${VDSOFORGE_RNG_DATA_OFFSET})

vdsoforge_add_test(image_register_hygiene
  SOURCES image/test_register_hygiene.cpp image/register_probe.cpp
  LIBS vdsoforge_image_host vdsoforge::loader
  NEEDS_IMAGE)
