#include "image_mutations.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

namespace abi_test {

namespace {

template <typename T>
T read(const Bytes& image, uint64_t offset) {
  if (offset > image.size() || image.size() - offset < sizeof(T)) {
    throw std::runtime_error("mutation reads past the image at offset " + std::to_string(offset));
  }
  T value;
  std::memcpy(&value, image.data() + offset, sizeof(T));
  return value;
}

template <typename T>
void write(Bytes& image, uint64_t offset, const T& value) {
  if (offset > image.size() || image.size() - offset < sizeof(T)) {
    throw std::runtime_error("mutation writes past the image at offset " + std::to_string(offset));
  }
  std::memcpy(image.data() + offset, &value, sizeof(T));
}

// File offset of the section header named `name`.
uint64_t section_header(const Bytes& image, std::string_view name) {
  const auto eh = read<Elf64_Ehdr>(image, 0);
  const auto names =
      read<Elf64_Shdr>(image, eh.e_shoff + uint64_t{eh.e_shstrndx} * sizeof(Elf64_Shdr));
  for (uint16_t i = 0; i < eh.e_shnum; ++i) {
    const uint64_t at = eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr);
    const auto sh = read<Elf64_Shdr>(image, at);
    const auto* text = reinterpret_cast<const char*>(image.data() + names.sh_offset + sh.sh_name);
    if (names.sh_offset + sh.sh_name < image.size() && name == text) return at;
  }
  throw std::runtime_error("the image has no section " + std::string(name));
}

Elf64_Shdr section(const Bytes& image, std::string_view name) {
  return read<Elf64_Shdr>(image, section_header(image, name));
}

// File offset of the dynamic entry with `tag`.
uint64_t dynamic_entry(const Bytes& image, int64_t tag) {
  const Elf64_Shdr dynamic = section(image, ".dynamic");
  for (uint64_t at = dynamic.sh_offset; at < dynamic.sh_offset + dynamic.sh_size;
       at += sizeof(Elf64_Dyn)) {
    const auto entry = read<Elf64_Dyn>(image, at);
    if (entry.d_tag == tag) return at;
    if (entry.d_tag == DT_NULL) break;
  }
  throw std::runtime_error("the image has no dynamic tag " + std::to_string(tag));
}

uint64_t program_header(const Bytes& image, uint32_t type) {
  const auto eh = read<Elf64_Ehdr>(image, 0);
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const uint64_t at = eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr);
    if (read<Elf64_Phdr>(image, at).p_type == type) return at;
  }
  throw std::runtime_error("the image has no program header of type " + std::to_string(type));
}

// File offset of the .dynsym entry named `symbol`, and its index.
struct SymbolEntry {
  uint64_t offset;
  uint64_t index;
};
SymbolEntry symbol_entry(const Bytes& image, std::string_view symbol) {
  const Elf64_Shdr dynsym = section(image, ".dynsym");
  const Elf64_Shdr dynstr = section(image, ".dynstr");
  for (uint64_t at = dynsym.sh_offset, i = 0; at < dynsym.sh_offset + dynsym.sh_size;
       at += sizeof(Elf64_Sym), ++i) {
    const auto sym = read<Elf64_Sym>(image, at);
    const auto* name = reinterpret_cast<const char*>(image.data() + dynstr.sh_offset + sym.st_name);
    if (dynstr.sh_offset + sym.st_name < image.size() && symbol == name) return {at, i};
  }
  throw std::runtime_error("the image has no dynamic symbol " + std::string(symbol));
}

template <typename Edit>
void edit_symbol(Bytes& image, std::string_view symbol, Edit edit) {
  const uint64_t at = symbol_entry(image, symbol).offset;
  auto sym = read<Elf64_Sym>(image, at);
  edit(sym);
  write(image, at, sym);
}

