// Reading the running kernel's rng generation from user space (a kernel-seeded state carries it):
// a state owned by the kernel's own vDSO getrandom carries, after every call,
// the generation the kernel published when it served that call.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "vdsoforge/loader.h"

namespace vdsoforge::detail {

class KernelGenerationProbe {
 public:
  // LoaderErrc::not_supported when the kernel vDSO is missing or has no getrandom.
  static std::unique_ptr<KernelGenerationProbe> create(Error& err);
  ~KernelGenerationProbe();
  KernelGenerationProbe(const KernelGenerationProbe&) = delete;
  KernelGenerationProbe& operator=(const KernelGenerationProbe&) = delete;

  // Draws one byte through the kernel's vDSO and returns the generation its
  // state ends with; nullopt if the call failed or the kernel fell back to the
  // syscall without touching the state (its rng not ready yet).
  std::optional<uint64_t> sample();

 private:
  KernelGenerationProbe(std::unique_ptr<LoadedImage> kernel, GetrandomFn getrandom,
                        std::unique_ptr<StateAllocator> states, void* state);

  std::unique_ptr<LoadedImage> kernel_;
  GetrandomFn getrandom_;
  std::unique_ptr<StateAllocator> states_;
  void* state_;
};

}  // namespace vdsoforge::detail
