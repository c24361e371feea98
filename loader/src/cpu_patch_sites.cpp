#include "cpu_patch_sites.h"

#include <cpuid.h>

#include <cstring>
#include <string>

#include "cpu_patches.h"  // vdso_src: the note's layout and feature bits
#include "vdsoforge/vgetrandom_abi.h"

namespace vdsoforge::detail {
namespace {

using abi::kCpuPatchesFormat;
using abi::kNoteTypeCpuPatches;
constexpr uint32_t kRecordSize = abi::kCpuPatchRecordSize;
constexpr uint32_t kMaxLength = abi::kCpuPatchMaxLength;
constexpr uint32_t kRdtscp = abi::kCpuPatchRdtscp;
constexpr uint32_t kRdpid = abi::kCpuPatchRdpid;

uint32_t read_u32(const std::vector<uint8_t>& bytes, size_t at) {
  uint32_t value;
  std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;
}

}  // namespace

uint32_t cpu_patch_features() {
  uint32_t features = 0;
  unsigned eax, ebx, ecx, edx;
  if (__get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx) && (edx & (1u << 27))) features |= kRdtscp;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 22))) features |= kRdpid;
  return features;
}

Error apply_cpu_patches(const ElfImage& elf, uint8_t* text, size_t size, uint32_t features,
                        size_t& applied) {
  applied = 0;
  for (const Note& note : elf.notes()) {
    if (note.owner != abi::kNoteOwner || note.type != kNoteTypeCpuPatches) continue;
    const auto fail = [&](const std::string& what) {
      return Error{Errc::bad_note,
                   "cpu-patches note at offset " + std::to_string(note.offset) + ": " + what};
    };
    const std::vector<uint8_t>& desc = note.desc;
    if (desc.size() < 4 || (desc.size() - 4) % kRecordSize != 0)
      return fail("descriptor of " + std::to_string(desc.size()) + " bytes");
    if (read_u32(desc, 0) != kCpuPatchesFormat)
      return fail("format " + std::to_string(read_u32(desc, 0)) + ", expected 1");
    // Every record is checked before any is applied: a bad note changes nothing.
    for (int pass = 0; pass < 2; ++pass) {
      for (size_t at = 4; at < desc.size(); at += kRecordSize) {
        const int64_t site =
            static_cast<int64_t>(note.offset) + static_cast<int32_t>(read_u32(desc, at));
        const uint32_t length = read_u32(desc, at + 4);
        const uint32_t feature = read_u32(desc, at + 8);
        const uint8_t* original = desc.data() + at + 12;
        const uint8_t* replacement = desc.data() + at + 20;
        const std::string where = "site " + std::to_string(site);
        if (length == 0 || length > kMaxLength || site < 0 ||
            static_cast<uint64_t>(site) + length > size)
          return fail(where + " of " + std::to_string(length) +
                      " bytes lies outside the loadable segment");
        if (pass == 0) {
          if (std::memcmp(text + site, original, length) != 0)
            return fail(where + " does not hold the instructions the note names");
        } else if (features & feature) {
          std::memcpy(text + site, replacement, length);
          ++applied;
        }
      }
    }
  }
  return {};
}

}  // namespace vdsoforge::detail
