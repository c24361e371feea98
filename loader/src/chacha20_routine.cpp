// Checking the CPU, choosing the ChaCha20 routine, patching the jump.
#include "vdsoforge/chacha20_routine.h"

#include <cpuid.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "chacha20_routines.h"
#include "vdsoforge/vgetrandom_abi.h"

namespace vdsoforge {
namespace {

uint64_t read_xcr0() {
  uint32_t low, high;
  asm volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (uint64_t{high} << 32) | low;
}

// kCpu* bits this CPU and the kernel allow: the instruction set (CPUID) and
// the register state the kernel saves (XCR0), as the kernel's own
// alternatives and glibc's ifuncs decide.
uint32_t host_cpu_features() {
  uint32_t features = abi::kCpuSse2;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return features;
  if (!(ecx & bit_OSXSAVE) || !(ecx & bit_AVX)) return features;
  const uint64_t xcr0 = read_xcr0();
  constexpr uint64_t kXmmYmm = 0x6, kOpmaskZmm = 0xe0;
  if ((xcr0 & kXmmYmm) != kXmmYmm) return features;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return features;
  if (ebx & bit_AVX2) features |= abi::kCpuAvx2;
  if ((ebx & bit_AVX512F) && (ebx & bit_AVX512VL) && (xcr0 & kOpmaskZmm) == kOpmaskZmm)
    features |= abi::kCpuAvx512;
  return features;
}

uint32_t features_of(Chacha20Routine routine) {
  switch (routine) {
    case Chacha20Routine::sse2:
      return abi::kCpuSse2;
    case Chacha20Routine::avx2:
      return abi::kCpuAvx2;
    case Chacha20Routine::avx512:
      return abi::kCpuAvx512;
    case Chacha20Routine::automatic:
      break;
  }
  return 0;
}

std::string what_needs(Chacha20Routine routine) {
  switch (routine) {
    case Chacha20Routine::avx2:
      return "AVX2 with the OS saving YMM state";
    case Chacha20Routine::avx512:
      return "AVX-512F and AVX-512VL with the OS saving ZMM state";
    default:
      return "SSE2";
  }
}

}  // namespace

bool cpu_supports(Chacha20Routine routine) {
  if (routine == Chacha20Routine::automatic) return true;
  static const uint32_t host = host_cpu_features();
  const uint32_t needed = features_of(routine);
  return (host & needed) == needed;
}

std::optional<Chacha20Routine> choose_chacha20_routine(const Chacha20Routines& table,
                                                       Chacha20Routine requested, Error& err) {
  std::string source = "OpenOptions::chacha20";
  if (requested == Chacha20Routine::automatic) {
    const char* env = std::getenv(kChachaEnvVar);
    if (env && *env) {
      const auto parsed = parse_chacha20_routine(env);
      if (!parsed) {
        err = {LoaderErrc::invalid_argument,
               std::string(kChachaEnvVar) + "=" + env + ": expected auto, sse2, avx2 or avx512"};
        return std::nullopt;
      }
      requested = *parsed;
      source = std::string(kChachaEnvVar) + "=" + env;
    }
  }
  if (requested == Chacha20Routine::automatic) {
    // Best last in the note: the last one the CPU runs.
    std::optional<Chacha20Routine> best;
    for (const auto& entry : table.routines) {
      if (cpu_supports(entry.routine)) best = entry.routine;
    }
    if (!best)
      err = {LoaderErrc::not_supported, "the CPU runs none of the image's ChaCha20 routines"};
    return best;
  }
  const std::string name(chacha20_routine_name(requested));
  if (!table.find(requested)) {
    err = {LoaderErrc::not_supported,
           source + " asks for the " + name + " ChaCha20 routine, which the image does not have"};
    return std::nullopt;
  }
  if (!cpu_supports(requested)) {
    err = {LoaderErrc::not_supported, source + " asks for the " + name +
                                          " ChaCha20 routine, which needs " +
                                          what_needs(requested) + "; this CPU or kernel lacks it"};
    return std::nullopt;
  }
  return requested;
}

Error patch_chacha20_routine(const Chacha20Routines& table, Chacha20Routine routine, uint8_t* text,
                             uint64_t text_size) {
  const Chacha20RoutineEntry* entry = table.find(routine);
  if (!entry || table.site + abi::kJmpRel32Size > text_size || entry->entry >= text_size)
    return {LoaderErrc::invalid_argument, "no " + std::string(chacha20_routine_name(routine)) +
                                              " routine inside the text to patch"};
  const int64_t rel =
      static_cast<int64_t>(entry->entry) - static_cast<int64_t>(table.site + abi::kJmpRel32Size);
  const auto rel32 = static_cast<int32_t>(rel);
  text[table.site] = abi::kJmpRel32Opcode;
  std::memcpy(text + table.site + 1, &rel32, sizeof rel32);
  return {};
}

}  // namespace vdsoforge
