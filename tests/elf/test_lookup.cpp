// Symbol look-up and versioning, the way C libraries resolve vDSO symbols:
// on the built image, on the live kernel vDSO, and on hand-made variants of
// the built image (wrong version, hidden, weak/global/local, undefined,
// missing hash tables, no versioning at all).
#include <elf.h>

#include <catch2/catch.hpp>
#include <string>

#include "image_bytes.h"
#include "image_mutations.h"
#include "vdsoforge/elf_image.h"

using namespace vdsoforge;
using test_support::Bytes;

namespace {

constexpr const char* kVersion = "LINUX_2.6";

// Both tables, and the default look-up, must agree on what they find.
const Symbol* lookup_everywhere(const ElfImage& image, std::string_view name,
                                std::string_view version) {
  const Symbol* found = image.lookup(name, version);
  if (image.has_gnu_hash()) CHECK(image.lookup_gnu_hash(name, version) == found);
  if (image.has_sysv_hash()) CHECK(image.lookup_sysv_hash(name, version) == found);
  return found;
}

using test_support::set_symbol_binding;

}  // namespace

TEST_CASE("built image: both exports resolve at LINUX_2.6 through each hash table") {
  const ElfImage image = test_support::parse_valid(test_support::built_image());
  const Symbol* strong = lookup_everywhere(image, "__vdso_getrandom", kVersion);
  const Symbol* weak = lookup_everywhere(image, "getrandom", kVersion);
  REQUIRE(strong != nullptr);
  REQUIRE(weak != nullptr);
  CHECK(strong->name == "__vdso_getrandom");
  CHECK(strong->bind == STB_GLOBAL);
  CHECK(weak->name == "getrandom");
  CHECK(weak->bind == STB_WEAK);
  CHECK(strong->value == weak->value);
  CHECK(strong->value != 0);
  // "" asks for any version.
  CHECK(lookup_everywhere(image, "getrandom", "") == weak);
}

TEST_CASE("built image: a wrong version, an absent name or a prefix is not found") {
  const ElfImage image = test_support::parse_valid(test_support::built_image());
  CHECK(lookup_everywhere(image, "getrandom", "LINUX_2.5") == nullptr);
  CHECK(lookup_everywhere(image, "getrandom", "linux-vdso.so.1") == nullptr);
  CHECK(lookup_everywhere(image, "getrandom", "LINUX_2.6.1") == nullptr);
  CHECK(lookup_everywhere(image, "__vdso_vdsoforge_answer", kVersion) == nullptr);
  CHECK(lookup_everywhere(image, "getrando", kVersion) == nullptr);
  CHECK(lookup_everywhere(image, "", kVersion) == nullptr);
}

TEST_CASE("kernel vDSO: every function resolves at LINUX_2.6, in both tables alike") {
  const ElfImage image = test_support::parse_valid(test_support::kernel_vdso());
  for (const char* name : {"__vdso_getrandom", "getrandom", "__vdso_clock_gettime", "clock_gettime",
                           "__vdso_gettimeofday", "gettimeofday", "__vdso_time", "time",
                           "__vdso_getcpu", "getcpu", "__vdso_clock_getres", "clock_getres"}) {
    INFO(name);
    const Symbol* sym = lookup_everywhere(image, name, kVersion);
    REQUIRE(sym != nullptr);
    CHECK(sym->name == name);
    CHECK(sym->type == STT_FUNC);
    CHECK(sym->bind == (std::string_view(name).starts_with("__vdso_") ? STB_GLOBAL : STB_WEAK));
    CHECK(lookup_everywhere(image, name, "LINUX_2.5") == nullptr);
  }
  // The ABS version symbol names a version, it is not something to call.
  CHECK(lookup_everywhere(image, "LINUX_2.6", kVersion) == nullptr);
}

