// The C source `vdsoforge embed --format kernel` writes: a drop-in
// replacement for arch/x86/entry/vdso/vdso-image-64.c, which the kernel's
// build otherwise generates from its own vDSO, for x86-64 Linux 6.12.
//
// The file defines `struct vdso_image vdso_image_64` (arch/x86/include/asm/
// vdso.h of that kernel) over the image padded to whole pages, the page
// symbols of the kernel's [vvar] mapping, an alternatives table that lets the
// kernel's apply_alternatives() choose the ChaCha20 routine at boot, no
// exception table, and the initcall that applies the table.  docs/kernel.md
// describes every field and how a kernel is built with it.
#pragma once

#include <cstdint>
#include <string>

#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools {

// What the kernel needs to know about each routine the alternatives table can
// select, as Linux 6.12's asm/cpufeatures.h numbers it.
struct KernelFeature {
  const char* name;  // "X86_FEATURE_AVX2"
  uint16_t number;   // word * 32 + bit
};

// Where the table and the replacement jumps went, for messages and tests.
struct KernelVdsoSource {
  std::string text;           // the C file
  uint64_t size = 0;          // struct vdso_image.size: bytes mapped as [vdso]
  uint64_t alt = 0;           // offset of the alternatives table in the pages
  uint64_t alt_len = 0;       // its length in bytes
  unsigned alternatives = 0;  // entries in it
};

// The kernel whose vdso_image this writes, as people name it.
inline constexpr const char* kKernelTargetName = "Linux 6.12 (x86-64)";

// Fills `out` and returns true, or returns false with `error` naming what
// stops the image from serving that kernel: a data layout other than the
// kernel's (naming both), no layout note, a load segment the kernel cannot
// map as is, or a routine whose CPU needs no kernel feature bit expresses.
bool generate_kernel_vdso_source(const ElfImage& elf, const std::string& source_name,
                                 KernelVdsoSource& out, std::string& error);

}  // namespace vdsoforge::tools
