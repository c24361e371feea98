// The emulated vdso_rng_data of an image mapped by this library, written only
// through the loader's writable view, plus the background worker that moves
// the generation in the follow_kernel and schedule modes.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

#include "emulated_time_data.h"
#include "kernel_generation.h"
#include "periodic_worker.h"
#include "time_namespace_views.h"
#include "vdsoforge/loader.h"

namespace vdsoforge::detail {

class EmulatedDataPage {
 public:
  // Publishes is_ready = 1 and generation 1; start the wanted mode with
  // set_mode() (or start_default_mode()).
  EmulatedDataPage(abi::VdsoRngData* writable, const abi::VdsoRngData* image_view,
                   const OpenOptions& options);
  ~EmulatedDataPage();

  // set_mode(options.mode), except that follow_kernel falls back to schedule
  // when the kernel cannot be followed.
  void start_default_mode(GenerationMode requested);

  uint64_t generation() const;
  void set_generation(uint64_t generation);
  uint64_t bump_generation();
  bool is_ready() const;
  void set_ready(bool ready);
  GenerationMode mode() const { return mode_.load(); }
  Error set_mode(GenerationMode mode);
  const abi::VdsoRngData* image_view() const;
  bool in_time_namespace() const { return timens_ && timens_->inside(); }
  Error set_time_namespace(bool inside);

  // Layouts with the pre-6.15 indirection: the views to switch, from then on.
  void attach_time_namespace(std::unique_ptr<TimeNamespaceViews> views) {
    timens_ = std::move(views);
  }
  TimeNamespaceViews* time_namespace_views() { return timens_.get(); }

  // Images with time data: the emulation of it, from then on.
  // A schedule's namespace steps switch the namespace through this page.
  void attach_time_data(std::unique_ptr<EmulatedTimeData> time) {
    time_ = std::move(time);
    time_->set_namespace_switch([this](bool inside) { return set_time_namespace(inside); });
  }
  EmulatedTimeData* time_data() { return time_.get(); }
  const EmulatedTimeData* time_data() const { return time_.get(); }

 private:
  abi::VdsoRngData* const writable_;
  const abi::VdsoRngData* const image_view_;
  const std::chrono::milliseconds reseed_interval_;
  const std::chrono::milliseconds poll_interval_;

  std::mutex mode_change_;  // one set_mode at a time
  std::atomic<GenerationMode> mode_{GenerationMode::manual};

  PeriodicWorker worker_;                       // idle in manual mode
  std::unique_ptr<TimeNamespaceViews> timens_;  // none without the indirection
  std::unique_ptr<EmulatedTimeData> time_;      // none without time data
};

}  // namespace vdsoforge::detail
