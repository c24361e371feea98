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

# The check command and its Zydis stack analysis; the analysis sources are the
# tool's own, compiled in so they can be driven with hand-assembled code.
find_package(zydis REQUIRED)
vdsoforge_add_test(elf_stack_analysis
  SOURCES elf/test_stack_analysis.cpp elf/image_bytes.cpp
          "${PROJECT_SOURCE_DIR}/tools/stack_analysis.cpp" "${PROJECT_SOURCE_DIR}/tools/check_symtab.cpp"
  LIBS vdsoforge::loader Zydis::Zydis NEEDS_IMAGE)
target_include_directories(elf_stack_analysis PRIVATE "${PROJECT_SOURCE_DIR}/tools")
vdsoforge_add_test(elf_check
  SOURCES elf/test_check.cpp elf/image_bytes.cpp "${PROJECT_SOURCE_DIR}/tools/check_symtab.cpp"
  LIBS vdsoforge::loader NEEDS_IMAGE)
target_include_directories(elf_check PRIVATE "${PROJECT_SOURCE_DIR}/tools")
