// ElfImage on real inputs: the image this project builds and the live kernel
// vDSO parse strictly, and what the parser reports matches their known shape
// (docs/abi.md and the image's build settings).
#include <elf.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "image_bytes.h"
#include "vdsoforge/elf_exports.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/image_defaults.h"

using namespace vdsoforge;
using test_support::Bytes;

namespace {

std::set<std::string> exported_names(const ElfImage& image) {
  std::set<std::string> names;
  for (const Symbol* s : exported_symbols(image)) names.insert(s->name);
  return names;
}

const Note* find_note(const ElfImage& image, std::string_view owner, uint32_t type) {
  for (const Note& n : image.notes()) {
    if (n.owner == owner && n.type == type) return &n;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the built image parses strictly with the kernel vDSO's shape") {
  const Bytes bytes = test_support::built_image();
  const ElfImage image = test_support::parse_valid(bytes);

  CHECK(image.identity().type == ET_DYN);
  CHECK(image.identity().machine == EM_X86_64);
  CHECK(image.violations().empty());
  CHECK(image.soname() == "linux-vdso.so.1");

  size_t loads = 0;
  for (const Segment& s : image.segments()) loads += s.type == PT_LOAD;
  CHECK(loads == 1);
  CHECK(image.load_segment().offset == 0);
  CHECK(image.load_segment().vaddr == 0);
  CHECK(image.load_segment().flags == (PF_R | PF_X));

  CHECK(image.has_gnu_hash());
  CHECK(image.has_sysv_hash());
  CHECK(exported_names(image) == std::set<std::string>{"__vdso_getrandom", "getrandom",
                                                       "__vdso_clock_gettime", "clock_gettime",
                                                       "__vdso_gettimeofday", "gettimeofday",
                                                       "__vdso_time", "time", "__vdso_clock_getres",
                                                       "clock_getres", "__vdso_getcpu", "getcpu"});
  for (const Symbol& s : image.symbols()) {
    if (s.index == 0) continue;
    CHECK(s.version == "LINUX_2.6");
    CHECK(s.is_default_version());
    CHECK(s.type == (is_version_symbol(image, s) ? STT_OBJECT : STT_FUNC));
  }

  REQUIRE(image.version_definitions().size() == 2);
  CHECK(image.version_definitions()[0].name == "linux-vdso.so.1");
  CHECK((image.version_definitions()[0].flags & VER_FLG_BASE) != 0);
  CHECK(image.version_definitions()[1].name == "LINUX_2.6");
  CHECK(image.version_definitions()[1].index == 2);
  for (const auto& def : image.version_definitions()) CHECK(def.hash_matches);

  const std::set<std::string> section_names = [&] {
    std::set<std::string> names;
    for (const Section& s : image.sections()) names.insert(s.name);
    return names;
  }();
  for (const char* name : {".hash", ".gnu.hash", ".dynsym", ".dynstr", ".gnu.version",
                           ".gnu.version_d", ".dynamic", ".text"}) {
    CHECK(section_names.count(name) == 1);
  }
}

TEST_CASE("the built image's notes: Linux version, build-id and the data layout") {
  const ElfImage image = test_support::parse_valid(test_support::built_image());
  const Note* linux_note = find_note(image, "Linux", 0);
  REQUIRE(linux_note != nullptr);
  REQUIRE(linux_note->desc.size() == 4);
  uint32_t version_code = 0;
  std::memcpy(&version_code, linux_note->desc.data(), 4);
  CHECK(version_code >= ((6u << 16) | (11u << 8)));  // targets a kernel with vgetrandom

  const Note* build_id = find_note(image, "GNU", NT_GNU_BUILD_ID);
  REQUIRE(build_id != nullptr);
  CHECK(build_id->desc.size() == 20);  // sha1

  // The default layout of this build (CMake cache, image_defaults.h).  The raw
  // note bytes and the decoded layout must agree.
  const Note* layout_note = find_note(image, "vdsoforge", 1);
  REQUIRE(layout_note != nullptr);
  REQUIRE(layout_note->desc.size() == 16);
  uint32_t raw[4];
  std::memcpy(raw, layout_note->desc.data(), 16);
  REQUIRE(image.data_layout().has_value());
  CHECK(raw[0] == 1);
  CHECK(image.data_layout()->page_size == raw[1]);
  CHECK(image.data_layout()->data_area_size == raw[2]);
  CHECK(image.data_layout()->rng_data_offset == raw[3]);
  CHECK(image.data_layout()->page_size == 4096);
  CHECK(image.data_layout()->data_area_size == vdsoforge::default_image::kDataAreaSize);
  CHECK(image.data_layout()->rng_data_offset == vdsoforge::default_image::kRngDataOffset);
}

TEST_CASE("profile images carry a format-2 data-layout note; the explicit image keeps format 1") {
  // Format 1 is what every image said before profiles existed: the default
  // (explicit-area) image still says it, byte for byte, and parses as before.
  const ElfImage explicit_image = test_support::parse_valid(test_support::built_image());
  REQUIRE(explicit_image.data_layout());
  CHECK(explicit_image.data_layout()->format == 1);
  CHECK(explicit_image.data_layout()->profile == nullptr);
  CHECK_FALSE(explicit_image.data_layout()->timens);

  struct Expected {
    const char* profile;
    uint32_t area, rng, vvar, timens, clock_mode;  // timens 0: no indirection
  };
  // The kernels' own numbers (docs/abi.md cites their sources), written here
  // independently of layout_profiles.h: kernel facts, not vdsoforge defaults.
  const Expected expected[] = {
      {"linux-6.11", 0x4000, 0x280, 0x0, 0x3000, 0x84},
      {"linux-6.13", 0x4000, 0x280, 0x0, 0x1000, 0x4},
      {"linux-6.15", 0x6000, 0x2000, 0, 0, 0},
  };
  for (const Expected& e : expected) {
    INFO(e.profile);
    const ElfImage image = test_support::parse_valid(test_support::built_profile_image(e.profile));
    const Note* note = find_note(image, "vdsoforge", 1);
    REQUIRE(note != nullptr);
    REQUIRE(note->desc.size() == 36);
    uint32_t raw[9];
    std::memcpy(raw, note->desc.data(), sizeof raw);
    CHECK(raw[0] == 2);
    CHECK(raw[1] == 4096);
    CHECK(raw[2] == e.area);
    CHECK(raw[3] == e.rng);
    CHECK(raw[5] == (e.timens ? 1u : 0u));
    CHECK(raw[6] == e.vvar);
    CHECK(raw[7] == e.timens);
    CHECK(raw[8] == e.clock_mode);
    const auto& layout = image.data_layout();
    REQUIRE(layout);
    CHECK(layout->format == 2);
    REQUIRE(layout->profile != nullptr);
    CHECK(std::string(layout->profile->name) == e.profile);
    CHECK(static_cast<uint32_t>(layout->profile->id) == raw[4]);
    CHECK(layout->data_area_size == e.area);
    CHECK(layout->rng_data_offset == e.rng);
    CHECK(layout->timens.has_value() == (e.timens != 0));
    if (layout->timens) {
      CHECK(layout->timens->vvar_page_offset == e.vvar);
      CHECK(layout->timens->timens_page_offset == e.timens);
      CHECK(layout->timens->clock_mode_offset == e.clock_mode);
    }
  }
}

TEST_CASE("notes in an 8-aligned PT_NOTE are read at 8-byte record offsets") {
  // Rewrite the built image's note segment the way an 8-aligned one is laid
  // out (name padded together with the header, not on its own): the layout
  // note, then the build-id, whose descriptor then starts 16 bytes in.
  Bytes bytes = test_support::built_image();
  const ElfImage original = test_support::parse_valid(bytes);
  const Note* original_id = find_note(original, "GNU", NT_GNU_BUILD_ID);
  const Note* original_layout = find_note(original, "vdsoforge", 1);
  REQUIRE(original_id != nullptr);
  REQUIRE(original_layout != nullptr);

  const uint64_t ph = test_support::program_header_offset(bytes, PT_NOTE);
  const auto note_ph = test_support::get<Elf64_Phdr>(bytes, ph);
  REQUIRE(note_ph.p_offset % 8 == 0);
  auto append_record = [](Bytes& out, std::string_view owner, uint32_t type,
                          const std::vector<uint8_t>& desc) {
    auto pad8 = [&out] { out.resize((out.size() + 7) & ~size_t{7}, 0); };
    const uint32_t header[3] = {static_cast<uint32_t>(owner.size() + 1),
                                static_cast<uint32_t>(desc.size()), type};
    const auto* h = reinterpret_cast<const uint8_t*>(header);
    out.insert(out.end(), h, h + sizeof header);
    out.insert(out.end(), owner.begin(), owner.end());
    out.push_back(0);
    pad8();
    out.insert(out.end(), desc.begin(), desc.end());
    pad8();
  };
  Bytes notes;
  append_record(notes, "vdsoforge", 1, original_layout->desc);
  append_record(notes, "GNU", NT_GNU_BUILD_ID, original_id->desc);
  REQUIRE(notes.size() <= note_ph.p_filesz);  // fits where the old notes were
  std::copy(notes.begin(), notes.end(), bytes.begin() + static_cast<long>(note_ph.p_offset));
  Elf64_Phdr edited = note_ph;
  edited.p_filesz = edited.p_memsz = notes.size();
  edited.p_align = 8;
  test_support::put(bytes, ph, edited);

  const ElfImage image = test_support::parse_valid(bytes);
  REQUIRE(image.notes().size() == 2);
  const Note* build_id = find_note(image, "GNU", NT_GNU_BUILD_ID);
  REQUIRE(build_id != nullptr);
  CHECK(build_id->desc == original_id->desc);
  REQUIRE(image.data_layout().has_value());
  CHECK(image.data_layout()->data_area_size == original.data_layout()->data_area_size);
  CHECK(image.data_layout()->rng_data_offset == original.data_layout()->rng_data_offset);
}

TEST_CASE("the unstripped debug image parses too and keeps its .symtab") {
  const ElfImage image = test_support::parse_valid(test_support::built_debug_image());
  CHECK(std::any_of(image.sections().begin(), image.sections().end(),
                    [](const Section& s) { return s.type == SHT_SYMTAB && s.name == ".symtab"; }));
  CHECK(image.lookup("__vdso_getrandom", "LINUX_2.6") != nullptr);
}

TEST_CASE("the live kernel vDSO parses strictly: exports, versions, notes") {
  const Bytes bytes = test_support::kernel_vdso();
  const ElfImage image = test_support::parse_valid(bytes);
  CHECK(image.soname() == "linux-vdso.so.1");
  CHECK(image.violations().empty());
  CHECK(image.load_segment().offset == 0);
  CHECK((image.load_segment().flags & PF_W) == 0);
  // The kernel's own vDSO carries no vdsoforge note.
  CHECK_FALSE(image.data_layout().has_value());
  CHECK(find_note(image, "Linux", 0) != nullptr);
  CHECK(find_note(image, "GNU", NT_GNU_BUILD_ID) != nullptr);

  const auto names = exported_names(image);
  for (const char* name :
       {"__vdso_getrandom", "getrandom", "__vdso_clock_gettime", "clock_gettime",
        "__vdso_gettimeofday", "gettimeofday", "__vdso_time", "time", "__vdso_getcpu", "getcpu"}) {
    CHECK(names.count(name) == 1);
  }
  REQUIRE(image.version_definitions().size() == 2);
  CHECK(image.version_definitions()[1].name == "LINUX_2.6");
  for (const auto& def : image.version_definitions()) CHECK(def.hash_matches);

  // __vdso_X is GLOBAL and X is WEAK at the same address, both @@LINUX_2.6.
  const Symbol* strong = image.lookup("__vdso_getrandom", "LINUX_2.6");
  const Symbol* weak = image.lookup("getrandom", "LINUX_2.6");
  REQUIRE(strong != nullptr);
  REQUIRE(weak != nullptr);
  CHECK(strong->bind == STB_GLOBAL);
  CHECK(weak->bind == STB_WEAK);
  CHECK(strong->value == weak->value);
}

TEST_CASE("kernel_vdso_bytes covers the whole [vdso] mapping, section headers included") {
  const Bytes bytes = test_support::kernel_vdso();
  const auto eh = test_support::get<Elf64_Ehdr>(bytes, 0);
  CHECK(bytes.size() % 4096 == 0);
  CHECK(eh.e_shoff + uint64_t{eh.e_shnum} * eh.e_shentsize <= bytes.size());
}

TEST_CASE("parse_file reports unreadable files as io errors") {
  ElfError err;
  CHECK_FALSE(ElfImage::parse_file("/nonexistent/vdso.so", ParseMode::strict, err));
  CHECK(err.code == Errc::io);
  CHECK_THAT(err.message, Catch::Contains("/nonexistent/vdso.so"));
  CHECK_FALSE(ElfImage::parse_file("/", ParseMode::strict, err));
  CHECK(err.code == Errc::io);
  CHECK_THAT(err.message, Catch::Contains("directory"));
}

TEST_CASE("the ELF hash functions give the published values") {
  // Values as stored by linkers in .hash/.gnu.hash and vd_hash.
  CHECK(elf_sysv_hash("") == 0);
  CHECK(elf_gnu_hash("") == 5381);
  CHECK(elf_sysv_hash("LINUX_2.6") == 0x3ae75f6);
  CHECK(elf_gnu_hash("printf") == 0x156b2bb8);
  CHECK(elf_sysv_hash("printf") == 0x077905a6);
}