// File offset of the version definition named `version`.
uint64_t version_definition(const Bytes& image, std::string_view version) {
  const Elf64_Shdr verdef = section(image, ".gnu.version_d");
  const Elf64_Shdr dynstr = section(image, ".dynstr");
  uint64_t at = verdef.sh_offset;
  for (;;) {
    const auto def = read<Elf64_Verdef>(image, at);
    const auto aux = read<Elf64_Verdaux>(image, at + def.vd_aux);
    const auto* name =
        reinterpret_cast<const char*>(image.data() + dynstr.sh_offset + aux.vda_name);
    if (dynstr.sh_offset + aux.vda_name < image.size() && version == name) return at;
    if (def.vd_next == 0) break;
    at += def.vd_next;
  }
  throw std::runtime_error("the image has no version definition " + std::string(version));
}

}  // namespace

void set_symbol_binding(Bytes& image, std::string_view symbol, uint8_t binding) {
  edit_symbol(image, symbol, [&](Elf64_Sym& sym) {
    sym.st_info = static_cast<unsigned char>(ELF64_ST_INFO(binding, ELF64_ST_TYPE(sym.st_info)));
  });
}

void set_symbol_type(Bytes& image, std::string_view symbol, uint8_t type) {
  edit_symbol(image, symbol, [&](Elf64_Sym& sym) {
    sym.st_info = static_cast<unsigned char>(ELF64_ST_INFO(ELF64_ST_BIND(sym.st_info), type));
  });
}

void set_symbol_visibility(Bytes& image, std::string_view symbol, uint8_t visibility) {
  edit_symbol(image, symbol, [&](Elf64_Sym& sym) {
    sym.st_other = static_cast<unsigned char>((sym.st_other & ~0x3) | visibility);
  });
}

void make_symbol_undefined(Bytes& image, std::string_view symbol) {
  edit_symbol(image, symbol, [](Elf64_Sym& sym) { sym.st_shndx = SHN_UNDEF; });
}

void zero_symbol_value(Bytes& image, std::string_view symbol) {
  edit_symbol(image, symbol, [](Elf64_Sym& sym) { sym.st_value = 0; });
}

void hide_symbol_version(Bytes& image, std::string_view symbol) {
  const Elf64_Shdr versym = section(image, ".gnu.version");
  const uint64_t at = versym.sh_offset + sizeof(Elf64_Versym) * symbol_entry(image, symbol).index;
  write(image, at, static_cast<Elf64_Versym>(read<Elf64_Versym>(image, at) | 0x8000));
}

void corrupt_version_hash(Bytes& image, std::string_view version) {
  const uint64_t at = version_definition(image, version);
  auto def = read<Elf64_Verdef>(image, at);
  def.vd_hash ^= 0x1;
  write(image, at, def);
}

void rename_version(Bytes& image, std::string_view version) {
  if (version.empty()) throw std::runtime_error("rename_version needs a name");
  const uint64_t at = version_definition(image, version);
  const auto def = read<Elf64_Verdef>(image, at);
  const auto aux = read<Elf64_Verdaux>(image, at + def.vd_aux);
  const uint64_t last = section(image, ".dynstr").sh_offset + aux.vda_name + version.size() - 1;
  write<uint8_t>(image, last, static_cast<uint8_t>(read<uint8_t>(image, last) + 1));
}

void corrupt_gnu_hash_chain(Bytes& image, std::string_view symbol) {
  const Elf64_Shdr gnu_hash = section(image, ".gnu.hash");
  const auto nbuckets = read<uint32_t>(image, gnu_hash.sh_offset);
  const auto symoffset = read<uint32_t>(image, gnu_hash.sh_offset + 4);
  const auto bloom_size = read<uint32_t>(image, gnu_hash.sh_offset + 8);
  const uint64_t index = symbol_entry(image, symbol).index;
  if (index < symoffset) throw std::runtime_error(std::string(symbol) + " is not in .gnu.hash");
  const uint64_t at = gnu_hash.sh_offset + 16 + 8 * uint64_t{bloom_size} + 4 * uint64_t{nbuckets} +
                      4 * (index - symoffset);
  write<uint32_t>(image, at, read<uint32_t>(image, at) ^ 0x00010000u);
}

void empty_gnu_hash_buckets(Bytes& image) {
  write<uint32_t>(image, section(image, ".gnu.hash").sh_offset, 0);
}

void hide_dynamic_tag(Bytes& image, int64_t tag) {
  const uint64_t at = dynamic_entry(image, tag);
  auto entry = read<Elf64_Dyn>(image, at);
  entry.d_tag = DT_CHECKSUM;
  write(image, at, entry);
}

