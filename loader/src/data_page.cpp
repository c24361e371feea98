// DataPage, the public face of the emulation in emulated_data_page.cpp.
#include "emulated_data_page.h"
#include "vdsoforge/loader.h"

namespace vdsoforge {

DataPage::DataPage(std::unique_ptr<detail::EmulatedDataPage> emulation)
    : emulation_(std::move(emulation)) {}
DataPage::~DataPage() = default;

uint64_t DataPage::generation() const { return emulation_->generation(); }
void DataPage::set_generation(uint64_t generation) { emulation_->set_generation(generation); }
uint64_t DataPage::bump_generation() { return emulation_->bump_generation(); }
bool DataPage::is_ready() const { return emulation_->is_ready(); }
void DataPage::set_ready(bool ready) { emulation_->set_ready(ready); }
GenerationMode DataPage::mode() const { return emulation_->mode(); }
Error DataPage::set_mode(GenerationMode mode) { return emulation_->set_mode(mode); }
const abi::VdsoRngData* DataPage::image_view() const { return emulation_->image_view(); }
bool DataPage::in_time_namespace() const { return emulation_->in_time_namespace(); }
Error DataPage::set_time_namespace(bool inside) { return emulation_->set_time_namespace(inside); }

namespace {

Error no_time_data() {
  return {LoaderErrc::not_supported,
          "the image has no emulated time data (it exports no __vdso_clock_gettime, or its "
          "explicit data area keeps the rng data in the time pages)"};
}

}  // namespace

bool DataPage::has_time_data() const { return emulation_->time_data() != nullptr; }
TimeMode DataPage::time_mode() const {
  const auto* time = emulation_->time_data();
  return time ? time->mode() : TimeMode::manual;
}
Error DataPage::set_time_mode(TimeMode mode) {
  auto* time = emulation_->time_data();
  return time ? time->set_mode(mode) : no_time_data();
}
Error DataPage::sync_time_with_kernel() {
  auto* time = emulation_->time_data();
  return time ? time->sync_with_kernel() : no_time_data();
}
std::optional<TimeSnapshot> DataPage::time() const {
  const auto* time = emulation_->time_data();
  if (!time) return std::nullopt;
  return time->snapshot();
}
Error DataPage::set_time(const TimeSnapshot& snapshot) {
  auto* time = emulation_->time_data();
  if (!time) return no_time_data();
  time->write(snapshot);
  return {};
}
Error DataPage::set_clock_mode(int32_t clock_mode) {
  auto* time = emulation_->time_data();
  if (!time) return no_time_data();
  time->set_clock_mode(clock_mode);
  return {};
}
Error DataPage::set_realtime_offset(std::chrono::nanoseconds offset) {
  auto* time = emulation_->time_data();
  if (!time) return no_time_data();
  time->set_realtime_offset(offset);
  return {};
}
std::chrono::nanoseconds DataPage::realtime_offset() const {
  const auto* time = emulation_->time_data();
  return time ? time->realtime_offset() : std::chrono::nanoseconds{0};
}
Error DataPage::set_time_namespace_offset(int clock, int64_t sec, uint64_t nsec) {
  auto* time = emulation_->time_data();
  return time ? time->set_namespace_offset(clock, sec, nsec) : no_time_data();
}

Error DataPage::set_time_schedule(std::vector<TimeStep> steps) {
  auto* time = emulation_->time_data();
  return time ? time->start_schedule(std::move(steps)) : no_time_data();
}
size_t DataPage::time_schedule_steps_started() const {
  const auto* time = emulation_->time_data();
  return time ? time->schedule_steps_started() : 0;
}
size_t DataPage::time_schedule_steps_done() const {
  const auto* time = emulation_->time_data();
  return time ? time->schedule_steps_done() : 0;
}

}  // namespace vdsoforge
