// The image's cpu-patches note: instructions a loader may replace by faster
// ones the CPU has, as the kernel's alternatives do for its own vDSO.
//
// An ELF note (owner "vdsoforge", type kNoteTypeCpuPatches) in PT_NOTE.  Its
// descriptor is little-endian: u32 format (kCpuPatchesFormat), then one
// 28-byte record per patch site, to the end of the descriptor:
//
//   site          s32, offset of the site from the first byte of the note
//                 record (its namesz word), resolved by the linker
//   length        u32, bytes at the site (1-8)
//   feature       u32, the kCpuPatch* feature the replacement needs
//   original[8]   the bytes the site holds as linked (the first `length`)
//   replacement[8] what a CPU with the feature runs instead
//
// A loader that ignores the note runs the originals, correct on every
// x86-64 CPU.  One that applies it checks each site still holds `original`
// and writes `replacement` while the text is still writable.
#pragma once

#include <stdint.h>

namespace vdsoforge::abi {

inline constexpr uint32_t kNoteTypeCpuPatches = 3;
inline constexpr uint32_t kCpuPatchesFormat = 1;
inline constexpr uint32_t kCpuPatchRecordSize = 28;
inline constexpr uint32_t kCpuPatchMaxLength = 8;

// CPUID.80000001H:EDX[27]: "lfence; rdtsc" becomes "rdtscp" (the kernel's
// rdtsc_ordered() on such CPUs).
inline constexpr uint32_t kCpuPatchRdtscp = 1;
// CPUID.(EAX=7,ECX=0):ECX[22]: getcpu's "lsl" of the per-CPU GDT entry
// becomes "rdpid" (the kernel's vdso_read_cpunode() on such CPUs).
inline constexpr uint32_t kCpuPatchRdpid = 2;

}  // namespace vdsoforge::abi
