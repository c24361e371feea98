// The built image, read back from the file: every structural promise of
// docs/abi.md, checked on the shipped (stripped) file and its .dbg twin.
#include <elf.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <sstream>
#include <string>

#include "files.h"
#include "skip.h"
#include "tool_runner.h"
#include "vdsoforge/elf_exports.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/image_defaults.h"
#include "vdsoforge/kernel_vdso.h"

using vdsoforge::ElfError;
using vdsoforge::ElfImage;
using vdsoforge::ParseMode;

namespace {

const ElfImage& image() {
  static const ElfImage parsed = [] {
    ElfError err;
    auto img = ElfImage::parse_file(VDSOFORGE_TEST_IMAGE, ParseMode::strict, err);
    INFO(err.message);
    REQUIRE(img);
    return *img;
  }();
  return parsed;
}

const ElfImage& debug_image() {
  static const ElfImage parsed = [] {
    ElfError err;
    auto img = ElfImage::parse_file(VDSOFORGE_TEST_DEBUG_IMAGE, ParseMode::strict, err);
    INFO(err.message);
    REQUIRE(img);
    return *img;
  }();
  return parsed;
}

std::set<std::string> section_names(const ElfImage& img) {
  std::set<std::string> names;
  for (const auto& s : img.sections()) names.insert(s.name);
  return names;
}

}  // namespace

TEST_CASE("ELF identity is the kernel vDSO's", "[structure]") {
  const auto& id = image().identity();
  CHECK(id.elf_class == ELFCLASS64);
  CHECK(id.data == ELFDATA2LSB);
  CHECK(id.ident_version == EV_CURRENT);
  CHECK(id.osabi == ELFOSABI_SYSV);
  CHECK(id.type == ET_DYN);
  CHECK(id.machine == EM_X86_64);
  CHECK(id.version == EV_CURRENT);
  CHECK(id.entry == 0);
}

TEST_CASE("exactly the kernel's four program headers", "[structure]") {
  const auto& segs = image().segments();
  REQUIRE(segs.size() == 4);
  CHECK(segs[0].type == PT_LOAD);
  CHECK(segs[1].type == PT_DYNAMIC);
  CHECK(segs[2].type == PT_NOTE);
  CHECK(segs[3].type == PT_GNU_EH_FRAME);
  const auto& load = segs[0];
  CHECK(load.offset == 0);
  CHECK(load.vaddr == 0);
  CHECK(load.flags == (PF_R | PF_X));
  CHECK(load.align == 0x1000);
  CHECK(load.filesz == load.memsz);  // no .bss
  for (size_t i = 1; i < segs.size(); ++i) {
    CHECK(segs[i].flags == PF_R);
    CHECK(segs[i].offset == segs[i].vaddr);
    CHECK(segs[i].offset + segs[i].filesz <= load.filesz);  // inside the one PT_LOAD
  }
}

TEST_CASE("sections are the vDSO set and nothing writable or relocating", "[structure]") {
  const auto names = section_names(image());
  for (const char* wanted :
       {".hash", ".gnu.hash", ".dynsym", ".dynstr", ".gnu.version", ".gnu.version_d", ".dynamic",
        ".note", ".eh_frame_hdr", ".eh_frame", ".text"})
    CHECK(names.count(wanted) == 1);
  for (const auto& name : names) {
    INFO("section " << name);
    CHECK(name.rfind(".data", 0) != 0);
    CHECK(name.rfind(".bss", 0) != 0);
    CHECK(name.rfind(".got", 0) != 0);
    CHECK(name.rfind(".plt", 0) != 0);
    CHECK(name.rfind(".rel", 0) != 0);
  }
  // The shipped file is stripped; the .dbg twin keeps the symbol table.
  CHECK(names.count(".symtab") == 0);
  CHECK(section_names(debug_image()).count(".symtab") == 1);
}

TEST_CASE("dynamic tags match the kernel's", "[structure]") {
  const auto& img = image();
  CHECK(img.soname() == "linux-vdso.so.1");
  CHECK(img.dynamic_value(DT_FLAGS) == uint64_t{DF_SYMBOLIC | DF_BIND_NOW});
  CHECK(img.dynamic_value(DT_FLAGS_1) == uint64_t{DF_1_NOW});
  CHECK(img.dynamic_value(DT_SYMENT) == uint64_t{24});
  CHECK(img.dynamic_value(DT_VERDEFNUM) == uint64_t{2});
  for (int64_t tag : {DT_HASH, DT_GNU_HASH, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_VERSYM, DT_VERDEF})
    CHECK(img.dynamic_value(tag).has_value());
  for (int64_t tag : {DT_NEEDED, DT_REL, DT_RELA, DT_JMPREL, DT_TEXTREL, DT_INIT, DT_FINI,
                      DT_INIT_ARRAY, DT_FINI_ARRAY, DT_PLTGOT}) {
    INFO("tag " << tag);
    CHECK_FALSE(img.dynamic_value(tag).has_value());
  }
}

