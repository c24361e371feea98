#include "kernel_generation.h"

#include <cstring>

namespace vdsoforge::detail {

std::unique_ptr<KernelGenerationProbe> KernelGenerationProbe::create(Error& err) {
  Error open_error;
  auto kernel = LoadedImage::open_kernel(open_error);
  if (!kernel) {
    err = {LoaderErrc::not_supported,
           "cannot follow the kernel's generation: " + open_error.message};
    return nullptr;
  }
  const GetrandomFn getrandom = kernel->getrandom();
  if (getrandom == nullptr) {
    err = {LoaderErrc::not_supported,
           "cannot follow the kernel's generation: its vDSO has no __vdso_getrandom@LINUX_2.6"};
    return nullptr;
  }
  Error state_error;
  auto states = StateAllocator::create(getrandom, state_error);
  if (!states) {
    err = {LoaderErrc::not_supported,
           "cannot follow the kernel's generation: " + state_error.message};
    return nullptr;
  }
  void* state = states->allocate(state_error);
  if (state == nullptr) {
    err = {LoaderErrc::not_supported,
           "cannot follow the kernel's generation: " + state_error.message};
    return nullptr;
  }
  auto probe = std::unique_ptr<KernelGenerationProbe>(
      new KernelGenerationProbe(std::move(kernel), getrandom, std::move(states), state));
  if (!probe->sample()) {
    err = {LoaderErrc::not_supported,
           "cannot follow the kernel's generation: its vDSO getrandom left the state unseeded"};
    return nullptr;
  }
  return probe;
}

KernelGenerationProbe::KernelGenerationProbe(std::unique_ptr<LoadedImage> kernel,
                                             GetrandomFn getrandom,
                                             std::unique_ptr<StateAllocator> states, void* state)
    : kernel_(std::move(kernel)),
      getrandom_(getrandom),
      states_(std::move(states)),
      state_(state) {}

KernelGenerationProbe::~KernelGenerationProbe() { states_->release(state_); }

std::optional<uint64_t> KernelGenerationProbe::sample() {
  unsigned char byte = 0;
  const long served = getrandom_(&byte, 1, 0, state_, states_->params().size_of_opaque_state);
  explicit_bzero(&byte, sizeof(byte));
  if (served != 1) return std::nullopt;
  const auto* state = static_cast<const abi::VgetrandomState*>(state_);
  // Zero means the state was never seeded (the call took the syscall path) or
  // its droppable page was reclaimed since; neither says anything new.
  const uint64_t generation = __atomic_load_n(&state->generation, __ATOMIC_RELAXED);
  if (generation == 0) return std::nullopt;
  return generation;
}

}  // namespace vdsoforge::detail
