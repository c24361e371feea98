#include "image_mutations.h"

#include <elf.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "image_bytes.h"

namespace test_support {

namespace {

template <typename Edit>
void edit_symbol(Bytes& image, std::string_view symbol, Edit edit) {
  const uint64_t at = dynsym_offset(image, symbol);
  auto sym = get<Elf64_Sym>(image, at);
  edit(sym);
  put(image, at, sym);
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
  const uint64_t at = versym_offset(image, symbol);
  put(image, at, static_cast<Elf64_Versym>(get<Elf64_Versym>(image, at) | 0x8000));
}

void corrupt_version_hash(Bytes& image, std::string_view version) {
  const uint64_t at = verdef_offset(image, version);
  auto def = get<Elf64_Verdef>(image, at);
  def.vd_hash ^= 0x1;
  put(image, at, def);
}

void rename_version(Bytes& image, std::string_view version) {
  if (version.empty()) throw std::runtime_error("rename_version needs a name");
  const uint64_t at = verdef_offset(image, version);
  const auto def = get<Elf64_Verdef>(image, at);
  const auto aux = get<Elf64_Verdaux>(image, at + def.vd_aux);
  const uint64_t last = dynamic_value(image, DT_STRTAB) + aux.vda_name + version.size() - 1;
  put<uint8_t>(image, last, static_cast<uint8_t>(get<uint8_t>(image, last) + 1));
}

void corrupt_gnu_hash_chain(Bytes& image, std::string_view symbol) {
  const uint64_t gnu_hash = dynamic_value(image, DT_GNU_HASH);
  const auto nbuckets = get<uint32_t>(image, gnu_hash);
  const auto symoffset = get<uint32_t>(image, gnu_hash + 4);
  const auto bloom_size = get<uint32_t>(image, gnu_hash + 8);
  const uint64_t index = dynsym_index(image, symbol);
  if (index < symoffset) throw std::runtime_error(std::string(symbol) + " is not in .gnu.hash");
  const uint64_t at =
      gnu_hash + 16 + 8 * uint64_t{bloom_size} + 4 * uint64_t{nbuckets} + 4 * (index - symoffset);
  put<uint32_t>(image, at, get<uint32_t>(image, at) ^ 0x00010000u);
}

void empty_gnu_hash_buckets(Bytes& image) {
  put<uint32_t>(image, dynamic_value(image, DT_GNU_HASH), 0);
}

void hide_dynamic_tag(Bytes& image, int64_t tag) {
  put<int64_t>(image, dynamic_entry_offset(image, tag), DT_CHECKSUM);
}

void make_symbol_global(Bytes& image, std::string_view symbol) {
  set_symbol_binding(image, symbol, STB_GLOBAL);
}

void make_symbols_local_through(Bytes& image, std::string_view symbol) {
  const uint64_t last = dynsym_index(image, symbol);
  const uint64_t dynsym = dynamic_value(image, DT_SYMTAB);
  for (uint64_t i = 1; i <= last; ++i) {
    const uint64_t at = dynsym + i * sizeof(Elf64_Sym);
    auto sym = get<Elf64_Sym>(image, at);
    sym.st_info = static_cast<unsigned char>(ELF64_ST_INFO(STB_LOCAL, ELF64_ST_TYPE(sym.st_info)));
    put(image, at, sym);
  }
  // LOCAL symbols come first, and sh_info is the index of the first non-LOCAL one.
  set_dynsym_first_global(image, static_cast<uint32_t>(last + 1));
}

void make_first_symbol_local(Bytes& image) {
  const auto first = get<Elf64_Sym>(image, dynamic_value(image, DT_SYMTAB) + sizeof(Elf64_Sym));
  const uint64_t name = dynamic_value(image, DT_STRTAB) + first.st_name;
  require_inside(image, name, 1);
  make_symbols_local_through(image, reinterpret_cast<const char*>(image.data() + name));
}

void move_symbol(Bytes& image, std::string_view symbol, uint64_t distance) {
  edit_symbol(image, symbol, [&](Elf64_Sym& sym) {
    sym.st_value += distance;
    sym.st_size -= std::min<uint64_t>(sym.st_size, distance);
  });
}

void drop_last_version_definition(Bytes& image) {
  const uint64_t count_at = dynamic_entry_offset(image, DT_VERDEFNUM);
  auto count = get<Elf64_Dyn>(image, count_at);
  if (count.d_un.d_val < 2) throw std::runtime_error("the image has no version beyond the base");

  // Walk to the second-to-last definition and end the chain there.
  const uint64_t at = verdef_offset(image, static_cast<unsigned>(count.d_un.d_val - 2));
  auto before_last = get<Elf64_Verdef>(image, at);
  const auto last = get<Elf64_Verdef>(image, at + before_last.vd_next);
  before_last.vd_next = 0;
  put(image, at, before_last);
  count.d_un.d_val -= 1;
  put(image, count_at, count);

  // Symbols defined at the dropped version now name the base version.
  const uint64_t versym = dynamic_value(image, DT_VERSYM);
  const auto symbols = get<uint32_t>(image, dynamic_value(image, DT_HASH) + 4);  // nchain
  for (uint64_t v = versym; v < versym + uint64_t{symbols} * sizeof(Elf64_Versym);
       v += sizeof(Elf64_Versym)) {
    const auto index = get<Elf64_Versym>(image, v);
    if ((index & 0x7fff) == last.vd_ndx) {
      put(image, v, static_cast<Elf64_Versym>((index & 0x8000) | VER_NDX_GLOBAL));
    }
  }
}

void add_stray_relocation(Bytes& image) {
  const uint64_t flags_at = dynamic_entry_offset(image, DT_FLAGS);
  const uint64_t flags_1_at = dynamic_entry_offset(image, DT_FLAGS_1);
  // The table's address is inside the segment (the unwind tables); nobody
  // applies it, the tags alone make the image one that asks to be relocated.
  const auto eh_frame_hdr = get<Elf64_Phdr>(image, program_header_offset(image, PT_GNU_EH_FRAME));
  Elf64_Dyn rela{};
  rela.d_tag = DT_RELA;
  rela.d_un.d_ptr = eh_frame_hdr.p_vaddr;
  Elf64_Dyn relasz{};
  relasz.d_tag = DT_RELASZ;
  relasz.d_un.d_val = sizeof(Elf64_Rela);
  put(image, flags_at, rela);
  put(image, flags_1_at, relasz);
}

void add_second_load_segment(Bytes& image) {
  constexpr uint64_t kPage = 4096;
  const uint64_t at = program_header_offset(image, PT_GNU_EH_FRAME);
  const auto load = get<Elf64_Phdr>(image, program_header_offset(image, PT_LOAD));
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
  put(image, at, extra);
}

void corrupt_gnu_hash(Bytes& image) {
  const uint64_t gnu_hash = dynamic_value(image, DT_GNU_HASH);
  const auto bloom_size = get<uint32_t>(image, gnu_hash + 8);
  if (bloom_size == 0) throw std::runtime_error(".gnu.hash has no bloom filter");
  for (uint32_t i = 0; i < bloom_size; ++i)
    put<uint64_t>(image, gnu_hash + 16 + 8 * uint64_t{i}, 0);
}

void corrupt_sysv_hash(Bytes& image) {
  const uint64_t hash = dynamic_value(image, DT_HASH);
  const auto nbucket = get<uint32_t>(image, hash);
  for (uint32_t i = 0; i < nbucket; ++i) put<uint32_t>(image, hash + 8 + 4 * uint64_t{i}, 0);
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

}  // namespace test_support