void make_symbol_global(Bytes& image, std::string_view symbol) {
  const Elf64_Shdr dynsym = section(image, ".dynsym");
  const Elf64_Shdr dynstr = section(image, ".dynstr");
  for (uint64_t at = dynsym.sh_offset; at < dynsym.sh_offset + dynsym.sh_size;
       at += sizeof(Elf64_Sym)) {
    auto sym = read<Elf64_Sym>(image, at);
    const auto* name = reinterpret_cast<const char*>(image.data() + dynstr.sh_offset + sym.st_name);
    if (symbol != name) continue;
    sym.st_info = static_cast<unsigned char>(ELF64_ST_INFO(STB_GLOBAL, ELF64_ST_TYPE(sym.st_info)));
    write(image, at, sym);
    return;
  }
  throw std::runtime_error("the image has no dynamic symbol " + std::string(symbol));
}

// File offset of the .dynsym entry named `symbol`.
uint64_t dynamic_symbol(const Bytes& image, std::string_view symbol) {
  const Elf64_Shdr dynsym = section(image, ".dynsym");
  const Elf64_Shdr dynstr = section(image, ".dynstr");
  for (uint64_t at = dynsym.sh_offset; at < dynsym.sh_offset + dynsym.sh_size;
       at += sizeof(Elf64_Sym)) {
    const auto sym = read<Elf64_Sym>(image, at);
    const auto* name = reinterpret_cast<const char*>(image.data() + dynstr.sh_offset + sym.st_name);
    if (symbol == name) return at;
  }
  throw std::runtime_error("the image has no dynamic symbol " + std::string(symbol));
}

void make_symbols_local_through(Bytes& image, std::string_view symbol) {
  const uint64_t last = symbol_entry(image, symbol).index;
  const Elf64_Shdr dynsym = section(image, ".dynsym");
  for (uint64_t i = 1; i <= last; ++i) {
    const uint64_t at = dynsym.sh_offset + i * sizeof(Elf64_Sym);
    auto sym = read<Elf64_Sym>(image, at);
    sym.st_info = static_cast<unsigned char>(ELF64_ST_INFO(STB_LOCAL, ELF64_ST_TYPE(sym.st_info)));
    write(image, at, sym);
  }
  // LOCAL symbols come first, and sh_info is the index of the first non-LOCAL one.
  const uint64_t header = section_header(image, ".dynsym");
  auto changed = read<Elf64_Shdr>(image, header);
  changed.sh_info = static_cast<uint32_t>(last + 1);
  write(image, header, changed);
}

void make_first_symbol_local(Bytes& image) {
  const Elf64_Shdr dynsym = section(image, ".dynsym");
  const Elf64_Shdr dynstr = section(image, ".dynstr");
  if (dynsym.sh_size < 2 * sizeof(Elf64_Sym)) throw std::runtime_error(".dynsym has no symbol");
  const auto first = read<Elf64_Sym>(image, dynsym.sh_offset + sizeof(Elf64_Sym));
  if (dynstr.sh_offset + first.st_name >= image.size()) {
    throw std::runtime_error("the first dynamic symbol's name is past the image");
  }
  make_symbols_local_through(
      image, reinterpret_cast<const char*>(image.data() + dynstr.sh_offset + first.st_name));
}

void move_symbol(Bytes& image, std::string_view symbol, uint64_t distance) {
  const uint64_t at = dynamic_symbol(image, symbol);
  auto sym = read<Elf64_Sym>(image, at);
  sym.st_value += distance;
  sym.st_size -= std::min<uint64_t>(sym.st_size, distance);
  write(image, at, sym);
}