TEST_CASE("version definitions: linux-vdso.so.1 (BASE) and LINUX_2.6", "[structure]") {
  const auto& defs = image().version_definitions();
  REQUIRE(defs.size() == 2);
  CHECK(defs[0].index == 1);
  CHECK(defs[0].flags == VER_FLG_BASE);
  CHECK(defs[0].name == "linux-vdso.so.1");
  CHECK(defs[1].index == 2);
  CHECK(defs[1].flags == 0);
  CHECK(defs[1].name == "LINUX_2.6");
  for (const auto& d : defs) CHECK(d.hash_matches);
}

TEST_CASE(
    "exports: the kernel's x86-64 set, each __vdso_X GLOBAL and X WEAK, one address, LINUX_2.6",
    "[structure]") {
  const auto& img = image();
  std::set<std::string> exported;
  for (const auto& sym : img.symbols()) {
    if (sym.index == 0) continue;
    INFO("symbol " << sym.name);
    CHECK(sym.shndx != SHN_UNDEF);  // nothing imported: no libc, no libstdc++
    exported.insert(sym.name);
  }
  // The kernel's six functions under both names, and the version's own
  // symbol; nothing else.
  const char* const functions[] = {"getrandom", "clock_gettime", "gettimeofday",
                                   "time",      "clock_getres",  "getcpu"};
  std::set<std::string> expected{"LINUX_2.6"};
  for (const char* name : functions) {
    expected.insert(name);
    expected.insert(std::string("__vdso_") + name);
  }
  CHECK(exported == expected);

  for (const char* name : functions) {
    INFO("function " << name);
    const std::string vdso_name = std::string("__vdso_") + name;
    const auto* strong = img.lookup(vdso_name, "LINUX_2.6");
    const auto* weak = img.lookup(name, "LINUX_2.6");
    REQUIRE(strong);
    REQUIRE(weak);
    CHECK(strong->bind == STB_GLOBAL);
    CHECK(weak->bind == STB_WEAK);
    for (const auto* sym : {strong, weak}) {
      CHECK(sym->type == STT_FUNC);
      CHECK(sym->visibility == STV_DEFAULT);
      CHECK(sym->version == "LINUX_2.6");
      CHECK(sym->is_default_version());
      CHECK(sym->size > 0);
    }
    CHECK(strong->value == weak->value);
    // Both hash tables find both names on their own.
    for (const std::string& each : {vdso_name, std::string(name)}) {
      CHECK(img.lookup_gnu_hash(each, "LINUX_2.6") != nullptr);
      CHECK(img.lookup_sysv_hash(each, "LINUX_2.6") != nullptr);
    }
  }
}

TEST_CASE("the version symbol LINUX_2.6 is in .dynsym as in the kernel's vDSO", "[structure]") {
  // GNU ld emits an ABS OBJECT GLOBAL symbol per version; `readelf
  // --dyn-syms` of the kernel's vDSO lists it, so the image's must too.
  const auto& img = image();
  const auto* sym = vdsoforge::find_version_symbol(img, "LINUX_2.6");
  REQUIRE(sym != nullptr);
  CHECK(sym->shndx == SHN_ABS);
  CHECK(sym->value == 0);
  CHECK(sym->size == 0);
  CHECK(sym->type == STT_OBJECT);
  CHECK(sym->bind == STB_GLOBAL);
  CHECK(sym->visibility == STV_DEFAULT);
  CHECK(sym->version == "LINUX_2.6");
  CHECK(sym->is_default_version());
  // Not an export: C libraries never look it up.
  for (const auto* exported : vdsoforge::exported_symbols(img)) CHECK(exported != sym);

  vdsoforge::ElfError parse_err;
  vdsoforge::Error err;
  const auto kernel_bytes = vdsoforge::kernel_vdso_bytes(err);
  if (kernel_bytes.empty()) vdsoforge_skip(("no kernel vDSO: " + err.message).c_str());
  const auto kernel = ElfImage::parse(kernel_bytes, ParseMode::strict, parse_err);
  REQUIRE(kernel);
  const auto* theirs = vdsoforge::find_version_symbol(*kernel, "LINUX_2.6");
  REQUIRE(theirs != nullptr);
  CHECK(vdsoforge::version_symbol_text(sym) == vdsoforge::version_symbol_text(theirs));
  CHECK(sym->value == theirs->value);
  CHECK(sym->size == theirs->size);
}

namespace {

// The name column of `readelf --dyn-syms -W FILE` for the ABS symbol, the
// version's own: "LINUX_2.6" when its name is the verdef's string, as GNU ld
// leaves it, "LINUX_2.6@@LINUX_2.6" when it has a copy of its own.
std::string readelf_version_symbol(const std::string& path) {
  const auto result = test_support::run_program({"readelf", "--dyn-syms", "-W", path});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  std::istringstream lines(result.out);
  std::string line, name;
  while (std::getline(lines, line)) {
    if (line.find(" ABS ") == std::string::npos) continue;
    name = line.substr(line.rfind(' ') + 1);
  }
  return name;
}

}  // namespace

