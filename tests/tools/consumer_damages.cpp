#include "consumer_damages.h"

#include <elf.h>

namespace abi_test {

namespace {

using namespace test_support;

constexpr const char* kSymbol = "__vdso_getrandom";
constexpr const char* kVersion = "LINUX_2.6";

std::vector<Damage> build_catalogue() {
  std::vector<Damage> damages = {
      {"unaltered", "unaltered", [](Bytes&) {}},
      // Hash tables.
      {"GNU hash: bloom filter zeroed", "bloom-zeroed", corrupt_gnu_hash},
      {"GNU hash: the symbol's chain hash wrong", "gnu-chain",
       [](Bytes& b) { corrupt_gnu_hash_chain(b, kSymbol); }},
      {"GNU hash: 0 buckets", "gnu-no-buckets", empty_gnu_hash_buckets},
      {"no DT_GNU_HASH", "no-gnu-hash", [](Bytes& b) { hide_dynamic_tag(b, DT_GNU_HASH); }},
      {"DT_HASH buckets zeroed", "sysv-zeroed", corrupt_sysv_hash},
      {"no DT_HASH", "no-sysv-hash", [](Bytes& b) { hide_dynamic_tag(b, DT_HASH); }},
      // Versions.
      {"version: wrong vd_hash", "vd-hash", [](Bytes& b) { corrupt_version_hash(b, kVersion); }},
      {"version: renamed, vd_hash kept", "version-renamed",
       [](Bytes& b) { rename_version(b, kVersion); }},
      {"version: definition dropped", "version-dropped", drop_last_version_definition},
      {"version: hidden bit on the symbol", "version-hidden",
       [](Bytes& b) { hide_symbol_version(b, kSymbol); }},
      {"no DT_VERDEF (DT_VERSYM kept)", "no-verdef",
       [](Bytes& b) { hide_dynamic_tag(b, DT_VERDEF); }},
      {"no DT_VERDEF nor DT_VERSYM", "no-verdef-versym",
       [](Bytes& b) {
         hide_dynamic_tag(b, DT_VERDEF);
         hide_dynamic_tag(b, DT_VERSYM);
       }},
      {"no DT_VERSYM", "no-versym", [](Bytes& b) { hide_dynamic_tag(b, DT_VERSYM); }},
      // The symbol's own entry.  For a LOCAL binding the symbol and those
      // before it become LOCAL, with sh_info moved past them (LOCAL first).
      {"binding LOCAL", "local", [](Bytes& b) { make_symbols_local_through(b, kSymbol); }},
      // Its alias instead, LOCAL after it, sh_info as it was: out of order.
      {"alias getrandom LOCAL after the symbol", "local-alias",
       [](Bytes& b) { set_symbol_binding(b, "getrandom", STB_LOCAL); }},
      {"binding WEAK", "weak", [](Bytes& b) { set_symbol_binding(b, kSymbol, STB_WEAK); }},
      {"visibility hidden", "hidden",
       [](Bytes& b) { set_symbol_visibility(b, kSymbol, STV_HIDDEN); }},
      {"visibility protected", "protected",
       [](Bytes& b) { set_symbol_visibility(b, kSymbol, STV_PROTECTED); }},
      {"type NOTYPE", "notype", [](Bytes& b) { set_symbol_type(b, kSymbol, STT_NOTYPE); }},
      {"type OBJECT", "object", [](Bytes& b) { set_symbol_type(b, kSymbol, STT_OBJECT); }},
      {"type SECTION", "section", [](Bytes& b) { set_symbol_type(b, kSymbol, STT_SECTION); }},
      {"section SHN_UNDEF, value kept", "undef",
       [](Bytes& b) { make_symbol_undefined(b, kSymbol); }},
      {"value 0", "value-zero", [](Bytes& b) { zero_symbol_value(b, kSymbol); }},
  };
  // The abi tests' own alterations; those already listed above by their
  // effect are not repeated.
  for (const NamedMutation& mutation : all_mutations()) {
    if (mutation.name == "corrupt-gnu-hash" || mutation.name == "corrupt-sysv-hash" ||
        mutation.name == "no-linux-version" || mutation.name == "local-vdso-getrandom")
      continue;
    damages.push_back({"abi test: " + mutation.name, "abi-" + mutation.name, mutation.mutate});
  }
  return damages;
}

}  // namespace

const std::vector<Damage>& consumer_damages() {
  static const std::vector<Damage> damages = build_catalogue();
  return damages;
}

}  // namespace abi_test
