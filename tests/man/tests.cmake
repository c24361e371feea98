# vdsoforge(1): every command and option the tool accepts (as its own --help
# lists them) is in the generated man page, which renders without warnings.
find_program(VDSOFORGE_GROFF groff REQUIRED)
vdsoforge_add_test(man_page
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_man_page.cpp ${abi_test_support}
  LIBS vdsoforge::loader nlohmann_json::nlohmann_json)
target_include_directories(man_page PRIVATE "${abi_test_dir}")
add_dependencies(man_page vdsoforge_man_page)
target_compile_definitions(man_page PRIVATE
  VDSOFORGE_MAN_PAGE="${PROJECT_BINARY_DIR}/tools/vdsoforge.1"
  VDSOFORGE_GROFF="${VDSOFORGE_GROFF}")
