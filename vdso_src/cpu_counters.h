// The two CPU reads the time functions need, each a patch site of the
// image's cpu-patches note (cpu_patches.h), so a loader can do what the
// kernel's alternatives do for its own vDSO.
//
// rdtsc_ordered(): as linked "lfence; rdtsc", which every x86-64 CPU runs
// (LFENCE is SSE2) and which orders the TSC read after every earlier load on
// Intel and on the AMD CPUs Linux runs with LFENCE made dispatch-serialising:
// the counter is never read before the seqcount it is checked against.  On a
// CPU with RDTSCP a loader patches in "rdtscp" (ordered by itself), the
// kernel's own choice there; RDTSCP also writes ecx, so ecx is clobbered
// either way.
//
// cpu_node(): as linked "mov $0x7b, %eax; lsl %eax, %eax", the limit of the
// per-CPU GDT entry, which the kernel sets to (node << 12) | cpu on every
// CPU; on a CPU with RDPID a loader patches in "rdpid %rax", the same value
// from TSC_AUX.  Both give one snapshot: the task may migrate right after,
// as with the kernel's own getcpu.
//
// The note records go to subsection 1 of the note section, between the
// header and the end label that vdso_time.cpp puts in subsections 0 and 2,
// so however many copies the compiler inlines, each is one record.
#pragma once

#include <stdint.h>

#include "cpu_patches.h"
#include "vdso_time_abi.h"

namespace vdsoforge::image {

[[gnu::always_inline]] inline uint64_t rdtsc_ordered() {
  uint32_t low, high;
  asm volatile(
      "661:\n\t"
      "lfence\n\t"
      "rdtsc\n\t"
      "662:\n\t"
      ".pushsection .note.vdsoforge.cpu_patches, \"a\", @note\n\t"
      ".subsection 1\n\t"
      ".long 661b - vf_cpu_patches_note, 662b - 661b, 1\n\t"  // kCpuPatchRdtscp
      ".byte 0x0f, 0xae, 0xe8, 0x0f, 0x31, 0, 0, 0\n\t"       // lfence; rdtsc
      ".byte 0x0f, 0x01, 0xf9, 0x66, 0x90, 0, 0, 0\n\t"       // rdtscp; 2-byte nop
      ".popsection"
      : "=a"(low), "=d"(high)
      :
      : "rcx", "memory");
  return (uint64_t{high} << 32) | low;
}

[[gnu::always_inline]] inline uint32_t cpu_node() {
  uint64_t value;
  asm volatile(
      "661:\n\t"
      "movl $0x7b, %%eax\n\t"
      "lsl %%eax, %%eax\n\t"
      "662:\n\t"
      ".pushsection .note.vdsoforge.cpu_patches, \"a\", @note\n\t"
      ".subsection 1\n\t"
      ".long 661b - vf_cpu_patches_note, 662b - 661b, 2\n\t"      // kCpuPatchRdpid
      ".byte 0xb8, 0x7b, 0x00, 0x00, 0x00, 0x0f, 0x03, 0xc0\n\t"  // mov $0x7b,%eax; lsl
      ".byte 0xf3, 0x0f, 0xc7, 0xf8, 0x0f, 0x1f, 0x40, 0x00\n\t"  // rdpid %rax; 4-byte nop
      ".popsection"
      : "=a"(value));
  return static_cast<uint32_t>(value);
}

// The note's numbers the records above spell out.
static_assert(abi::kCpuPatchRdtscp == 1 && abi::kCpuPatchRdpid == 2);
static_assert(abi::kCpuPatchRecordSize == 4 + 4 + 4 + 8 + 8);
static_assert(abi::kCpuNodeSelector == 0x7b);

}  // namespace vdsoforge::image