TEST_CASE("hand-made: the version renamed to LINUX_2.7 is found only at LINUX_2.7") {
  Bytes bytes = test_support::built_image();
  // The definition alone is renamed: its name moves to LLD's second copy of
  // the string, which the image build left unused when the version's ABS
  // symbol took the definition's (tools/finish_image.h), and that copy
  // becomes LINUX_2.7.  The symbol keeps its name, so its hash entries stay
  // true.
  const uint64_t verdef = test_support::verdef_offset(bytes, 1);
  const uint64_t aux = verdef + test_support::get<uint32_t>(bytes, verdef + 12);
  const uint64_t strtab = test_support::dynamic_value(bytes, DT_STRTAB);
  const uint32_t shared = test_support::get<uint32_t>(bytes, aux);
  const std::string_view strings(reinterpret_cast<const char*>(bytes.data() + strtab),
                                 test_support::dynamic_value(bytes, DT_STRSZ));
  const std::string_view name("\0LINUX_2.6\0", 11);  // a whole string, not a tail
  size_t spare = strings.find(name);
  if (spare + 1 == shared) spare = strings.find(name, spare + 1);
  REQUIRE(spare != std::string_view::npos);
  ++spare;  // past the NUL before it
  test_support::put<uint32_t>(bytes, aux, static_cast<uint32_t>(spare));
  bytes[strtab + spare + 8] = '7';
  // Keep the definition consistent, as a linker would have written it.
  test_support::put<uint32_t>(bytes, test_support::verdef_offset(bytes, 1) + 8,
                              elf_sysv_hash("LINUX_2.7"));
  const ElfImage image = test_support::parse_valid(bytes);
  CHECK(lookup_everywhere(image, "getrandom", kVersion) == nullptr);
  CHECK(lookup_everywhere(image, "__vdso_getrandom", kVersion) == nullptr);
  const Symbol* sym = lookup_everywhere(image, "getrandom", "LINUX_2.7");
  REQUIRE(sym != nullptr);
  CHECK(sym->version == "LINUX_2.7");
}

TEST_CASE("hand-made: a hidden (non-default) version is not found, its twin still is") {
  Bytes bytes = test_support::built_image();
  const uint64_t at = test_support::versym_offset(bytes, "getrandom");
  test_support::put<uint16_t>(
      bytes, at, static_cast<uint16_t>(test_support::get<uint16_t>(bytes, at) | 0x8000));
  const ElfImage image = test_support::parse_valid(bytes);
  CHECK(lookup_everywhere(image, "getrandom", kVersion) == nullptr);
  CHECK(lookup_everywhere(image, "getrandom", "") == nullptr);
  REQUIRE(lookup_everywhere(image, "__vdso_getrandom", kVersion) != nullptr);
  // The symbol is still there and still names its version; it is only hidden.
  const auto& symbols = image.symbols();
  const auto it = std::find_if(symbols.begin(), symbols.end(),
                               [](const Symbol& s) { return s.name == "getrandom"; });
  REQUIRE(it != symbols.end());
  CHECK_FALSE(it->is_default_version());
  CHECK(it->version == "LINUX_2.6");
}

TEST_CASE("hand-made: weak and global both resolve, local does not") {
  Bytes bytes = test_support::built_image();
  set_symbol_binding(bytes, "getrandom", STB_GLOBAL);
  set_symbol_binding(bytes, "__vdso_getrandom", STB_WEAK);
  {
    const ElfImage image = test_support::parse_valid(bytes);
    const Symbol* a = lookup_everywhere(image, "getrandom", kVersion);
    const Symbol* b = lookup_everywhere(image, "__vdso_getrandom", kVersion);
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    CHECK(a->bind == STB_GLOBAL);
    CHECK(b->bind == STB_WEAK);
  }
  // LOCAL symbols come first (sh_info is the first non-LOCAL index), so the
  // symbol at index 1 is the one made LOCAL.
  const std::string local = test_support::parse_valid(bytes).symbols().at(1).name;
  const std::string other = local == "getrandom" ? "__vdso_getrandom" : "getrandom";
  set_symbol_binding(bytes, local, STB_LOCAL);
  test_support::set_dynsym_first_global(bytes, 2);
  const ElfImage image = test_support::parse_valid(bytes);
  CHECK(lookup_everywhere(image, local, kVersion) == nullptr);
  CHECK(lookup_everywhere(image, other, kVersion) != nullptr);
}

TEST_CASE("hand-made: an undefined symbol is not found") {
  Bytes bytes = test_support::built_image();
  const uint64_t at = test_support::dynsym_offset(bytes, "getrandom");
  auto sym = test_support::get<Elf64_Sym>(bytes, at);
  sym.st_shndx = SHN_UNDEF;
  test_support::put(bytes, at, sym);
  const ElfImage image = test_support::parse_valid(bytes);
  CHECK(lookup_everywhere(image, "getrandom", kVersion) == nullptr);
  CHECK(lookup_everywhere(image, "__vdso_getrandom", kVersion) != nullptr);
}

