// Programs `exec` refuses to run on a forged vDSO, checked at each exec stop
// before the new program's first instruction: 32-bit and x32 programs (their
// vDSO is another ABI, with other entry points).  Privileged programs are
// privileged_program's concern.
#pragma once

#include <sys/types.h>

#include <string>

namespace vdsoforge::exec {

// Empty if the program now running in `pid` may be given the image, else
// the reason it may not.
std::string refusal_reason(pid_t pid);

// The same for the program exec is asked to start, checked before anything
// runs: `program` is looked up in PATH as execvp does.  Empty as well if it
// cannot be found or read (starting it then fails with the usual 127/126).
std::string refusal_reason_for_program(const std::string& program);

}  // namespace vdsoforge::exec
