// Exit status 2 when an input cannot be read, with the parser's precise
// message; command-line mistakes are errors too.
#include <catch2/catch.hpp>

#include "abi_fixtures.h"

using namespace abi_test;
using namespace test_support;

TEST_CASE("abi exits 2 naming a missing image file") {
  const ToolResult result = run_tool({"abi", "/nonexistent/image.so"});
  CHECK(result.exit_code == 2);
  CHECK(result.err == "vdsoforge abi: /nonexistent/image.so: No such file or directory (io)\n");
  CHECK(result.out.empty());
}

TEST_CASE("abi exits 2 with the parser's message for a file that is not ELF") {
  TempDir dir;
  const auto path = dir.path("text.so");
  write_file(path, Bytes(256, 'x'));  // long enough for a header, but not ELF
  const ToolResult result = run_tool({"abi", path.string()});
  CHECK(result.exit_code == 2);
  INFO(result.err);
  CHECK(result.err.find("bad_magic") != std::string::npos);
  CHECK(result.err.find("e_ident magic at offset 0x0") != std::string::npos);
}

TEST_CASE("abi exits 2 for a truncated image and reports it in JSON") {
  TempDir dir;
  Bytes bytes = read_file(VDSOFORGE_TEST_IMAGE);
  bytes.resize(40);  // shorter than an ELF header
  const auto path = dir.path("short.so");
  write_file(path, bytes);
  const ToolResult result = run_tool({"abi", "--json", path.string()});
  CHECK(result.exit_code == 2);
  const auto report = nlohmann::json::parse(result.out);
  CHECK(report.at("schema") == "vdsoforge-abi/1");
  CHECK(report.at("compatible").is_null());
  CHECK(report.at("error").at("input") == "image");
  CHECK(report.at("error").at("code") == "truncated");
  CHECK(!report.at("error").at("message").get<std::string>().empty());
}

TEST_CASE("abi exits 2 when the reference file is missing or broken") {
  const ToolResult missing =
      run_tool({"abi", VDSOFORGE_TEST_IMAGE, "--reference", "/nonexistent/vdso.so"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err ==
        "vdsoforge abi: reference /nonexistent/vdso.so: No such file or directory (io)\n");

  TempDir dir;
  Bytes bytes = read_file(VDSOFORGE_TEST_IMAGE);
  bytes[0x12] = 0xb7;  // e_machine = EM_AARCH64
  bytes[0x13] = 0x00;
  const auto path = dir.path("arm.so");
  write_file(path, bytes);
  const ToolResult wrong = run_tool({"abi", VDSOFORGE_TEST_IMAGE, "--reference", path.string()});
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.err.find("bad_machine") != std::string::npos);
}

TEST_CASE("abi exits 0 against itself and 1 against an incompatible reference file") {
  // No kernel needed: the built image as its own reference is compatible ...
  const ToolResult same =
      run_tool({"abi", VDSOFORGE_TEST_IMAGE, "--reference", VDSOFORGE_TEST_IMAGE});
  INFO(same.out << same.err);
  CHECK(same.exit_code == 0);
  // ... and a reference whose getrandom is GLOBAL makes the pristine image fail.
  TempDir dir;
  const auto reference =
      broken_image(dir, "ref.so", [](Bytes& b) { make_symbol_global(b, "getrandom"); });
  const ToolResult other = run_tool({"abi", VDSOFORGE_TEST_IMAGE, "--reference", reference});
  CHECK(other.exit_code == 1);
  CHECK(other.out.find("FAIL symbols.getrandom.binding: image WEAK | reference GLOBAL") !=
        std::string::npos);
}

TEST_CASE("abi rejects unknown options with exit status 2") {
  const ToolResult result = run_tool({"abi", "--no-such-option"});
  CHECK(result.exit_code == 2);
}
