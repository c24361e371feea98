// `vdsoforge exec --kernel-data`: the image reads the program's own live
// kernel data pages instead of the emulated copy.
//
// The kernel keeps its vDSO data in special mappings directly below [vdso]
// (6.15+: [vvar] time, timens, rng, arch, then [vvar_vclock] pvclock,
// hvclock).  An image of the same layout profile reads exactly those pages
// at exactly those distances below its first byte.  So at each exec the
// program is made to mremap() its [vvar] and [vvar_vclock] whole to the
// place below the image, and to unmap the kernel's [vdso], whose code would
// look for them where they were.  Every clock the image serves then is the
// kernel's by construction, coarse ones included, and its getrandom reads
// the kernel's real generation and is_ready.
//
// Why mremap, and why in the program (Linux 6.18, mm/mmap.c, lib/vdso/
// datastore.c): a special mapping cannot be split (special_mapping_split()
// returns -EINVAL) or mapped anew, but it can be moved whole, which is what
// CRIU does on restore.  special_mapping_mremap() refuses with -EFAULT when
// current->mm is not the mapping's mm, so the move must be a system call of
// the program itself, which the injector makes.  The vvar fault handler
// picks the page by vmf->pgoff, which the move keeps, so the pages fault in
// the same at the new place; inside a time namespace the namespace's page
// still lands at the time slot, as the kernel intends.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "syscall_injector.h"
#include "vdsoforge/loader.h"

namespace vdsoforge::exec {

// "" if `image` reads its data exactly where the running kernel keeps it:
// its layout profile (from its code as `abi`'s layout checks find it, else
// its data-layout note) is the kernel's (from the kernel vDSO's code), its
// data area is that profile's, and this process's kernel data mappings
// below [vdso] are the profile's.  Otherwise why not, in a sentence naming
// both profiles.
std::string kernel_data_mismatch(const LoadedImage& image, const std::string& image_name);

// In a program stopped right after execve (the injector begun there): moves
// its kernel data mappings ([vvar], [vvar_vclock]) whole so that they end at
// `image_text`, where the image's data area of `data_size` bytes goes, then
// unmaps the kernel's [vdso].  False with error saying which step failed
// (the kernel's errno, or mappings that do not add up to `data_size`).
bool move_kernel_data_below(SyscallInjector& injector, pid_t pid, uintptr_t image_text,
                            size_t data_size, std::string& error);

}  // namespace vdsoforge::exec
