// `vdsoforge check`, run as the build runs it: passes on the built image and
// on the kernel's vDSO, fails naming the culprit on mutated images, and
// exits 2 when an input cannot be used.
#include <elf.h>

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "image_bytes.h"
#include "tool_runner.h"
#include "vdsoforge/elf_symtab.h"

using test_support::Bytes;
using test_support::get;
using test_support::put;

namespace {

struct Run {
  int status;
  std::string output;  // stdout, then stderr
};

// The tool with a command line written as one string (split at spaces).
Run run_tool(const std::string& arguments) {
  const test_support::ToolResult result = test_support::run_tool(test_support::words(arguments));
  return Run{result.exit_code, result.out + result.err};
}

// The shipped image's exports: the kernel's whole x86-64 set.
const std::string kExportList =
    "__vdso_getrandom,getrandom,__vdso_clock_gettime,clock_gettime,__vdso_gettimeofday,"
    "gettimeofday,__vdso_time,time,__vdso_getcpu,getcpu,__vdso_clock_getres,clock_getres";
const std::string kExports = "--exports " + kExportList + " --symbol-version LINUX_2.6";

Run check_mutated(const Bytes& bytes, const std::string& options = kExports) {
  const test_support::TempDir dir;
  const auto path = dir.path("image.so");
  test_support::write_file(path, bytes);
  return run_tool("check " + options + " " + path.string());
}

// Renames a section by overwriting its name in .shstrtab (same length or
// shorter), as if the linker had emitted that section.
void rename_section(Bytes& bytes, std::string_view from, std::string_view to) {
  const auto eh = get<Elf64_Ehdr>(bytes, 0);
  const auto names =
      get<Elf64_Shdr>(bytes, eh.e_shoff + uint64_t{eh.e_shstrndx} * sizeof(Elf64_Shdr));
  const std::string_view table(reinterpret_cast<const char*>(bytes.data() + names.sh_offset),
                               names.sh_size);
  const size_t at = table.find(std::string(from) + '\0');
  REQUIRE(at != std::string_view::npos);
  REQUIRE(to.size() <= from.size());
  std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(names.sh_offset + at), from.size(), 0);
  std::copy(to.begin(), to.end(),
            bytes.begin() + static_cast<std::ptrdiff_t>(names.sh_offset + at));
}

uint64_t section_header_named(const Bytes& bytes, std::string_view name) {
  const auto image = test_support::parse_valid(bytes);
  const auto eh = get<Elf64_Ehdr>(bytes, 0);
  for (size_t i = 0; i < image.sections().size(); ++i) {
    if (image.sections()[i].name == name) return eh.e_shoff + i * sizeof(Elf64_Shdr);
  }
  FAIL("no section " << name);
  return 0;
}

}  // namespace

TEST_CASE("check passes the built image, proving the ChaCha20 routine stackless") {
  const Run run =
      run_tool("check " + kExports + " --stackless vdsoforge_chacha20_blocks_sse2 --debug-image " +
               VDSOFORGE_TEST_DEBUG_IMAGE + " " + VDSOFORGE_TEST_IMAGE);
  INFO(run.output);
  CHECK(run.status == 0);
  CHECK_THAT(run.output,
             Catch::Contains("OK") && Catch::Contains("vdsoforge_chacha20_blocks_sse2"));
}

TEST_CASE("check fails a routine that uses the stack, naming the instructions") {
  const Run run = run_tool("check " + kExports + " --stackless __vdso_getrandom --debug-image " +
                           VDSOFORGE_TEST_DEBUG_IMAGE + " " + VDSOFORGE_TEST_IMAGE);
  INFO(run.output);
  CHECK(run.status == 1);
  CHECK_THAT(run.output,
             Catch::Contains("check: stackless __vdso_getrandom:") && Catch::Contains("push"));
}

TEST_CASE("check passes the kernel's own vDSO with its export list") {
  const Bytes kernel = test_support::kernel_vdso();
  const Run run = check_mutated(kernel, "--symbol-version LINUX_2.6 --exports " + kExportList);
  INFO(run.output);
  CHECK(run.status == 0);
}