TEST_CASE("the version symbol's name is the verdef's string, so readelf prints it as the kernel's",
          "[structure]") {
  for (const ElfImage* img : {&image(), &debug_image()}) {
    const auto* sym = vdsoforge::find_version_symbol(*img, "LINUX_2.6");
    REQUIRE(sym != nullptr);
    const auto bytes = img->bytes();
    const auto symtab = img->dynamic_value(DT_SYMTAB);
    const auto verdef = img->dynamic_value(DT_VERDEF);
    REQUIRE(symtab);
    REQUIRE(verdef);
    Elf64_Sym raw;
    std::memcpy(&raw, bytes.data() + *symtab + sym->index * sizeof raw, sizeof raw);
    // Version 2 is the second verdef (the first is the file's own, BASE).
    Elf64_Verdef first, second;
    std::memcpy(&first, bytes.data() + *verdef, sizeof first);
    std::memcpy(&second, bytes.data() + *verdef + first.vd_next, sizeof second);
    REQUIRE(second.vd_ndx == (sym->versym & 0x7fff));
    Elf64_Verdaux aux;
    std::memcpy(&aux, bytes.data() + *verdef + first.vd_next + second.vd_aux, sizeof aux);
    CHECK(raw.st_name == aux.vda_name);
  }
  CHECK(readelf_version_symbol(VDSOFORGE_TEST_IMAGE) == "LINUX_2.6");

  // And the kernel's own vDSO, saved to a file, reads the same.
  vdsoforge::Error err;
  const auto kernel_bytes = vdsoforge::kernel_vdso_bytes(err);
  if (kernel_bytes.empty()) vdsoforge_skip(("no kernel vDSO: " + err.message).c_str());
  test_support::TempDir dir;
  const auto kernel_copy = dir.path("kernel-vdso.so");
  test_support::write_file(kernel_copy,
                           test_support::Bytes(kernel_bytes.begin(), kernel_bytes.end()));
  CHECK(readelf_version_symbol(kernel_copy.string()) ==
        readelf_version_symbol(VDSOFORGE_TEST_IMAGE));
}

TEST_CASE("notes: Linux version code, build-id and the data layout", "[structure]") {
  const auto& notes = image().notes();
  bool linux_note = false, build_id = false, layout = false;
  for (const auto& n : notes) {
    if (n.owner == "Linux" && n.type == 0) {
      REQUIRE(n.desc.size() == 4);
      uint32_t code;
      std::memcpy(&code, n.desc.data(), 4);
      CHECK(code == vdsoforge::default_image::kLinuxVersionCode);
      linux_note = true;
    } else if (n.owner == "GNU" && n.type == NT_GNU_BUILD_ID) {
      CHECK(n.desc.size() == 20);  // SHA-1
      build_id = true;
    } else if (n.owner == "vdsoforge" && n.type == 1) {
      CHECK(n.desc.size() == 16);
      layout = true;
    }
  }
  CHECK(linux_note);
  CHECK(build_id);
  CHECK(layout);
  const auto& dl = image().data_layout();
  REQUIRE(dl.has_value());
  CHECK(dl->page_size == 4096);
  CHECK(dl->data_area_size == vdsoforge::default_image::kDataAreaSize);
  CHECK(dl->rng_data_offset == vdsoforge::default_image::kRngDataOffset);
}

TEST_CASE("unwind tables are kept for every function", "[structure]") {
  // .eh_frame_hdr: version 1, then the search table's entry count.  The image
  // has getrandom and the block routine, each needs an FDE.
  const auto& img = image();
  const auto& hdr_seg = img.segments()[3];
  REQUIRE(hdr_seg.filesz >= 12);
  const uint8_t* hdr = img.bytes().data() + hdr_seg.offset;
  CHECK(hdr[0] == 1);     // version
  CHECK(hdr[2] == 0x03);  // fde_count encoding: udata4
  uint32_t fde_count;
  std::memcpy(&fde_count, hdr + 8, 4);
  CHECK(fde_count >= 2);
}

TEST_CASE("stripping changed nothing that is mapped", "[structure]") {
  const auto& shipped = image();
  const auto& debug = debug_image();
  REQUIRE(shipped.load_segment().filesz == debug.load_segment().filesz);
  const auto a = shipped.bytes().subspan(0, shipped.load_segment().filesz);
  const auto b = debug.bytes().subspan(0, debug.load_segment().filesz);
  // The ELF header's section-header fields differ; everything after it must not.
  CHECK(std::equal(a.begin() + sizeof(Elf64_Ehdr), a.end(), b.begin() + sizeof(Elf64_Ehdr)));
}
