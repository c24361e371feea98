// The private parts of the public classes, for this library's own files
// only: one friend instead of a friend per function.
#pragma once

#include <memory>

#include "emulated_data_page.h"
#include "image_mapping.h"
#include "thread_state_pool.h"
#include "vdsoforge/loader.h"

namespace vdsoforge::detail {

struct LoaderAccess {
  static std::unique_ptr<LoadedImage> make_image(ElfImage elf,
                                                 std::unique_ptr<ImageMapping> mapping) {
    return std::unique_ptr<LoadedImage>(new LoadedImage(std::move(elf), std::move(mapping)));
  }
  static ImageMapping& mapping(const LoadedImage& image) { return *image.mapping_; }
  static ThreadStatePoolSlot& thread_states(LoadedImage& image) { return *image.thread_states_; }

  static std::unique_ptr<DataPage> make_data_page(std::unique_ptr<EmulatedDataPage> emulation) {
    return std::unique_ptr<DataPage>(new DataPage(std::move(emulation)));
  }
  static EmulatedDataPage& emulation(DataPage& page) { return *page.emulation_; }
};

}  // namespace vdsoforge::detail
