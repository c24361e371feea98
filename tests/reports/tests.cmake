# --junit and --sarif of `vdsoforge abi` and `vdsoforge check`: every report
# the tests make is validated, JUnit against junit.xsd with xmllint, SARIF
# against sarif-2.1.0-subset.schema.json with Debian's python3-jsonschema,
# and its contents compared with the --json report of the same run.
find_program(VDSOFORGE_XMLLINT xmllint REQUIRED)
# Debian's interpreter, where python3-jsonschema is installed (not whatever
# python3 comes first in PATH).
find_program(VDSOFORGE_SYSTEM_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH REQUIRED)

find_package(nlohmann_json 3 REQUIRED)
set(reports_dir "${CMAKE_CURRENT_LIST_DIR}")
vdsoforge_add_test(reports
  SOURCES ${reports_dir}/test_reports.cpp ${reports_dir}/report_validation.cpp
          ${abi_test_support}
  LIBS vdsoforge::loader nlohmann_json::nlohmann_json
  NEEDS_IMAGE)
target_include_directories(reports PRIVATE "${reports_dir}" "${abi_test_dir}")
target_compile_definitions(reports PRIVATE
  VDSOFORGE_XMLLINT="${VDSOFORGE_XMLLINT}"
  VDSOFORGE_SYSTEM_PYTHON="${VDSOFORGE_SYSTEM_PYTHON}"
  VDSOFORGE_REPORT_SCHEMAS="${reports_dir}")
