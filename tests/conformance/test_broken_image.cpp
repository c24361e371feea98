// The suite must catch a broken image.  Each mutant below is the built image
// with one deliberate bug patched into its machine code; the byte-identical
// comparison against the kernel (or, for the block routine, against the
// reference ChaCha20) must report it.  The unpatched image, loaded the same
// way, must pass the same checks, so a detection is the patch's doing.
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <vector>

#include "child_process.h"
#include "child_report.h"
#include "differential.h"
#include "files.h"
#include "getrandom_interceptor.h"
#include "image_mutants.h"
#include "reference_chacha20.h"
#include "targets.h"
#include "test_seed.h"
#include "trapped_run.h"

using namespace conformance;

namespace {

using ChachaBlocksFn = void (*)(uint8_t* dst, const uint8_t* key, uint32_t* counter,
                                size_t nblocks);

struct ShippedImage {
  std::vector<uint8_t> bytes;
  FunctionRange getrandom, chacha;
};

ShippedImage shipped_image() {
  std::string error;
  ShippedImage image;
  image.bytes = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  auto getrandom = find_function(VDSOFORGE_TEST_DEBUG_IMAGE, "__vdso_getrandom", error);
  auto chacha = find_function(VDSOFORGE_TEST_DEBUG_IMAGE, "vdsoforge_chacha20_blocks_sse2", error);
  INFO(error);
  REQUIRE(getrandom);
  REQUIRE(chacha);
  image.getrandom = *getrandom;
  image.chacha = *chacha;
  // The debug image's symbols must describe the shipped bytes.
  const auto debug = test_support::read_file(VDSOFORGE_TEST_DEBUG_IMAGE);
  for (const FunctionRange& f : {image.getrandom, image.chacha}) {
    REQUIRE(f.offset + f.size <= image.bytes.size());
    REQUIRE(f.offset + f.size <= debug.size());
    REQUIRE(std::memcmp(image.bytes.data() + f.offset, debug.data() + f.offset, f.size) == 0);
  }
  return image;
}

std::unique_ptr<vdsoforge::LoadedImage> load(const std::vector<uint8_t>& bytes) {
  vdsoforge::Error err;
  vdsoforge::OpenOptions options;
  options.mode = vdsoforge::GenerationMode::manual;
  // No time-mirroring thread either: these children fork, and a thread
  // holding the sanitizer allocator's lock at fork() deadlocks the child.
  options.time_mode = vdsoforge::TimeMode::manual;
  // The mutants patch the SSE2 routine's instructions, so that routine runs.
  options.chacha20 = vdsoforge::Chacha20Routine::sse2;
  auto image = vdsoforge::LoadedImage::open_memory(bytes, err, options);
  INFO(err.message);
  REQUIRE(image);
  REQUIRE(image->getrandom());
  image->data_page()->set_ready(true);
  return image;
}

// Kernel vs `image` byte for byte; returns the first mismatch ("" if none).
DifferentialResult compare_with_kernel(vdsoforge::LoadedImage& image, uint64_t seed) {
  DifferentialConfig config;
  config.reference = as_impl(targets().kernel_getrandom);
  config.candidate = as_impl(image.getrandom());
  config.set_candidate_generation = [&](uint64_t g) { image.data_page()->set_generation(g); };
  config.seed = seed;
  config.random_requests = 3000;
  return run_differential(config);
}

// The reseed paths, which the comparison above never takes (the candidate's
// page always has the state's generation): in a child under the seccomp trap,
// the kernel and `image` reseed zero states with the same scripted key, with
// the 32-byte syscall succeeding and failing.  Returns the first difference.
std::string compare_reseeds_with_kernel(vdsoforge::LoadedImage& image, uint64_t seed) {
  const GetrandomImpl kernel = as_impl(targets().kernel_getrandom);
  const GetrandomImpl candidate = as_impl(image.getrandom());
  ChildReport report;
  const ChildStatus status = run_in_child(report, [&](ChildReport& r) {
    if (std::string e = install_getrandom_trap({seed}); !e.empty()) return r.fail(e), false;
    for (const long fail_len : {-1L, 32L}) {
      for (const size_t len : {size_t{1}, size_t{40}, size_t{200}}) {
        for (int attempt = 0; attempt < 3; ++attempt) {
          // The kernel's generation, read off a state it seeds.
          const uint64_t generation =
              state_generation(run_trapped(kernel, {}, 1, 0, TrapScript{seed}).call.state);
          image.data_page()->set_generation(generation);
          const TrapScript script{seed, fail_len, 5};
          const TrappedOutcome expected = run_trapped(kernel, {}, len, 0, script);
          const TrappedOutcome actual = run_trapped(candidate, {}, len, 0, script);
          const uint64_t after =
              state_generation(run_trapped(kernel, {}, 1, 0, TrapScript{seed}).call.state);
          if (after != generation) continue;  // the kernel reseeded meanwhile: redo
          if (std::string why = compare_trapped(expected, actual); !why.empty())
            r.fail(why + " [zero state, len " + std::to_string(len) +
                   (fail_len < 0 ? ", reseed succeeds]" : ", reseed syscall fails]"));
          break;
        }
      }
    }
    return true;  // a difference is a finding, not a child failure
  });
  if (!status.ok) return "the comparison child failed: " + status.problem + " " + report.failure;
  return report.failure;
}

// The image's own block routine, called in place, against the reference
// across the 32-bit boundary of the block counter.
std::string check_block_routine(vdsoforge::LoadedImage& image, FunctionRange chacha) {
  auto fn = reinterpret_cast<ChachaBlocksFn>(image.base() + chacha.offset);
  std::array<uint8_t, 32> key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
  for (const uint64_t start :
       {uint64_t{0}, uint64_t{5}, uint64_t{0xfffffffe}, uint64_t{0xffffffff}}) {
    constexpr size_t kBlocks = 3;
    std::vector<uint8_t> ours(kBlocks * 64), expected(kBlocks * 64);
    uint32_t counter[2] = {static_cast<uint32_t>(start), static_cast<uint32_t>(start >> 32)};
    fn(ours.data(), key.data(), counter, kBlocks);
    uint64_t expected_counter = start;
    reference_chacha20_blocks(expected, key, expected_counter, kBlocks);
    const uint64_t got_counter = counter[0] | uint64_t{counter[1]} << 32;
    if (ours != expected)
      return "keystream from counter " + std::to_string(start) + " differs from the reference";
    if (got_counter != expected_counter)
      return "counter after " + std::to_string(start) + " + 3 blocks is " +
             std::to_string(got_counter);
  }
  return {};
}

bool is_mnemonic(const ZydisDecodedInstruction& i, ZydisMnemonic m) { return i.mnemonic == m; }

}  // namespace