TEST_CASE("check names the culprit in a mutated image") {
  const Bytes original = test_support::built_image();
  struct Case {
    const char* what;
    std::function<void(Bytes&)> edit;
    const char* culprit;
  };
  const uint64_t load = test_support::program_header_offset(original, PT_LOAD);
  const std::vector<Case> cases = {
      {"relocation tag",
       [](Bytes& b) { test_support::retag_dynamic(b, DT_FLAGS_1, DT_RELA, 0x100); },
       "check: relocation tag DT_RELA"},
      {"DT_NEEDED",
       [](Bytes& b) {
         test_support::retag_dynamic(b, DT_FLAGS_1, DT_NEEDED,
                                     test_support::dynstr_offset(b, "LINUX_2.6") -
                                         test_support::dynamic_value(b, DT_STRTAB));
       },
       "check: DT_NEEDED LINUX_2.6"},
      {"undefined symbol",
       [](Bytes& b) {
         put<uint16_t>(b, test_support::dynsym_offset(b, "getrandom") + 6, SHN_UNDEF);
       },
       "check: undefined symbol getrandom"},
      {"writable segment", [load](Bytes& b) { put<uint32_t>(b, load + 4, PF_R | PF_W | PF_X); },
       "writable and executable"},
      {"second PT_LOAD",
       [](Bytes& b) { put<uint32_t>(b, test_support::program_header_offset(b, PT_NOTE), PT_LOAD); },
       "check: second PT_LOAD"},
      {".data section", [](Bytes& b) { rename_section(b, ".comment", ".data"); },
       "check: section .data present (vDSO images must not have writable data)"},
      {".bss section", [](Bytes& b) { rename_section(b, ".comment", ".bss"); },
       "check: section .bss present"},
      {".got section", [](Bytes& b) { rename_section(b, ".comment", ".got"); },
       "check: section .got present"},
      {".got.plt section", [](Bytes& b) { rename_section(b, ".comment", ".got.plt"); },
       "check: section .got.plt present"},
      {".plt section", [](Bytes& b) { rename_section(b, ".comment", ".plt"); },
       "check: section .plt present"},
      {"relocation section",
       [](Bytes& b) {
         const uint64_t sh = section_header_named(b, ".comment");
         rename_section(b, ".comment", ".rela.x");
         put<uint32_t>(b, sh + 4, SHT_RELA);
       },
       "check: relocation section .rela.x"},
      {"hidden export",
       [](Bytes& b) { put<uint16_t>(b, test_support::versym_offset(b, "getrandom"), 0x8002); },
       "check: export getrandom is a hidden version"},
      {"corrupted .gnu.hash",
       [](Bytes& b) {
         const uint64_t t = test_support::dynamic_value(b, DT_GNU_HASH);
         const uint64_t chain =
             t + 16 + 8 * uint64_t{get<uint32_t>(b, t + 8)} + 4 * uint64_t{get<uint32_t>(b, t)};
         put<uint32_t>(b, chain, get<uint32_t>(b, chain) ^ 0x100);
       },
       "does not find exported symbol"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      Bytes bytes = original;
      c.edit(bytes);
      const Run run = check_mutated(bytes);
      INFO(run.output);
      CHECK(run.status == 1);
      CHECK_THAT(run.output, Catch::Contains(c.culprit));
    }
  }
}

TEST_CASE("check compares the export set and version with the options") {
  const Bytes image = test_support::built_image();
  {
    const Run run = check_mutated(image, "--exports __vdso_getrandom --symbol-version LINUX_2.6");
    INFO(run.output);
    CHECK(run.status == 1);
    CHECK_THAT(run.output, Catch::Contains("check: exported symbol getrandom not in --exports"));
    CHECK_THAT(run.output,
               Catch::Contains("check: exported symbol clock_gettime not in --exports"));
  }
  {
    const Run run = check_mutated(image, "--exports " + kExportList + ",__vdso_answer");
    INFO(run.output);
    CHECK(run.status == 1);
    CHECK_THAT(run.output, Catch::Contains("check: export __vdso_answer missing"));
  }
  {
    const Run run =
        check_mutated(image, "--exports " + kExportList + " --symbol-version LINUX_2.7");
    INFO(run.output);
    CHECK(run.status == 1);
    CHECK_THAT(run.output, Catch::Contains("not @@LINUX_2.7"));
  }
}

TEST_CASE("check exits 2 when an input cannot be used") {
  CHECK(run_tool("check /nonexistent/image.so").status == 2);
  Bytes truncated = test_support::built_image();
  truncated.resize(100);
  const Run cut = check_mutated(truncated);
  CHECK(cut.status == 2);
  CHECK_THAT(cut.output, Catch::Contains("truncated"));
  const std::string image = VDSOFORGE_TEST_IMAGE;
  CHECK(run_tool("check --stackless vdsoforge_chacha20_blocks_sse2 " + image).status == 2);
  const Run unknown = run_tool("check --stackless no_such_function --debug-image " +
                               std::string(VDSOFORGE_TEST_DEBUG_IMAGE) + " " + image);
  CHECK(unknown.status == 2);
  CHECK_THAT(unknown.output, Catch::Contains("no_such_function"));
}

TEST_CASE("check refuses to prove code the shipped image does not contain") {
  const auto debug = test_support::parse_valid(test_support::built_debug_image());
  std::string error;
  const auto code = vdsoforge::find_function_code(debug, "vdsoforge_chacha20_blocks_sse2", error);
  INFO(error);
  REQUIRE(code.has_value());
  // The stripped copy gets different code at the routine's place.
  Bytes bytes = test_support::built_image();
  bytes[code->file_offset + 1] ^= 0xff;
  const Run run =
      check_mutated(bytes, kExports + " --stackless vdsoforge_chacha20_blocks_sse2 --debug-image " +
                               VDSOFORGE_TEST_DEBUG_IMAGE);
  INFO(run.output);
  CHECK(run.status == 1);
  CHECK_THAT(run.output, Catch::Contains("differs from the --debug-image"));
}

TEST_CASE("check --help explains the options and exit status") {
  const Run run = run_tool("check --help");
  CHECK(run.status == 0);
  CHECK_THAT(run.output, Catch::Contains("--exports") && Catch::Contains("--stackless") &&
                             Catch::Contains("--debug-image") && Catch::Contains("Exit status"));
}
