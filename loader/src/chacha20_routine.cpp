// Reading the chacha20-routines note, checking the CPU, patching the jump.
#include "vdsoforge/chacha20_routine.h"

#include <cpuid.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "chacha20_routines.h"
#include "vgetrandom_abi.h"

namespace vdsoforge {
namespace {

constexpr uint32_t kMaxRoutines = 16;

uint32_t read_u32(const std::vector<uint8_t>& bytes, size_t at) {
  uint32_t value;
  std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;
}

std::optional<Chacha20Routine> routine_of_id(uint32_t id) {
  switch (static_cast<abi::ChachaRoutineId>(id)) {
    case abi::ChachaRoutineId::sse2: return Chacha20Routine::sse2;
    case abi::ChachaRoutineId::avx2: return Chacha20Routine::avx2;
    case abi::ChachaRoutineId::avx512: return Chacha20Routine::avx512;
  }
  return std::nullopt;  // a routine of a newer image: not ours to pick
}

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
    case Chacha20Routine::sse2: return abi::kCpuSse2;
    case Chacha20Routine::avx2: return abi::kCpuAvx2;
    case Chacha20Routine::avx512: return abi::kCpuAvx512;
    case Chacha20Routine::automatic: break;
  }
  return 0;
}

std::string what_needs(Chacha20Routine routine) {
  switch (routine) {
    case Chacha20Routine::avx2: return "AVX2 with the OS saving YMM state";
    case Chacha20Routine::avx512: return "AVX-512F and AVX-512VL with the OS saving ZMM state";
    default: return "SSE2";
  }
}

}  // namespace

std::string_view chacha20_routine_name(Chacha20Routine routine) {
  switch (routine) {
    case Chacha20Routine::automatic: return "auto";
    case Chacha20Routine::sse2: return "sse2";
    case Chacha20Routine::avx2: return "avx2";
    case Chacha20Routine::avx512: return "avx512";
  }
  return "?";
}

std::optional<Chacha20Routine> parse_chacha20_routine(std::string_view name) {
  for (Chacha20Routine r : {Chacha20Routine::automatic, Chacha20Routine::sse2,
                            Chacha20Routine::avx2, Chacha20Routine::avx512}) {
    if (name == chacha20_routine_name(r)) return r;
  }
  return std::nullopt;
}

bool cpu_supports(Chacha20Routine routine) {
  if (routine == Chacha20Routine::automatic) return true;
  static const uint32_t host = host_cpu_features();
  const uint32_t needed = features_of(routine);
  return (host & needed) == needed;
}

const Chacha20RoutineEntry* Chacha20Routines::find(Chacha20Routine routine) const {
  for (const auto& entry : routines) {
    if (entry.routine == routine) return &entry;
  }
  return nullptr;
}

