# Tests of the ELF parser, symbol look-up, malformed input and the image check.
vdsoforge_add_test(elf_parse
  SOURCES elf/test_parse.cpp elf/image_bytes.cpp
  LIBS vdsoforge::loader NEEDS_IMAGE)
vdsoforge_add_test(elf_lookup
  SOURCES elf/test_lookup.cpp elf/image_bytes.cpp
  LIBS vdsoforge::loader NEEDS_IMAGE)
vdsoforge_add_test(elf_malformed
  SOURCES elf/test_malformed.cpp elf/image_bytes.cpp
  LIBS vdsoforge::loader NEEDS_IMAGE)
