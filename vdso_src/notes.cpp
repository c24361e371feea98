// The image's ELF notes besides the linker's build-id: the kernel version the
// image's ABI matches (C libraries read it) and the project's data-layout note
// (loaders read it to map the data pages).  Both are laid out by hand as ELF
// note records: namesz, descsz, type, name padded to 4, descriptor.
#include <stdint.h>

#include "data_layout.h"
#include "vgetrandom_abi.h"

#ifndef VDSOFORGE_LINUX_VERSION_CODE
#define VDSOFORGE_LINUX_VERSION_CODE ((6u << 16) | (11u << 8) | 0u)  // 6.11.0
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

struct DataLayoutNote {
  uint32_t namesz = sizeof(vdsoforge::abi::kNoteOwner);
  uint32_t descsz = sizeof(vdsoforge::abi::DataLayoutDesc);
  uint32_t type = vdsoforge::abi::kNoteTypeDataLayout;
  char name[12] = "vdsoforge";
  vdsoforge::abi::DataLayoutDesc desc = {
      .format = vdsoforge::abi::kDataLayoutFormat,
      .page_size = vdsoforge::abi::kPageSize,
      .data_area_size = vdsoforge::image::kDataAreaSize,
      .rng_data_offset = vdsoforge::image::kRngDataOffset,
  };
};
static_assert(sizeof(DataLayoutNote) == 12 + 12 + 16);

[[gnu::used, gnu::section(".note.Linux"), gnu::aligned(4)]] const LinuxVersionNote
    linux_version_note{};
[[gnu::used, gnu::section(".note.vdsoforge"), gnu::aligned(4)]] const DataLayoutNote
    data_layout_note{};

}  // namespace