void drop_last_version_definition(Bytes& image) {
  const uint64_t count_at = dynamic_entry(image, DT_VERDEFNUM);
  auto count = read<Elf64_Dyn>(image, count_at);
  if (count.d_un.d_val < 2) throw std::runtime_error("the image has no version beyond the base");

  // Walk to the second-to-last definition and end the chain there.
  const Elf64_Shdr verdef = section(image, ".gnu.version_d");
  uint64_t at = verdef.sh_offset;
  for (uint64_t i = 0; i + 2 < count.d_un.d_val; ++i) at += read<Elf64_Verdef>(image, at).vd_next;
  auto before_last = read<Elf64_Verdef>(image, at);
  const auto last = read<Elf64_Verdef>(image, at + before_last.vd_next);
  before_last.vd_next = 0;
  write(image, at, before_last);
  count.d_un.d_val -= 1;
  write(image, count_at, count);

  // Symbols defined at the dropped version now name the base version.
  const Elf64_Shdr versym = section(image, ".gnu.version");
  for (uint64_t v = versym.sh_offset; v < versym.sh_offset + versym.sh_size;
       v += sizeof(Elf64_Versym)) {
    const auto index = read<Elf64_Versym>(image, v);
    if ((index & 0x7fff) == last.vd_ndx) {
      write(image, v, static_cast<Elf64_Versym>((index & 0x8000) | VER_NDX_GLOBAL));
    }
  }
}

void add_stray_relocation(Bytes& image) {
  const uint64_t flags_at = dynamic_entry(image, DT_FLAGS);
  const uint64_t flags_1_at = dynamic_entry(image, DT_FLAGS_1);
  // The table's address is inside the segment (.eh_frame); nobody applies it,
  // the tags alone make the image one that asks to be relocated.
  const Elf64_Shdr eh_frame = section(image, ".eh_frame");
  Elf64_Dyn rela{};
  rela.d_tag = DT_RELA;
  rela.d_un.d_ptr = eh_frame.sh_addr;
  Elf64_Dyn relasz{};
  relasz.d_tag = DT_RELASZ;
  relasz.d_un.d_val = sizeof(Elf64_Rela);
  write(image, flags_at, rela);
  write(image, flags_1_at, relasz);
}

void add_second_load_segment(Bytes& image) {
  constexpr uint64_t kPage = 4096;
  const uint64_t at = program_header(image, PT_GNU_EH_FRAME);
  const auto load = read<Elf64_Phdr>(image, program_header(image, PT_LOAD));
  const uint64_t next_page = (load.p_memsz + kPage - 1) / kPage * kPage;
  if (image.size() < next_page) image.resize(next_page, 0);
  Elf64_Phdr extra{};
  extra.p_type = PT_LOAD;
  extra.p_flags = PF_R | PF_W;
  extra.p_offset = next_page;
  extra.p_vaddr = next_page;
  extra.p_paddr = next_page;
  extra.p_filesz = 0;
  extra.p_memsz = kPage;
  extra.p_align = kPage;
  write(image, at, extra);
}

void corrupt_gnu_hash(Bytes& image) {
  const Elf64_Shdr gnu_hash = section(image, ".gnu.hash");
  const auto bloom_size = read<uint32_t>(image, gnu_hash.sh_offset + 8);
  if (bloom_size == 0) throw std::runtime_error(".gnu.hash has no bloom filter");
  for (uint32_t i = 0; i < bloom_size; ++i)
    write<uint64_t>(image, gnu_hash.sh_offset + 16 + 8 * uint64_t{i}, 0);
}

void corrupt_sysv_hash(Bytes& image) {
  const Elf64_Shdr hash = section(image, ".hash");
  const auto nbucket = read<uint32_t>(image, hash.sh_offset);
  for (uint32_t i = 0; i < nbucket; ++i)
    write<uint32_t>(image, hash.sh_offset + 8 + 4 * uint64_t{i}, 0);
}

const std::vector<NamedMutation>& all_mutations() {
  static const std::vector<NamedMutation> mutations{
      {"global-getrandom", [](Bytes& b) { make_symbol_global(b, "getrandom"); }},
      {"local-vdso-getrandom", make_first_symbol_local},
      {"moved-getrandom", [](Bytes& b) { move_symbol(b, "getrandom", 16); }},
      {"no-linux-version", drop_last_version_definition},
      {"stray-relocation", add_stray_relocation},
      {"second-load", add_second_load_segment},
      {"corrupt-gnu-hash", corrupt_gnu_hash},
      {"corrupt-sysv-hash", corrupt_sysv_hash},
  };
  return mutations;
}

}  // namespace abi_test
