# Tests of the image stage: ChaCha20, the algorithm on the host, the built file.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)

vdsoforge_add_test(image_chacha20
  SOURCES image/test_chacha20.cpp
  LIBS vdsoforge_image_host PkgConfig::SODIUM)

vdsoforge_add_test(image_host_vgetrandom
  SOURCES image/test_host_vgetrandom.cpp
  LIBS vdsoforge_image_host PkgConfig::SODIUM)
