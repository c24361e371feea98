# Tests of the command-line tool and its library (tools/, tools/abi): each
# runs the built `vdsoforge` as users do (through tests/support's
# tool_runner.h) or drives vdsoforge_abi in-process.  One folder for every
# command; each CTest name starts with the command it tests: abi_*,
# dump_command, embed_* (embed), check_* (check), run_command, cli_messages
# (every command's errors), man_page (vdsoforge(1)), report_formats
# (--junit/--sarif).
set(tools_test_dir "${CMAKE_CURRENT_LIST_DIR}")
# What the tool tests share: the kernel gate, broken images on disk and JSON
# report look-ups.
set(tools_test_fixtures ${tools_test_dir}/abi_fixtures.cpp)

# vdsoforge_add_tool_test(<name> SOURCES <file>... [LIBS <target>...]): a
# test of this folder, with the fixtures, the tool library and the image.
function(vdsoforge_add_tool_test name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES;LIBS")
  vdsoforge_add_test(${name}
    SOURCES ${ARG_SOURCES} ${tools_test_fixtures}
    LIBS vdsoforge::loader vdsoforge_abi ${ARG_LIBS}
    NEEDS_IMAGE)
  target_include_directories(${name} PRIVATE "${tools_test_dir}")
endfunction()

# ---- abi, dump, embed ------------------------------------------------------------------------
foreach(area IN ITEMS pass broken errors messages layout verdict)
  vdsoforge_add_tool_test(abi_${area} SOURCES ${tools_test_dir}/test_abi_${area}.cpp)
endforeach()
vdsoforge_add_tool_test(dump_command SOURCES ${tools_test_dir}/test_abi_dump.cpp)
vdsoforge_add_tool_test(embed_header SOURCES ${tools_test_dir}/test_abi_embed.cpp)

# The cross-check with libabigail's abidiff (abigail-tools) on the same pairs.
find_program(VDSOFORGE_ABIDIFF abidiff REQUIRED)
vdsoforge_add_tool_test(abi_abidiff SOURCES ${tools_test_dir}/test_abi_abidiff.cpp)
target_compile_definitions(abi_abidiff PRIVATE VDSOFORGE_ABIDIFF="${VDSOFORGE_ABIDIFF}")

# Corrupted images: the verdict and exit status of each, and the generators
# in-process (so the sanitizer build sees every access).
vdsoforge_add_tool_test(abi_robustness SOURCES ${tools_test_dir}/test_abi_robustness.cpp)

# The consumer models, in-process, against altered images.
vdsoforge_add_tool_test(abi_consumers SOURCES ${tools_test_dir}/test_abi_consumers.cpp)

# The embed header is generated from the built image by the built tool at
# build time, then compiled into a C program that maps and calls the image.
set(abi_embed_dir "${CMAKE_CURRENT_BINARY_DIR}/abi_embed_header")
set(abi_embed_header "${abi_embed_dir}/test_vdso_embedded.h")
set(abi_built_image "${PROJECT_BINARY_DIR}/vdso_src/vdsoforge-getrandom.so")
add_custom_command(
  OUTPUT "${abi_embed_header}"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${abi_embed_dir}"
  COMMAND vdsoforge embed "${abi_built_image}" -o "${abi_embed_header}" --name test_vdso
  DEPENDS vdsoforge vdsoforge-getrandom "${abi_built_image}"
  COMMENT "Embedding the built image into test_vdso_embedded.h"
  VERBATIM)
add_executable(embed_header_program ${tools_test_dir}/embed_program.c "${abi_embed_header}")
target_include_directories(embed_header_program PRIVATE "${abi_embed_dir}")
set_target_properties(embed_header_program PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
target_compile_options(embed_header_program PRIVATE -Wall -Wextra -Werror -Wshadow -Wconversion
                                                 -Wno-sign-conversion)
add_test(NAME "embed_header_program: maps the embedded image and calls getrandom by its offset"
         COMMAND embed_header_program)
set_tests_properties("embed_header_program: maps the embedded image and calls getrandom by its offset"
                     PROPERTIES SKIP_RETURN_CODE 77)

# `embed --format kernel`: what it writes for Linux 6.12 and what it refuses
# (the file compiled and checked: tests/kernel/tests.cmake).
vdsoforge_add_tool_test(embed_kernel_format SOURCES ${tools_test_dir}/test_embed_kernel.cpp)

# ---- check -------------------------------------------------------------------------------------
# The command run as the build runs it, and its stack analysis driven with
# hand-assembled code.
vdsoforge_add_tool_test(check_command SOURCES ${tools_test_dir}/test_check.cpp)
vdsoforge_add_tool_test(check_stack_analysis SOURCES ${tools_test_dir}/test_stack_analysis.cpp)

# ---- run ---------------------------------------------------------------------------------------
vdsoforge_add_tool_test(run_command SOURCES ${tools_test_dir}/test_run_command.cpp)

# ---- every command's messages: one error style, one exit-code rule -----------------------------
vdsoforge_add_tool_test(cli_messages SOURCES ${tools_test_dir}/test_cli_messages.cpp)

# ---- the installed tool ------------------------------------------------------------------------
# run, exec and abi find the image installed beside a copied tool, never the
# build tree's; exec --demo finds the installed consumer the same way.
vdsoforge_add_tool_test(installed_tool SOURCES ${tools_test_dir}/test_installed_tool.cpp)
target_compile_definitions(installed_tool PRIVATE
  VDSOFORGE_TEST_BIN_DIR="${CMAKE_INSTALL_BINDIR}"
  VDSOFORGE_TEST_IMAGE_INSTALL_DIR="${VDSOFORGE_IMAGE_INSTALL_DIR}"
  VDSOFORGE_TEST_PROBE_INSTALL_PATH="${VDSOFORGE_PROBE_INSTALL_PATH}"
  VDSOFORGE_TEST_PROBE="$<TARGET_FILE:vdsoforge_getrandom_probe>")

# ---- vdsoforge(1) ------------------------------------------------------------------------------
# Every command and option the tool accepts (as its own --help lists them) is
# in the generated man page, which renders without warnings.
find_program(VDSOFORGE_GROFF groff REQUIRED)
vdsoforge_add_tool_test(man_page SOURCES ${tools_test_dir}/test_man_page.cpp)
add_dependencies(man_page vdsoforge_man_page)
target_compile_definitions(man_page PRIVATE
  VDSOFORGE_MAN_PAGE="${PROJECT_BINARY_DIR}/tools/vdsoforge.1"
  VDSOFORGE_GROFF="${VDSOFORGE_GROFF}")

# ---- --junit and --sarif -------------------------------------------------------------------------
# Every report the tests make is validated, JUnit against junit.xsd with
# xmllint, SARIF against sarif-2.1.0-subset.schema.json with Debian's
# python3-jsonschema, and its contents compared with the --json report of
# the same run.
find_program(VDSOFORGE_XMLLINT xmllint REQUIRED)
# Debian's interpreter, where python3-jsonschema is installed (not whatever
# python3 comes first in PATH).
find_program(VDSOFORGE_SYSTEM_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH REQUIRED)
vdsoforge_add_tool_test(report_formats
  SOURCES ${tools_test_dir}/test_reports.cpp ${tools_test_dir}/report_validation.cpp)
target_compile_definitions(report_formats PRIVATE
  VDSOFORGE_XMLLINT="${VDSOFORGE_XMLLINT}"
  VDSOFORGE_SYSTEM_PYTHON="${VDSOFORGE_SYSTEM_PYTHON}"
  VDSOFORGE_REPORT_SCHEMAS="${tools_test_dir}")
