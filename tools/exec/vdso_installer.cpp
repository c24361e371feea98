#include "vdso_installer.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "initial_stack.h"
#include "kernel_data_pages.h"
#include "kernel_mappings.h"
#include "vdsoforge/hex.h"

namespace vdsoforge::exec {

namespace {

// Scratch space for path strings, below the red zone of the initial stack.
// execve leaves 128 KiB of stack mapped below the arguments, so this is
// always backed, and nothing live is there yet.
constexpr uintptr_t kScratchBelowStack = 128 + 4096;

// Runs one injected call; false with error naming the call if it could not
// run or returned an error.
bool run(SyscallInjector& injector, const char* what, long number, std::array<uint64_t, 6> args,
         long& result, std::string& error) {
  if (!injector.call(number, args, result, error)) return false;
  if (result < 0 && result > -4096) {
    error =
        std::string(what) + " in the program failed: " + std::strerror(static_cast<int>(-result));
    return false;
  }
  return true;
}

bool open_owner_fd(SyscallInjector& injector, uintptr_t scratch, pid_t owner, int fd, long& opened,
                   std::string& error) {
  const std::string path = "/proc/" + std::to_string(owner) + "/fd/" + std::to_string(fd);
  std::vector<uint8_t> bytes(path.begin(), path.end());
  bytes.push_back(0);
  if (!injector.memory().write(scratch, bytes)) {
    error = injector.memory().error();
    return false;
  }
  return run(injector, ("opening " + path).c_str(), SYS_openat,
             {static_cast<uint64_t>(AT_FDCWD), scratch, O_RDONLY | O_CLOEXEC, 0, 0, 0}, opened,
             error);
}

}  // namespace

bool install_forged_vdso(SyscallInjector& injector, pid_t pid, const ForgedVdso& vdso,
                         Installed& installed, std::string& error) {
  const uintptr_t scratch = (injector.saved_registers().rsp - kScratchBelowStack) & ~uintptr_t{15};
  long data_fd = -1, text_fd = -1, result = 0;
  // With the kernel's own data pages the emulated data memfd is not mapped.
  if ((!vdso.kernel_data &&
       !open_owner_fd(injector, scratch, vdso.owner, vdso.data_fd, data_fd, error)) ||
      !open_owner_fd(injector, scratch, vdso.owner, vdso.text_fd, text_fd, error))
    return false;

  // One reservation, so data and text are adjacent by construction.
  long base = 0;
  if (!run(injector, "reserving address space (mmap)", SYS_mmap,
           {0, vdso.data_size + vdso.text_size, PROT_NONE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, static_cast<uint64_t>(-1), 0},
           base, error))
    return false;
  if (base == 0) {
    // Root may map page 0; an image there would read as "no vDSO".
    error = "the program's reservation landed at address 0";
    return false;
  }
  const uintptr_t data = static_cast<uintptr_t>(base);
  const uintptr_t text = data + vdso.data_size;
  if (vdso.kernel_data) {
    // The kernel's [vvar] and [vvar_vclock] take the data area's place.
    if (!run(injector, "mapping the image text read+execute", SYS_mmap,
             {text, vdso.text_size, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
              static_cast<uint64_t>(text_fd), 0},
             result, error) ||
        !run(injector, "closing the text descriptor", SYS_close,
             {static_cast<uint64_t>(text_fd), 0, 0, 0, 0, 0}, result, error) ||
        !move_kernel_data_below(injector, pid, text, vdso.data_size, error))
      return false;
    installed.kernel_vdso_unmapped = true;
  } else if (!run(injector, "mapping the data area read-only", SYS_mmap,
                  {data, vdso.data_size, PROT_READ, MAP_SHARED | MAP_FIXED,
                   static_cast<uint64_t>(data_fd), 0},
                  result, error) ||
             !run(injector, "mapping the image text read+execute", SYS_mmap,
                  {text, vdso.text_size, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
                   static_cast<uint64_t>(text_fd), 0},
                  result, error) ||
             !run(injector, "closing the data descriptor", SYS_close,
                  {static_cast<uint64_t>(data_fd), 0, 0, 0, 0, 0}, result, error) ||
             !run(injector, "closing the text descriptor", SYS_close,
                  {static_cast<uint64_t>(text_fd), 0, 0, 0, 0, 0}, result, error)) {
    return false;
  }

  auto auxv = read_auxv(injector.memory(), injector.saved_registers().rsp, error);
  if (!auxv) return false;
  for (const auto& [type, value] : auxv->entries)
    if (type == AT_SYSINFO_EHDR) installed.kernel_vdso = value;
  if (!set_auxv_value(injector.memory(), *auxv, AT_SYSINFO_EHDR, text, error)) {
    error += " (the kernel gave this program no vDSO, so there is no entry to point at the image)";
    return false;
  }
  installed.base = text;
  if (!update_saved_auxv(injector, pid, *auxv, scratch, installed.saved_auxv, error)) return false;

  if (vdso.hide_kernel_vdso && !vdso.kernel_data) {
    for (const KernelRange& range : kernel_vdso_mappings(pid)) {
      if (!run(injector,
               ("unmapping the kernel's " + range.name + " at " + hex(range.start)).c_str(),
               SYS_munmap, {range.start, range.end - range.start, 0, 0, 0, 0}, result, error))
        return false;
      installed.kernel_vdso_unmapped = true;
    }
  }
  return true;
}

}  // namespace vdsoforge::exec
