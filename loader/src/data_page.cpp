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

}  // namespace vdsoforge
