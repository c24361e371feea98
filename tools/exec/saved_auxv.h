// The kernel's own copy of a program's auxiliary vector (mm->saved_auxv,
// what /proc/PID/auxv shows), made to match the rewritten copy on its
// initial stack, so a program or library that reads /proc/self/auxv instead
// of its stack finds the image as well.
//
// Only the process itself can change it, with prctl(PR_SET_MM): the injector
// makes the stopped program run the call.  PR_SET_MM_AUXV needs
// CAP_SYS_RESOURCE; PR_SET_MM_MAP (a kernel built with CHECKPOINT_RESTORE)
// needs no capability but restates every field of the memory map, read from
// /proc/PID/stat and brk(0).
#pragma once

#include <sys/types.h>

#include <string>

#include "initial_stack.h"
#include "syscall_injector.h"

namespace vdsoforge::exec {

enum class SavedAuxvUpdate {
  prctl_auxv,    // PR_SET_MM_AUXV
  prctl_mm_map,  // PR_SET_MM_MAP
  not_updated,   // neither was allowed; /proc/PID/auxv still names the kernel's vDSO
};

const char* saved_auxv_update_name(SavedAuxvUpdate how);

struct SavedAuxvResult {
  SavedAuxvUpdate how = SavedAuxvUpdate::not_updated;
  std::string why_not;  // for not_updated: what each prctl answered
};

// Copies `auxv` (already rewritten on the stack) into the kernel's saved
// copy.  `scratch` is writable memory in the program for the PR_SET_MM_MAP
// record.  False only if the program could not be made to run the calls
// (error set); a kernel that refuses both is a result, not an error.
bool update_saved_auxv(SyscallInjector& injector, pid_t pid, const AuxvOnStack& auxv,
                       uintptr_t scratch, SavedAuxvResult& result, std::string& error);

}  // namespace vdsoforge::exec
