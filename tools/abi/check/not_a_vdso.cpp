#include "check/not_a_vdso.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace vdsoforge::tools {

namespace {

// Bounds-checked view of the file: every read that would leave it fails.
class RawFile {
 public:
  explicit RawFile(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}

  template <typename T>
  bool read(uint64_t offset, T& value) const {
    if (offset > bytes_.size() || bytes_.size() - offset < sizeof(T)) return false;
    std::memcpy(&value, bytes_.data() + offset, sizeof(T));
    return true;
  }

  // A NUL-terminated string at `offset`, or empty if it runs off the file.
  std::string c_string(uint64_t offset) const {
    std::string text;
    for (uint64_t at = offset; at < bytes_.size(); ++at) {
      if (bytes_[at] == 0) return text;
      text += static_cast<char>(bytes_[at]);
    }
    return {};
  }

 private:
  std::vector<uint8_t> bytes_;
};

// The file offset of virtual address `vaddr`, through the PT_LOAD covering it.
std::optional<uint64_t> file_offset(const std::vector<Elf64_Phdr>& loads, uint64_t vaddr) {
  for (const Elf64_Phdr& load : loads) {
    if (vaddr >= load.p_vaddr && vaddr - load.p_vaddr < load.p_filesz)
      return load.p_offset + (vaddr - load.p_vaddr);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> not_a_vdso_message(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  const RawFile file(std::vector<uint8_t>{std::istreambuf_iterator<char>(in), {}});

  Elf64_Ehdr eh;
  if (!file.read(0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
      eh.e_phentsize != sizeof(Elf64_Phdr)) {
    return std::nullopt;
  }
  std::vector<Elf64_Phdr> loads;
  std::optional<Elf64_Phdr> dynamic;
  std::string interpreter;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!file.read(eh.e_phoff + uint64_t{i} * sizeof ph, ph)) return std::nullopt;
    if (ph.p_type == PT_LOAD) loads.push_back(ph);
    if (ph.p_type == PT_DYNAMIC) dynamic = ph;
    if (ph.p_type == PT_INTERP) interpreter = file.c_string(ph.p_offset);
  }

  std::vector<std::string> needed;
  if (dynamic) {
    std::vector<uint64_t> needed_offsets;
    std::optional<uint64_t> strtab;
    for (uint64_t at = dynamic->p_offset; at < dynamic->p_offset + dynamic->p_filesz;
         at += sizeof(Elf64_Dyn)) {
      Elf64_Dyn entry;
      if (!file.read(at, entry) || entry.d_tag == DT_NULL) break;
      if (entry.d_tag == DT_NEEDED) needed_offsets.push_back(entry.d_un.d_val);
      if (entry.d_tag == DT_STRTAB) strtab = file_offset(loads, entry.d_un.d_ptr);
    }
    for (const uint64_t name : needed_offsets) {
      const std::string text = strtab ? file.c_string(*strtab + name) : "";
      needed.push_back(text.empty() ? "(unnamed)" : text);
    }
  }

  const bool program = eh.e_type == ET_EXEC || !interpreter.empty();
  if (loads.size() <= 1 && needed.empty() && !program) return std::nullopt;

  std::string evidence = path + " is not a vDSO: " + std::to_string(eh.e_phnum) +
                         " program headers, " + std::to_string(loads.size()) + " loadable segment" +
                         (loads.size() == 1 ? "" : "s") + " (a vDSO has one)";
  if (eh.e_type == ET_EXEC) evidence += ", e_type ET_EXEC";
  if (!interpreter.empty()) evidence += ", PT_INTERP " + interpreter;
  if (!needed.empty()) {
    evidence += ", DT_NEEDED";
    for (const std::string& name : needed) evidence += " " + name;
  }
  return evidence;
}

RefusedInput why_refused(const std::string& path, const Error& refusal) {
  if (auto evidence = not_a_vdso_message(path)) return {kNotAVdsoCode, std::move(*evidence)};
  return {std::string(errc_name(refusal.code)), refusal.message};
}

std::optional<ElfImage> inspect_file(const std::string& path, RefusedInput& refused) {
  Error err;
  auto image = ElfImage::parse_file(path, ParseMode::inspect, err);
  if (!image) {
    refused = why_refused(path, err);
    return std::nullopt;
  }
  // A position-independent executable's tables may all read within bounds;
  // it is still a program, as its interpreter and DF_1_PIE say.
  const bool interpreted = std::any_of(image->segments().begin(), image->segments().end(),
                                       [](const Segment& s) { return s.type == PT_INTERP; });
  const bool pie = (image->dynamic_value(DT_FLAGS_1).value_or(0) & DF_1_PIE) != 0;
  if (interpreted && pie) {
    if (auto evidence = not_a_vdso_message(path)) {
      refused = {kNotAVdsoCode, std::move(*evidence)};
      return std::nullopt;
    }
  }
  return image;
}

}  // namespace vdsoforge::tools