TEST_CASE("the image's block routine equals the reference ChaCha20 across the counter carry") {
  const ShippedImage shipped = shipped_image();
  auto image = load(shipped.bytes);
  const std::string why = check_block_routine(*image, shipped.chacha);
  INFO(why);
  CHECK(why.empty());
  std::printf(
      "[conformance] block-routine: the shipped image's ChaCha20 equals the reference at "
      "counters 0, 5, 2^32-2, 2^32-1 (carry into word 13)\n");
}

TEST_CASE("broken images are caught") {
  const ShippedImage shipped = shipped_image();
  const uint64_t seed = test_seed("broken-image");

  // Control: the unpatched bytes, loaded the same way, pass.
  {
    auto image = load(shipped.bytes);
    const DifferentialResult control = compare_with_kernel(*image, seed);
    INFO(control.mismatch << control.error);
    REQUIRE(control.error.empty());
    REQUIRE(control.mismatch.empty());
    const std::string reseeds = compare_reseeds_with_kernel(*image, seed);
    INFO(reseeds);
    REQUIRE(reseeds.empty());
  }

  enum class Check { requests, reseeds, block_routine };
  struct Variant {
    const char* name;
    const FunctionRange* where;
    InstructionMatch match;
    InstructionPatch patch;
    Check check;  // which comparison is expected to see the bug
  };
  auto state_store = [](uint64_t displacement, uint64_t value) -> InstructionMatch {
    return [=](const ZydisDecodedInstruction& i, const ZydisDecodedOperand* ops) {
      return is_mnemonic(i, ZYDIS_MNEMONIC_MOV) && ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
             ops[0].mem.disp.value == static_cast<int64_t>(displacement) &&
             ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[1].imm.value.u == value;
    };
  };
  const std::vector<Variant> variants = {
      {"refill forgets to zero served bytes (zeroing stores NOPed)", &shipped.getrandom,
       [](const ZydisDecodedInstruction& i, const ZydisDecodedOperand* ops) {
         // mov [reg], 0 with no displacement: the stores that wipe served
         // batch bytes (state fields are stored at a displacement).
         return is_mnemonic(i, ZYDIS_MNEMONIC_MOV) && ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
                ops[0].mem.base != ZYDIS_REGISTER_RSP && ops[0].mem.disp.value == 0 &&
                ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[1].imm.value.u == 0;
       },
       nop_out, Check::requests},
      {"block counter does not advance (paddq NOPed)", &shipped.chacha,
       [](const ZydisDecodedInstruction& i, const ZydisDecodedOperand*) {
         return is_mnemonic(i, ZYDIS_MNEMONIC_PADDQ);
       },
       nop_out, Check::requests},
      {"block counter not stored back (movq to [rdx] NOPed)", &shipped.chacha,
       [](const ZydisDecodedInstruction& i, const ZydisDecodedOperand* ops) {
         return is_mnemonic(i, ZYDIS_MNEMONIC_MOVQ) && ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY;
       },
       nop_out, Check::requests},
      {"in_use never cleared (stores of 0 to byte 137 NOPed)", &shipped.getrandom,
       state_store(137, 0), nop_out, Check::requests},
      {"reseed forgets to record the generation (stores to byte 128 from a register NOPed)",
       &shipped.getrandom,
       [](const ZydisDecodedInstruction& i, const ZydisDecodedOperand* ops) {
         return is_mnemonic(i, ZYDIS_MNEMONIC_MOV) && ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
                ops[0].mem.disp.value == 128 && ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER;
       },
       nop_out, Check::reseeds},
      {"failed reseed keeps the generation (generation = 0 NOPed)", &shipped.getrandom,
       state_store(128, 0), nop_out, Check::reseeds},
      {"counter does not carry (paddq -> paddd)", &shipped.chacha,
       [](const ZydisDecodedInstruction& i, const ZydisDecodedOperand*) {
         return is_mnemonic(i, ZYDIS_MNEMONIC_PADDQ);
       },
       [](uint8_t* bytes, const ZydisDecodedInstruction& i) {
         // 66 [REX] 0F D4 /r (paddq) -> 66 [REX] 0F FE /r (paddd): same operands.
         for (uint8_t* p = bytes; p + 1 < bytes + i.length; ++p) {
           if (p[0] == 0x0f && p[1] == 0xd4) {
             p[1] = 0xfe;
             return;
           }
         }
       },
       Check::block_routine},
  };

  size_t caught = 0;
  for (const Variant& v : variants) {
    std::vector<uint8_t> bytes = shipped.bytes;
    std::string error;
    const long sites = patch_function(bytes, *v.where, v.match, v.patch, error);
    INFO(v.name << ": " << error);
    REQUIRE(sites > 0);  // the compiled code changed shape: update the mutant
    REQUIRE(bytes != shipped.bytes);
    auto image = load(bytes);
    std::string verdict;
    if (v.check == Check::reseeds) {
      verdict = compare_reseeds_with_kernel(*image, seed);
      const DifferentialResult r = compare_with_kernel(*image, seed);
      std::printf("[conformance] broken-image: \"%s\" through served requests: %s\n", v.name,
                  r.mismatch.empty() ? "not observable (no reseed there)" : r.mismatch.c_str());
    } else if (v.check == Check::block_routine) {
      verdict = check_block_routine(*image, shipped.chacha);
      // For the record: getrandom itself cannot show this bug, since one call
      // generates at most 0x7ffff000 / 64 + 2 blocks, far below 2^32.
      const DifferentialResult r = compare_with_kernel(*image, seed);
      std::printf("[conformance] broken-image: \"%s\" through getrandom: %s\n", v.name,
                  r.mismatch.empty() ? "not observable (as expected)" : r.mismatch.c_str());
    } else {
      const DifferentialResult r = compare_with_kernel(*image, seed);
      REQUIRE(r.error.empty());
      verdict = r.mismatch;
    }
    CHECK_FALSE(verdict.empty());
    caught += !verdict.empty();
    std::printf("[conformance] broken-image: \"%s\" (%ld sites patched): %s%s\n", v.name, sites,
                verdict.empty() ? "NOT CAUGHT" : "caught: ", verdict.c_str());
  }
  std::printf("[conformance] broken-image: %zu of %zu mutants caught, unpatched control passed\n",
              caught, variants.size());
}
