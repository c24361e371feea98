#include "emulated_data_page.h"

namespace vdsoforge::detail {

EmulatedDataPage::EmulatedDataPage(abi::VdsoRngData* writable, const abi::VdsoRngData* image_view,
                                   const OpenOptions& options)
    : writable_(writable),
      image_view_(image_view),
      reseed_interval_(options.reseed_interval),
      poll_interval_(options.follow_poll_interval) {
  // Generation 0 is what a wiped (forked or dropped) state holds; a live
  // page must never publish it, or such a state would look current.
  set_generation(1);
  set_ready(true);
}

EmulatedDataPage::~EmulatedDataPage() { worker_.stop(); }

void EmulatedDataPage::start_default_mode(GenerationMode requested) {
  if (set_mode(requested) && requested == GenerationMode::follow_kernel)
    set_mode(GenerationMode::schedule);
}

// The image reads the page with plain loads while the loader or its worker
// writes; atomic stores keep every read a whole value.
uint64_t EmulatedDataPage::generation() const {
  return __atomic_load_n(&writable_->generation, __ATOMIC_ACQUIRE);
}

void EmulatedDataPage::set_generation(uint64_t generation) {
  __atomic_store_n(&writable_->generation, generation, __ATOMIC_RELEASE);
}

uint64_t EmulatedDataPage::bump_generation() {
  uint64_t current = __atomic_load_n(&writable_->generation, __ATOMIC_RELAXED);
  uint64_t next = 0;
  do {
    next = current + 1 == 0 ? 1 : current + 1;  // skip 0 on wrap-around
  } while (!__atomic_compare_exchange_n(&writable_->generation, &current, next, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
  return next;
}

const abi::VdsoRngData* EmulatedDataPage::image_view() const {
  if (!timens_) return image_view_;
  // The rng data keeps its place in the memfd; only which slot of the
  // image's view shows it changes.
  const auto* base = reinterpret_cast<const uint8_t*>(image_view_);
  return reinterpret_cast<const abi::VdsoRngData*>(base + timens_->rng_shift());
}

Error EmulatedDataPage::set_time_namespace(bool inside) {
  if (!timens_)
    return {LoaderErrc::not_supported,
            "the image's data layout has no time-namespace indirection and no emulated time "
            "data (the pre-6.15 profiles read their rng data through the timens page; images "
            "exporting the time functions read their clocks through it)"};
  return timens_->set_inside(inside);
}

bool EmulatedDataPage::is_ready() const {
  return __atomic_load_n(&writable_->is_ready, __ATOMIC_ACQUIRE) != 0;
}

void EmulatedDataPage::set_ready(bool ready) {
  __atomic_store_n(&writable_->is_ready, static_cast<uint8_t>(ready ? 1 : 0), __ATOMIC_RELEASE);
}

Error EmulatedDataPage::set_mode(GenerationMode mode) {
  std::lock_guard serialised(mode_change_);
  std::unique_ptr<KernelGenerationProbe> probe;
  uint64_t kernel_generation = 0;
  if (mode == GenerationMode::follow_kernel) {
    Error err;
    probe = KernelGenerationProbe::create(err);
    if (!probe) return err;
    const auto sampled = probe->sample();
    if (!sampled)
      return {LoaderErrc::not_supported, "the kernel's vDSO getrandom left its state unseeded"};
    kernel_generation = *sampled;
  }
  // The old worker stops first: a schedule worker still running could bump
  // the generation after the kernel's was published below.
  worker_.stop();
  // Published at once so the page follows the kernel from this call on, not
  // from the first poll.
  if (mode == GenerationMode::follow_kernel) set_generation(kernel_generation);
  mode_.store(mode);
  if (mode == GenerationMode::schedule) {
    worker_.start(reseed_interval_, [this] { bump_generation(); });
  } else if (mode == GenerationMode::follow_kernel) {
    worker_.start(poll_interval_, [this, probe = std::shared_ptr(std::move(probe)),
                                   last = kernel_generation]() mutable {
      // Only a change is published, so a value set by hand in between
      // stays until the kernel actually reseeds.
      const auto sampled = probe->sample();
      if (sampled && *sampled != last) {
        last = *sampled;
        set_generation(*sampled);
      }
    });
  }
  return {};
}

}  // namespace vdsoforge::detail

namespace vdsoforge {

std::string_view generation_mode_name(GenerationMode mode) {
  switch (mode) {
    case GenerationMode::manual:
      return "manual";
    case GenerationMode::follow_kernel:
      return "follow_kernel";
    case GenerationMode::schedule:
      return "schedule";
  }
  return "unknown";
}

}  // namespace vdsoforge
