// ElfParser: PT_NOTE records and the vdsoforge data-layout note.
#include <elf.h>

#include <cstring>

#include "elf_parser.h"
#include "vgetrandom_abi.h"

namespace vdsoforge {

bool ElfParser::parse_notes() {
  for (const Segment& segment : image_.segments_) {
    if (segment.type == PT_NOTE && !parse_note_segment(segment)) return false;
  }
  for (const Note& note : image_.notes_) {
    if (note.owner == abi::kNoteOwner && note.type == abi::kNoteTypeDataLayout &&
        !decode_data_layout(note)) {
      return false;
    }
  }
  return true;
}

bool ElfParser::parse_note_segment(const Segment& segment) {
  if (!in_.contains(segment.offset, segment.filesz)) {
    return fail(Errc::bad_note, "PT_NOTE at offset " + hex(segment.offset) + " (" +
                                    byte_count(segment.filesz) + ") runs past the end of the " +
                                    hex(in_.size()) + "-byte image");
  }
  // Notes are read through the mapped image by C libraries (the Linux
  // version note), so they must lie in the loadable segment.
  uint64_t offset = 0;
  if (!locate("PT_NOTE", Errc::bad_note, segment.vaddr, 0, segment.filesz, offset)) return false;
  if (offset != segment.offset) {
    return fail(Errc::bad_note, "PT_NOTE at offset " + hex(segment.offset) + " has address " +
                                    hex(segment.vaddr) + ", which the PT_LOAD maps from offset " +
                                    hex(offset));
  }
  // The descriptor starts, and the next record starts, at the next multiple
  // of the segment's alignment counted from the record's start: 4 bytes, or
  // 8 in the 8-aligned note segments newer toolchains emit (there the name
  // is not padded on its own: "GNU\0" puts the descriptor at +16, not +20).
  const uint64_t align = segment.align == 8 ? 8 : 4;
  const auto padded = [align](uint64_t n) { return (n + align - 1) & ~(align - 1); };
  const uint64_t end = segment.offset + segment.filesz;
  uint64_t pos = segment.offset;
  while (pos < end) {
    const uint64_t left = end - pos;
    if (left < sizeof(Elf64_Nhdr)) {
      return fail(Errc::bad_note, "note record header at offset " + hex(pos) +
                                      " (12 bytes) runs past the end of its PT_NOTE at offset " +
                                      hex(end));
    }
    const auto header = in_.read<Elf64_Nhdr>(pos);
    // Both sums stay far below 2^64: the sizes are 32-bit.
    const uint64_t desc_at = padded(sizeof(Elf64_Nhdr) + uint64_t{header.n_namesz});
    const uint64_t record_size = padded(desc_at + uint64_t{header.n_descsz});
    if (record_size > left) {
      return fail(Errc::bad_note, "note record at offset " + hex(pos) + " (n_namesz " +
                                      std::to_string(header.n_namesz) + ", n_descsz " +
                                      std::to_string(header.n_descsz) +
                                      ") runs past the end of its PT_NOTE at offset " + hex(end));
    }
    Note note;
    note.offset = pos;
    note.type = header.n_type;
    // The owner name is NUL-terminated inside n_namesz; keep what precedes it.
    const auto* name = reinterpret_cast<const char*>(in_.data() + pos + sizeof(Elf64_Nhdr));
    note.owner.assign(name, strnlen(name, header.n_namesz));
    const uint8_t* desc = in_.data() + pos + desc_at;
    note.desc.assign(desc, desc + header.n_descsz);
    image_.notes_.push_back(std::move(note));
    pos += record_size;
  }
  return true;
}

namespace {

// What is wrong with a format-2 note's profile fields, or "" if nothing.
// Offsets are from the data area's start, already known to fit `area`.
std::string profile_problem(const abi::DataLayoutProfileDesc& d, DataLayout& out) {
  const uint64_t page = d.area.page_size, area = d.area.data_area_size;
  if (d.profile != 0) {
    out.profile = layout::find_profile(static_cast<layout::ProfileId>(d.profile));
    if (!out.profile) return "profile " + std::to_string(d.profile) + " is no known kernel profile";
  }
  if (d.flags & ~abi::kDataLayoutTimensIndirection)
    return "flags " + hex(d.flags) + " has bits this reader does not know";
  if (!(d.flags & abi::kDataLayoutTimensIndirection)) {
    if (d.vvar_page_offset || d.timens_page_offset || d.clock_mode_offset)
      return "time-namespace offsets without the indirection flag";
  } else if (d.vvar_page_offset % page || d.timens_page_offset % page ||
             d.timens_page_offset <= d.vvar_page_offset || d.timens_page_offset + page > area) {
    return "vvar page at +" + hex(d.vvar_page_offset) + " and timens page at +" +
           hex(d.timens_page_offset) + " are not two whole pages of the " + hex(area) +
           "-byte area, the timens page above";
  } else if (d.area.rng_data_offset < d.vvar_page_offset ||
             d.area.rng_data_offset + sizeof(abi::VdsoRngData) > d.vvar_page_offset + page) {
    return "rng data at +" + hex(d.area.rng_data_offset) + " is not in the vvar page at +" +
           hex(d.vvar_page_offset);
  } else if (d.clock_mode_offset % 4 || d.clock_mode_offset < d.vvar_page_offset ||
             d.clock_mode_offset + 4 > d.vvar_page_offset + page) {
    return "clock mode at +" + hex(d.clock_mode_offset) + " is not an aligned s32 in the vvar page";
  } else {
    out.timens = TimensIndirection{d.vvar_page_offset, d.timens_page_offset, d.clock_mode_offset};
  }
  // A note that names a profile must say what that profile says, or one of
  // the two is wrong and the loader would emulate the wrong kernel.
  if (const layout::Profile* p = out.profile) {
    const bool same =
        p->data_area_size == area && p->rng_data_offset == d.area.rng_data_offset &&
        p->has_timens_indirection == out.timens.has_value() &&
        (!out.timens || (p->vvar_page_offset == d.vvar_page_offset &&
                         p->timens_page_offset == d.timens_page_offset &&
                         p->vvar_page_offset + p->clock_mode_offset == d.clock_mode_offset));
    if (!same)
      return "the fields differ from those of the profile it names, " + std::string(p->name);
  }
  return "";
}

}  // namespace

bool ElfParser::decode_data_layout(const Note& note) {
  const std::string at = "vdsoforge data-layout note at offset " + hex(note.offset);
  if (image_.data_layout_) {
    image_.data_layout_.reset();
    return rule(Errc::bad_data_layout_note, at + " is the second one in the image");
  }
  // Both formats open with the format word; its value fixes the size.
  uint32_t format = 0;
  if (note.desc.size() >= sizeof format) std::memcpy(&format, note.desc.data(), sizeof format);
  const size_t expected_size = format == abi::kDataLayoutFormatProfile
                                   ? sizeof(abi::DataLayoutProfileDesc)
                                   : sizeof(abi::DataLayoutDesc);
  if (note.desc.size() != expected_size) {
    return rule(Errc::bad_data_layout_note,
                at + ": n_descsz is " + std::to_string(note.desc.size()) + ", expected " +
                    std::to_string(expected_size) + " for format " + std::to_string(format));
  }
  abi::DataLayoutProfileDesc desc{};
  std::memcpy(&desc, note.desc.data(), note.desc.size());
  const abi::DataLayoutDesc& area = desc.area;
  DataLayout decoded{area.format,          area.page_size, area.data_area_size,
                     area.rng_data_offset, nullptr,        std::nullopt};
  std::string problem;
  if (area.format != abi::kDataLayoutFormat && area.format != abi::kDataLayoutFormatProfile) {
    problem = "format " + std::to_string(area.format) + " (expected " +
              std::to_string(abi::kDataLayoutFormat) + " or " +
              std::to_string(abi::kDataLayoutFormatProfile) + ")";
  } else if (area.page_size != abi::kPageSize) {
    problem = "page_size " + std::to_string(area.page_size) + " (expected 4096)";
  } else if (area.data_area_size == 0 || area.data_area_size % area.page_size != 0) {
    problem = "data_area_size " + hex(area.data_area_size) +
              " is not a nonzero multiple of the page size";
  } else if (area.rng_data_offset % 8 != 0 ||
             uint64_t{area.rng_data_offset} + sizeof(abi::VdsoRngData) > area.data_area_size) {
    problem = "rng_data_offset " + hex(area.rng_data_offset) +
              " is not an 8-aligned offset with 16 bytes of vdso_rng_data inside the " +
              hex(area.data_area_size) + "-byte data area";
  } else if (area.format == abi::kDataLayoutFormatProfile) {
    problem = profile_problem(desc, decoded);
  }
  if (!problem.empty()) return rule(Errc::bad_data_layout_note, at + ": " + problem);
  image_.data_layout_ = decoded;
  return true;
}

}  // namespace vdsoforge