std::optional<Chacha20Routines> read_chacha20_routines(const ElfImage& elf, Error& err) {
  const Note* found = nullptr;
  for (const Note& note : elf.notes()) {
    if (note.owner == abi::kNoteOwner && note.type == abi::kNoteTypeChachaRoutines) found = &note;
  }
  if (!found) return std::nullopt;
  const auto fail = [&](const std::string& what) {
    err = {Errc::bad_note, "chacha20-routines note at offset " + std::to_string(found->offset) +
                               ": " + what};
    return std::nullopt;
  };
  const std::vector<uint8_t>& desc = found->desc;
  if (desc.size() < 12) return fail("descriptor of " + std::to_string(desc.size()) + " bytes");
  if (read_u32(desc, 0) != abi::kChachaRoutinesFormat)
    return fail("format " + std::to_string(read_u32(desc, 0)) + ", expected " +
                std::to_string(abi::kChachaRoutinesFormat));
  const uint32_t count = read_u32(desc, 4);
  if (count == 0 || count > kMaxRoutines || desc.size() != 12 + size_t{count} * 12)
    return fail(std::to_string(count) + " routines in a " + std::to_string(desc.size()) +
                "-byte descriptor");
  const Segment& load = elf.load_segment();
  // Offsets are signed, from the note record; they must land in the file.
  const auto locate = [&](size_t at, uint64_t size, uint64_t& out) {
    const int64_t relative = static_cast<int32_t>(read_u32(desc, at));
    const int64_t offset = static_cast<int64_t>(found->offset) + relative;
    if (offset < 0 || static_cast<uint64_t>(offset) + size > load.filesz) return false;
    out = static_cast<uint64_t>(offset);
    return true;
  };
  Chacha20Routines table;
  if (!locate(8, abi::kJmpRel32Size, table.site))
    return fail("the dispatch jump lies outside the loadable segment");
  for (uint32_t i = 0; i < count; ++i) {
    const size_t at = 12 + size_t{i} * 12;
    const auto routine = routine_of_id(read_u32(desc, at));
    uint64_t entry = 0;
    if (!locate(at + 8, 1, entry))
      return fail("routine " + std::to_string(i) + " starts outside the loadable segment");
    if (routine) table.routines.push_back({*routine, read_u32(desc, at + 4), entry});
  }
  // As linked, the jump must be a rel32 jump to the SSE2 routine: anything
  // else means the note does not describe this text.
  const Chacha20RoutineEntry* baseline = table.find(Chacha20Routine::sse2);
  if (!baseline) return fail("no SSE2 routine, which the unpatched jump must reach");
  const uint8_t* site = elf.bytes().data() + load.offset + table.site;
  int32_t rel32;
  std::memcpy(&rel32, site + 1, sizeof rel32);
  const int64_t target = static_cast<int64_t>(table.site) + abi::kJmpRel32Size + rel32;
  if (site[0] != abi::kJmpRel32Opcode || target != static_cast<int64_t>(baseline->entry))
    return fail("the bytes at the dispatch site are not a rel32 jump to the SSE2 routine");
  return table;
}

std::optional<Chacha20Routine> choose_chacha20_routine(const Chacha20Routines& table,
                                                       Chacha20Routine requested, Error& err) {
  std::string source = "OpenOptions::chacha20";
  if (requested == Chacha20Routine::automatic) {
    const char* env = std::getenv(kChachaEnvVar);
    if (env && *env) {
      const auto parsed = parse_chacha20_routine(env);
      if (!parsed) {
        err = {Errc::invalid_argument, std::string(kChachaEnvVar) + "=" + env +
                                           ": expected auto, sse2, avx2 or avx512"};
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
    if (!best) err = {Errc::not_supported, "the CPU runs none of the image's ChaCha20 routines"};
    return best;
  }
  const std::string name(chacha20_routine_name(requested));
  if (!table.find(requested)) {
    err = {Errc::not_supported, source + " asks for the " + name +
                                    " ChaCha20 routine, which the image does not have"};
    return std::nullopt;
  }
  if (!cpu_supports(requested)) {
    err = {Errc::not_supported, source + " asks for the " + name +
                                    " ChaCha20 routine, which needs " + what_needs(requested) +
                                    "; this CPU or kernel lacks it"};
    return std::nullopt;
  }
  return requested;
}

Error patch_chacha20_routine(const Chacha20Routines& table, Chacha20Routine routine,
                             uint8_t* text, uint64_t text_size) {
  const Chacha20RoutineEntry* entry = table.find(routine);
  if (!entry || table.site + abi::kJmpRel32Size > text_size || entry->entry >= text_size)
    return {Errc::invalid_argument, "no " + std::string(chacha20_routine_name(routine)) +
                                        " routine inside the text to patch"};
  const int64_t rel = static_cast<int64_t>(entry->entry) -
                      static_cast<int64_t>(table.site + abi::kJmpRel32Size);
  const auto rel32 = static_cast<int32_t>(rel);
  text[table.site] = abi::kJmpRel32Opcode;
  std::memcpy(text + table.site + 1, &rel32, sizeof rel32);
  return {};
}

}  // namespace vdsoforge
