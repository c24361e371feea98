// The Zydis stack-use analysis: hand-assembled snippets for each rule, then
// the real routines of the built image.
#include <catch2/catch.hpp>
#include <vector>

#include "image_bytes.h"
#include "vdsoforge/elf_symtab.h"
#include "vdsoforge/stack_analysis.h"

using vdsoforge::analyze_stack_use;
using vdsoforge::find_function_code;
using vdsoforge::StackAnalysis;

namespace {

StackAnalysis analyze(std::vector<uint8_t> code) { return analyze_stack_use(code, 0x1000); }

}  // namespace

TEST_CASE("register-only SSE code ending in ret is stackless") {
  // movdqu xmm0,[rsi]; paddd xmm0,xmm1; movdqu [rdi],xmm0; add rdi,64; dec rcx; jnz -?; ret
  const auto result = analyze({0xf3, 0x0f, 0x6f, 0x06,  // movdqu xmm0, [rsi]
                               0x66, 0x0f, 0xfe, 0xc1,  // paddd xmm0, xmm1
                               0xf3, 0x0f, 0x7f, 0x07,  // movdqu [rdi], xmm0
                               0x48, 0x83, 0xc7, 0x40,  // add rdi, 64
                               0x48, 0xff, 0xc9,        // dec rcx
                               0x75, 0xeb,              // jnz back to the start
                               0xc3});                  // ret
  CHECK(result.uses.empty());
  CHECK(result.instructions == 7);
}

TEST_CASE("each kind of stack use is reported at its address") {
  struct Case {
    const char* what;
    std::vector<uint8_t> code;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"push rbx", {0x53}, "push"},
      {"pop rbx", {0x5b}, "pop"},
      {"pushfq", {0x9c}, "push"},
      {"push imm", {0x6a, 0x01}, "push"},
      {"call rel32", {0xe8, 0x00, 0x00, 0x00, 0x00}, "call"},
      {"call rax", {0xff, 0xd0}, "call"},
      {"enter", {0xc8, 0x08, 0x00, 0x00}, "enter"},
      {"leave", {0xc9}, "leave"},
      {"mov [rsp+8], rax", {0x48, 0x89, 0x44, 0x24, 0x08}, "rsp/rbp"},
      {"movaps [rsp-0x18], xmm0 (red zone spill)", {0x0f, 0x29, 0x44, 0x24, 0xe8}, "rsp/rbp"},
      {"mov rax, [rbp-8]", {0x48, 0x8b, 0x45, 0xf8}, "rsp/rbp"},
      {"mov rax, [rdi+rbp]", {0x48, 0x8b, 0x04, 0x2f}, "rsp/rbp"},
      {"mov eax, [esp] (32-bit address)", {0x67, 0x8b, 0x04, 0x24}, "rsp/rbp"},
      {"lea rax, [rsp+16]", {0x48, 0x8d, 0x44, 0x24, 0x10}, "rsp/rbp"},
      {"sub rsp, 8", {0x48, 0x83, 0xec, 0x08}, "writes rsp"},
      {"mov rsp, rax", {0x48, 0x89, 0xc4}, "writes rsp"},
      {"and rsp, -16", {0x48, 0x83, 0xe4, 0xf0}, "writes rsp"},
      {"mov rax, rsp", {0x48, 0x89, 0xe0}, "copies rsp"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      // A harmless instruction first, so the reported address is checked.
      std::vector<uint8_t> code = {0x48, 0x31, 0xc0};  // xor rax, rax
      code.insert(code.end(), c.code.begin(), c.code.end());
      code.push_back(0xc3);
      const auto result = analyze(code);
      REQUIRE(result.uses.size() == 1);
      CHECK(result.uses[0].address == 0x1003);
      CHECK_THAT(result.uses[0].reason, Catch::Contains(c.reason));
      CHECK_FALSE(result.uses[0].instruction.empty());
    }
  }
}

TEST_CASE("rbp as an ordinary register is not stack use") {
  // add ebp, eax; mov rax, rbp; ret
  const auto result = analyze({0x01, 0xc5, 0x48, 0x89, 0xe8, 0xc3});
  CHECK(result.uses.empty());
  CHECK(result.instructions == 3);
}

TEST_CASE("bytes that do not decode are reported, not skipped") {
  const auto result = analyze({0x90, 0x48, 0x89});  // nop, then half an instruction
  REQUIRE(result.uses.size() == 1);
  CHECK(result.uses[0].address == 0x1001);
  CHECK_THAT(result.uses[0].reason, Catch::Contains("does not decode"));
}

TEST_CASE("the built image's ChaCha20 block routine is stackless") {
  const auto debug_bytes = test_support::built_debug_image();
  const auto debug = test_support::parse_valid(debug_bytes);
  std::string error;
  const auto code = find_function_code(debug, "vdsoforge_chacha20_blocks_sse2", error);
  INFO(error);
  REQUIRE(code.has_value());
  CHECK(code->size > 100);
  const auto result =
      analyze_stack_use(debug.bytes().subspan(code->file_offset, code->size), code->address);
  for (const auto& use : result.uses) INFO(use.instruction << ": " << use.reason);
  CHECK(result.uses.empty());
  CHECK(result.instructions > 50);
}

TEST_CASE("the analysis fails a routine that does use the stack: __vdso_getrandom") {
  const auto debug = test_support::parse_valid(test_support::built_debug_image());
  std::string error;
  const auto code = find_function_code(debug, "__vdso_getrandom", error);
  INFO(error);
  REQUIRE(code.has_value());
  const auto result =
      analyze_stack_use(debug.bytes().subspan(code->file_offset, code->size), code->address);
  REQUIRE_FALSE(result.uses.empty());
  CHECK(result.uses[0].address == code->address);  // it saves registers first thing
}

TEST_CASE("find_function_code needs a .symtab and a real function") {
  std::string error;
  const auto stripped = test_support::parse_valid(test_support::built_image());
  CHECK_FALSE(find_function_code(stripped, "vdsoforge_chacha20_blocks_sse2", error));
  CHECK_THAT(error, Catch::Contains(".symtab"));
  const auto debug = test_support::parse_valid(test_support::built_debug_image());
  CHECK_FALSE(find_function_code(debug, "no_such_function", error));
  CHECK_THAT(error, Catch::Contains("no_such_function"));
  CHECK_FALSE(find_function_code(debug, "_DYNAMIC", error));
  CHECK_THAT(error, Catch::Contains("not a function"));
}
