#include "finish_image.h"

#include <elf.h>

#include <cstring>
#include <optional>
#include <vector>

#include "output_file.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools {

namespace {

template <typename T>
T read_at(const std::vector<uint8_t>& bytes, uint64_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// The file offset of the vda_name field of the verdef with this index.  A
// strict parse has checked the chain lies within the file, and the image's
// one PT_LOAD maps file offset 0 at address 0, so addresses are offsets.
std::optional<uint64_t> vda_name_offset(const std::vector<uint8_t>& bytes, uint64_t verdef,
                                        uint16_t index) {
  for (uint64_t at = verdef;;) {
    const auto def = read_at<Elf64_Verdef>(bytes, at);
    if (def.vd_ndx == index) return at + def.vd_aux + offsetof(Elf64_Verdaux, vda_name);
    if (def.vd_next == 0) return std::nullopt;
    at += def.vd_next;
  }
}

}  // namespace

bool finish_image(const std::string& path, std::string& error) {
  ElfError err;
  const auto image = ElfImage::parse_file(path, ParseMode::strict, err);
  if (!image) {
    error = err.message;
    return false;
  }
  const auto symtab = image->dynamic_value(DT_SYMTAB);
  const auto verdef = image->dynamic_value(DT_VERDEF);
  if (!symtab || !verdef) return true;  // no versions, nothing to share
  std::vector<uint8_t> bytes(image->bytes().begin(), image->bytes().end());
  for (const Symbol& symbol : image->symbols()) {
    // The version's own symbol: ABS, named like the version it is defined at.
    if (symbol.shndx != SHN_ABS || symbol.version.empty() || symbol.name != symbol.version)
      continue;
    const auto name_field = vda_name_offset(bytes, *verdef, symbol.versym & 0x7fff);
    if (!name_field) continue;
    const auto vda_name = read_at<uint32_t>(bytes, *name_field);
    const uint64_t st_name = *symtab + uint64_t{symbol.index} * sizeof(Elf64_Sym);
    std::memcpy(bytes.data() + st_name, &vda_name, sizeof vda_name);
  }
  // The same symbols, names and versions as before, or nothing is written.
  const auto finished = ElfImage::parse(bytes, ParseMode::strict, err);
  if (!finished) {
    error = path + ": after sharing the version names: " + err.message;
    return false;
  }
  for (size_t i = 0; i < image->symbols().size(); ++i) {
    const Symbol &before = image->symbols()[i], &after = finished->symbols()[i];
    if (before.name != after.name || before.version != after.version) {
      error = path + ": sharing the version names changed symbol " + before.name;
      return false;
    }
  }
  return write_output_file(path, std::span<const uint8_t>(bytes), error);
}

}  // namespace vdsoforge::tools
