// The image `exec` hands to every program: opened once with the loader (so
// parsing, layout checks and the emulated data page are the loader's), plus
// a sealed memfd holding its text, so a traced program can map both the data
// area and the text from this process's descriptors.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "params_fault.h"
#include "vdso_installer.h"
#include "vdsoforge/loader.h"

namespace vdsoforge::exec {

class ForgedVdsoSource {
 public:
  // nullptr with err set if the loader refuses the image or a memfd fails.
  // `patch` (fault injection) edits the text the programs get, not the
  // loader's own copy.
  static std::unique_ptr<ForgedVdsoSource> open(const std::string& path, const OpenOptions& options,
                                                Error& err, bool hide_kernel_vdso,
                                                const TextPatch& patch = {});
  ~ForgedVdsoSource();
  ForgedVdsoSource(const ForgedVdsoSource&) = delete;
  ForgedVdsoSource& operator=(const ForgedVdsoSource&) = delete;

  LoadedImage& image() { return *image_; }
  DataPage& data_page() { return *image_->data_page(); }
  const ForgedVdso& vdso() const { return vdso_; }
  // --kernel-data: every program reads its own kernel data pages, moved
  // below the text, instead of the emulated data area (kernel_data_pages.h).
  void use_kernel_data() { vdso_.kernel_data = true; }
  // The rng data's offset in the data area.
  uint64_t rng_data_offset() const { return rng_data_offset_; }

 private:
  ForgedVdsoSource(std::unique_ptr<LoadedImage> image, int text_fd, size_t text_size,
                   bool hide_kernel_vdso);

  std::unique_ptr<LoadedImage> image_;
  ForgedVdso vdso_;
  uint64_t rng_data_offset_ = 0;
};

}  // namespace vdsoforge::exec
