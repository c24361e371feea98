// The image's ELF notes besides the linker's build-id: the kernel version the
// image's ABI matches (C libraries read it) and the project's data-layout note
// (loaders read it to map the data pages).  Both are laid out by hand as ELF
// note records: namesz, descsz, type, name padded to 4, descriptor.
#include <stdint.h>

#include "data_layout.h"
#include "vgetrandom_abi.h"

// vdsoforge_add_image() defines it from its LINUX_VERSION (by default the
// version cmake/VdsoforgeImageDefaults.cmake names).
#ifndef VDSOFORGE_LINUX_VERSION_CODE
#error "no Linux version: build the image with vdsoforge_add_image()"
#endif

namespace {

struct LinuxVersionNote {
  uint32_t namesz = sizeof("Linux");
  uint32_t descsz = sizeof(uint32_t);
  uint32_t type = 0;
  char name[8] = "Linux";
  uint32_t version_code = VDSOFORGE_LINUX_VERSION_CODE;
};
static_assert(sizeof(LinuxVersionNote) == 24);

// An explicit data area says only where it is (format 1, as images have
// always said it); a kernel's profile adds which kernel and the
// time-namespace indirection (format 2), so a loader can emulate both.
constexpr vdsoforge::abi::DataLayoutDesc kArea = {
    .format = vdsoforge::image::kProfile ? vdsoforge::abi::kDataLayoutFormatProfile
                                         : vdsoforge::abi::kDataLayoutFormat,
    .page_size = vdsoforge::abi::kPageSize,
    .data_area_size = vdsoforge::image::kDataAreaSize,
    .rng_data_offset = vdsoforge::image::kRngDataOffset,
};

struct DataLayoutNoteFormat1 {
  uint32_t namesz = sizeof(vdsoforge::abi::kNoteOwner);
  uint32_t descsz = sizeof(vdsoforge::abi::DataLayoutDesc);
  uint32_t type = vdsoforge::abi::kNoteTypeDataLayout;
  char name[12] = "vdsoforge";
  vdsoforge::abi::DataLayoutDesc desc = kArea;
};
static_assert(sizeof(DataLayoutNoteFormat1) == 12 + 12 + 16);

struct DataLayoutNoteFormat2 {
  uint32_t namesz = sizeof(vdsoforge::abi::kNoteOwner);
  uint32_t descsz = sizeof(vdsoforge::abi::DataLayoutProfileDesc);
  uint32_t type = vdsoforge::abi::kNoteTypeDataLayout;
  char name[12] = "vdsoforge";
  vdsoforge::abi::DataLayoutProfileDesc desc = {
      .area = kArea,
      .profile = static_cast<uint32_t>(vdsoforge::image::kProfileId),
      .flags =
          vdsoforge::image::kTimensIndirection ? vdsoforge::abi::kDataLayoutTimensIndirection : 0u,
      .vvar_page_offset = vdsoforge::image::kVvarPageOffset,
      .timens_page_offset = vdsoforge::image::kTimensPageOffset,
      .clock_mode_offset = vdsoforge::image::kClockModeOffset,
  };
};
static_assert(sizeof(DataLayoutNoteFormat2) == 12 + 12 + 36);

template <bool kForProfile>
struct DataLayoutNoteOf {
  using Type = DataLayoutNoteFormat1;
};
template <>
struct DataLayoutNoteOf<true> {
  using Type = DataLayoutNoteFormat2;
};
using DataLayoutNote = DataLayoutNoteOf<vdsoforge::image::kProfile != nullptr>::Type;

[[gnu::used, gnu::section(".note.Linux"),
  gnu::aligned(4)]] const LinuxVersionNote linux_version_note{};
[[gnu::used, gnu::section(".note.vdsoforge"),
  gnu::aligned(4)]] const DataLayoutNote data_layout_note{};

}  // namespace
