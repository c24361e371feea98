// Register hygiene of every ChaCha20 routine, alone and inside the image:
// after a call no vector register holds key or keystream (each 16-byte lane
// is either untouched, still the caller's canary, or zero), and the callee
// leaves no dirty upper register state behind (vzeroupper semantics: XINUSE
// reports the AVX and ZMM_Hi256 components in their initial state), so SSE
// code after it pays no transition penalty.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "chacha20.h"
#include "register_probe.h"
#include "skip.h"
#include "vdsoforge/loader.h"

namespace {

using register_probe::Registers;
using register_probe::Width;
using vdsoforge::Chacha20Routine;

constexpr uint64_t kXinuseAvx = 1u << 2;       // upper halves of ymm0-15
constexpr uint64_t kXinuseZmmHi256 = 1u << 6;  // upper halves of zmm0-15

Registers make_canary() {
  Registers canary{};
  for (int reg = 0; reg < register_probe::kRegisters; ++reg)
    for (int byte = 0; byte < register_probe::kRegisterBytes; ++byte)
      canary[reg][byte] = static_cast<uint8_t>(0x80 | ((reg * 7 + byte * 13) & 0x7f));
  return canary;
}

// Every 16-byte lane of every probed register is the canary or zero; names the
// first one that is not.
std::string find_leak(Width width, const Registers& canary, const Registers& dump) {
  const uint8_t zero[16] = {};
  for (int reg = 0; reg < register_probe::register_count(width); ++reg) {
    for (int lane = 0; lane < register_probe::register_bytes(width) / 16; ++lane) {
      const uint8_t* got = dump[reg].data() + lane * 16;
      if (std::memcmp(got, canary[reg].data() + lane * 16, 16) != 0 &&
          std::memcmp(got, zero, 16) != 0)
        return "register " + std::to_string(reg) + " lane " + std::to_string(lane) +
               " holds neither its canary nor zero";
    }
  }
  return "";
}

struct RoutineUnderTest {
  Chacha20Routine routine;
  const void* fn;
};

RoutineUnderTest routine_under_test() {
  const RoutineUnderTest sse2{Chacha20Routine::sse2,
                              reinterpret_cast<const void*>(vdsoforge_chacha20_blocks_sse2)};
  const RoutineUnderTest avx2{Chacha20Routine::avx2,
                              reinterpret_cast<const void*>(vdsoforge_chacha20_blocks_avx2)};
  const RoutineUnderTest avx512{Chacha20Routine::avx512,
                                reinterpret_cast<const void*>(vdsoforge_chacha20_blocks_avx512)};
  if (vdsoforge::cpu_supports(Chacha20Routine::avx512)) return GENERATE_COPY(sse2, avx2, avx512);
  if (vdsoforge::cpu_supports(Chacha20Routine::avx2)) return GENERATE_COPY(sse2, avx2);
  return sse2;
}

// Calls fn(args) twice through the probe: once with every register full of
// canaries (contents check), once with the upper state cleaned first (so a
// dirty upper state afterwards is the callee's).  Returns the first call's rax.
long check_call(const void* fn, const std::array<uint64_t, 5>& args, const std::string& what) {
  INFO(what);
  const Width width = register_probe::widest();
  const Registers canary = make_canary();
  Registers dump{};
  register_probe::Call call{};
  call.fn = fn;
  std::copy(args.begin(), args.end(), call.args);
  call.canary = &canary;
  call.dump = &dump;
  register_probe::call(width, call);
  CHECK(find_leak(width, canary, dump) == "");
  const long ret = call.ret;

  if (width != Width::xmm && register_probe::has_xinuse()) {
    register_probe::Call clean = call;
    clean.flags = register_probe::kCleanUpper | register_probe::kReadXinuse;
    register_probe::call(width, clean);
    CHECK((clean.xinuse & (kXinuseAvx | kXinuseZmmHi256)) == 0);
  }
  return ret;
}

}  // namespace

TEST_CASE("the probe sees what a callee leaves in registers", "[hygiene]") {
  // A callee that leaves a register dirty must be caught, or the checks
  // below could not fail.
  // (Without AVX the last test case reports the SKIP.)
  if (register_probe::widest() == Width::xmm) return;
  const Registers canary = make_canary();
  Registers dump{};
  register_probe::Call call{};
  call.fn = reinterpret_cast<const void*>(+[] {
    asm volatile("vpcmpeqd %%ymm3, %%ymm3, %%ymm3" ::: "xmm3");
  });
  call.canary = &canary;
  call.dump = &dump;
  register_probe::call(register_probe::widest(), call);
  CHECK(find_leak(register_probe::widest(), canary, dump) != "");
  if (register_probe::has_xinuse()) {
    call.flags = register_probe::kCleanUpper | register_probe::kReadXinuse;
    register_probe::call(register_probe::widest(), call);
    CHECK((call.xinuse & kXinuseAvx) != 0);
  }
}

TEST_CASE("ChaCha20 routines leave no key or keystream in vector registers", "[hygiene]") {
  const RoutineUnderTest r = routine_under_test();
  INFO("routine " << vdsoforge::chacha20_routine_name(r.routine));
  std::array<uint8_t, 32> key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0x31 + i);
  for (uint64_t blocks : {1u, 2u, 3u, 8u, 16u, 37u}) {
    std::vector<uint8_t> out(blocks * 64);
    uint32_t counter[2] = {0xfffffff0u, 0};
    check_call(r.fn,
               {reinterpret_cast<uint64_t>(out.data()), reinterpret_cast<uint64_t>(key.data()),
                reinterpret_cast<uint64_t>(counter), blocks, 0},
               std::to_string(blocks) + " blocks");
  }
}

TEST_CASE("the image's getrandom leaves no key or keystream in vector registers", "[hygiene]") {
  const RoutineUnderTest r = routine_under_test();
  const std::string name(vdsoforge::chacha20_routine_name(r.routine));
  INFO("routine " << name);
  vdsoforge::OpenOptions options;
  options.mode = vdsoforge::GenerationMode::manual;
  options.chacha20 = r.routine;
  vdsoforge::Error err;
  auto image = vdsoforge::LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, options);
  REQUIRE(image);
  REQUIRE(image->chacha20_routine() == r.routine);
  image->data_page()->set_ready(true);
  auto pool = vdsoforge::StateAllocator::create(image->getrandom(), err);
  REQUIRE(pool);
  void* state = pool->allocate(err);
  REQUIRE(state);
  const void* getrandom = reinterpret_cast<const void*>(image->getrandom());
  // 1 byte reseeds and refills; 5000 takes whole blocks, a tail and a refill.
  for (uint64_t len : {1u, 4u, 100u, 5000u}) {
    std::vector<uint8_t> buffer(len);
    const long ret = check_call(
        getrandom,
        {reinterpret_cast<uint64_t>(buffer.data()), len, 0, reinterpret_cast<uint64_t>(state), 144},
        name + ", " + std::to_string(len) + " bytes");
    CHECK(ret == static_cast<long>(len));
  }
  pool->release(state);
}

// Last, because a SKIP ends the program: a CPU where the checks above ran
// narrower than they could says so.
TEST_CASE("the probe runs at full width with XINUSE on this CPU", "[hygiene]") {
  if (register_probe::widest() == Width::xmm)
    vdsoforge_skip("CPU lacks AVX: only xmm registers are probed");
  if (!register_probe::has_xinuse())
    vdsoforge_skip("CPU lacks xgetbv ecx=1: the upper-state check is not made");
  SUCCEED();
}
