# Tests of the image stage: ChaCha20, the algorithm on the host, the built file.

vdsoforge_add_test(image_chacha20
  SOURCES image/test_chacha20.cpp
  LIBS vdsoforge_image_host PkgConfig::VDSOFORGE_SODIUM)

vdsoforge_add_test(image_host_vgetrandom
  SOURCES image/test_host_vgetrandom.cpp
  LIBS vdsoforge_image_host PkgConfig::VDSOFORGE_SODIUM)

vdsoforge_add_test(image_structure
  SOURCES image/test_image_structure.cpp
  LIBS vdsoforge::loader
  NEEDS_IMAGE)

vdsoforge_add_test(image_register_hygiene
  SOURCES image/test_register_hygiene.cpp image/register_probe.cpp
  LIBS vdsoforge_image_host vdsoforge::loader
  NEEDS_IMAGE)