TEST_CASE("hand-made: without DT_GNU_HASH the DT_HASH table serves look-ups") {
  Bytes bytes = test_support::built_image();
  // DT_DEBUG is harmless in a vDSO and keeps the dynamic section's length.
  test_support::retag_dynamic(bytes, DT_GNU_HASH, DT_DEBUG, 0);
  const ElfImage image = test_support::parse_valid(bytes);
  CHECK_FALSE(image.has_gnu_hash());
  CHECK(image.has_sysv_hash());
  CHECK(image.lookup_gnu_hash("getrandom", kVersion) == nullptr);
  const Symbol* sym = image.lookup("getrandom", kVersion);
  REQUIRE(sym != nullptr);
  CHECK(sym == image.lookup_sysv_hash("getrandom", kVersion));
  CHECK(image.lookup("getrandom", "LINUX_2.5") == nullptr);
  CHECK(image.symbols().size() ==
        test_support::parse_valid(test_support::built_image()).symbols().size());
}

TEST_CASE("hand-made: without DT_HASH the symbol count comes from DT_GNU_HASH") {
  Bytes bytes = test_support::built_image();
  test_support::retag_dynamic(bytes, DT_HASH, DT_DEBUG, 0);
  const ElfImage image = test_support::parse_valid(bytes);
  CHECK(image.has_gnu_hash());
  CHECK_FALSE(image.has_sysv_hash());
  CHECK(image.symbols().size() ==
        test_support::parse_valid(test_support::built_image()).symbols().size());
  CHECK(image.lookup_sysv_hash("getrandom", kVersion) == nullptr);
  const Symbol* sym = image.lookup("getrandom", kVersion);
  REQUIRE(sym != nullptr);
  CHECK(sym == image.lookup_gnu_hash("getrandom", kVersion));
}

TEST_CASE("hand-made: with neither hash table the image is refused") {
  Bytes bytes = test_support::built_image();
  test_support::retag_dynamic(bytes, DT_HASH, DT_DEBUG, 0);
  test_support::retag_dynamic(bytes, DT_GNU_HASH, DT_DEBUG, 0);
  ElfError err;
  CHECK_FALSE(ElfImage::parse(bytes, ParseMode::strict, err));
  CHECK(err.code == Errc::bad_hash_table);
  CHECK_THAT(err.message, Catch::Contains("DT_HASH") && Catch::Contains("DT_GNU_HASH"));
}

TEST_CASE("hand-made: an image without DT_VERSYM matches any version, as glibc does") {
  Bytes bytes = test_support::built_image();
  test_support::retag_dynamic(bytes, DT_VERSYM, DT_DEBUG, 0);
  const ElfImage image = test_support::parse_valid(bytes);
  for (const char* version : {"LINUX_2.6", "LINUX_2.5", "anything", ""}) {
    INFO(version);
    const Symbol* sym = lookup_everywhere(image, "getrandom", version);
    REQUIRE(sym != nullptr);
    CHECK(sym->versym == 1);
    CHECK(sym->version.empty());
  }
}

TEST_CASE("hand-made: a corrupted .gnu.hash chain is caught, DT_HASH still finds the symbol") {
  Bytes bytes = test_support::built_image();
  const uint64_t table = test_support::dynamic_value(bytes, DT_GNU_HASH);
  const auto nbuckets = test_support::get<uint32_t>(bytes, table);
  const auto symoffset = test_support::get<uint32_t>(bytes, table + 4);
  const auto bloom_size = test_support::get<uint32_t>(bytes, table + 8);
  const ElfImage valid = test_support::parse_valid(bytes);
  const uint32_t index = valid.lookup("getrandom", kVersion)->index;
  const uint64_t chain_entry = table + 16 + 8 * uint64_t{bloom_size} + 4 * uint64_t{nbuckets} +
                               4 * uint64_t{index - symoffset};
  // Flip hash bits but keep the end-of-chain marker bit as it was.
  test_support::put<uint32_t>(bytes, chain_entry,
                              test_support::get<uint32_t>(bytes, chain_entry) ^ 0x10u);

  ElfError err;
  CHECK_FALSE(ElfImage::parse(bytes, ParseMode::strict, err));
  CHECK(err.code == Errc::bad_hash_table);
  CHECK_THAT(err.message, Catch::Contains("DT_GNU_HASH") && Catch::Contains("getrandom"));

  const auto inspected = ElfImage::parse(bytes, ParseMode::inspect, err);
  REQUIRE(inspected.has_value());
  REQUIRE(inspected->violations().size() == 1);
  CHECK(inspected->violations()[0].code == Errc::bad_hash_table);
  CHECK(inspected->lookup_gnu_hash("getrandom", kVersion) == nullptr);
  CHECK(inspected->lookup_sysv_hash("getrandom", kVersion) != nullptr);
}
