#include "vdsoforge/elf_outline.h"

#include <elf.h>

#include <cstddef>
#include <cstring>

#include "elf_bytes.h"

namespace vdsoforge {

using elf_detail::InputBytes;
using elf_detail::range_fits;

namespace {

// A NUL-terminated string at `offset`, or empty if it runs off the file.
std::string c_string(const InputBytes& in, uint64_t offset) {
  if (offset >= in.size()) return {};
  const auto* start = reinterpret_cast<const char*>(in.data() + offset);
  const void* end = std::memchr(start, 0, in.size() - offset);
  return end ? std::string(start, static_cast<const char*>(end)) : std::string();
}

// The file offset of virtual address `vaddr`, through the PT_LOAD covering it.
std::optional<uint64_t> file_offset(const std::vector<Segment>& loads, uint64_t vaddr) {
  for (const Segment& load : loads) {
    if (vaddr >= load.vaddr && vaddr - load.vaddr < load.filesz)
      return load.offset + (vaddr - load.vaddr);
  }
  return std::nullopt;
}

Segment segment_of(const Elf64_Phdr& ph) {
  return {ph.p_type, ph.p_flags, ph.p_offset, ph.p_vaddr, ph.p_filesz, ph.p_memsz, ph.p_align};
}

// The DT_NEEDED names of the dynamic section `dynamic`, found through the
// DT_STRTAB address (the last one given) mapped by `loads`.
std::vector<std::string> needed_names(const InputBytes& in, const Elf64_Phdr& dynamic,
                                      const std::vector<Segment>& loads) {
  std::vector<uint64_t> name_offsets;
  std::optional<uint64_t> strtab;
  const uint64_t end = dynamic.p_offset + dynamic.p_filesz;
  for (uint64_t at = dynamic.p_offset; at < end; at += sizeof(Elf64_Dyn)) {
    Elf64_Dyn entry;
    if (!in.try_read(at, entry) || entry.d_tag == DT_NULL) break;
    if (entry.d_tag == DT_NEEDED) name_offsets.push_back(entry.d_un.d_val);
    if (entry.d_tag == DT_STRTAB) strtab = file_offset(loads, entry.d_un.d_ptr);
  }
  std::vector<std::string> names;
  for (const uint64_t name : name_offsets) {
    const bool readable = strtab && range_fits(*strtab, name, in.size());
    names.push_back(readable ? c_string(in, *strtab + name) : std::string());
  }
  return names;
}

}  // namespace

std::optional<ElfFileKind> read_elf_file_kind(std::span<const uint8_t> bytes) {
  if (bytes.size() < kElfFileKindBytes || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
    return std::nullopt;
  const InputBytes in(bytes);
  return ElfFileKind{.elf_class = bytes[EI_CLASS],
                     .machine = in.read<uint16_t>(offsetof(Elf64_Ehdr, e_machine))};
}

std::optional<ElfOutline> read_elf_outline(std::span<const uint8_t> bytes) {
  const InputBytes in(bytes);
  Elf64_Ehdr eh;
  if (!in.try_read(0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
      eh.e_phentsize != sizeof(Elf64_Phdr)) {
    return std::nullopt;
  }
  ElfOutline outline{.type = eh.e_type, .program_header_count = eh.e_phnum};
  if (!in.contains(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr))) return std::nullopt;
  std::optional<Elf64_Phdr> dynamic;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const auto ph = in.read<Elf64_Phdr>(eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr));
    if (ph.p_type == PT_LOAD) outline.loads.push_back(segment_of(ph));
    if (ph.p_type == PT_DYNAMIC) dynamic = ph;
    if (ph.p_type == PT_INTERP) outline.interpreter = c_string(in, ph.p_offset);
  }
  if (dynamic) outline.needed = needed_names(in, *dynamic, outline.loads);
  return outline;
}

}  // namespace vdsoforge
