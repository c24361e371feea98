#include "consumer_damages.h"

#include <elf.h>

#include <cstring>

namespace abi_test {

namespace {

using namespace test_support;

constexpr const char* kSymbol = "__vdso_getrandom";
constexpr const char* kTimeSymbols[] = {"__vdso_clock_gettime", "__vdso_gettimeofday",
                                        "__vdso_time", "__vdso_getcpu", "__vdso_clock_getres"};
constexpr const char* kVersion = "LINUX_2.6";

// Damages of the hash tables and version sections: every symbol's look-up
// meets them.  The GNU chain hash is the one hash damage aimed at `symbol`.
std::vector<Damage> table_damages(const std::string& symbol) {
  return {
      {"GNU hash: bloom filter zeroed", "bloom-zeroed", corrupt_gnu_hash, ""},
      {"GNU hash: the symbol's chain hash wrong", "gnu-chain",
       [symbol](Bytes& b) { corrupt_gnu_hash_chain(b, symbol.c_str()); }, symbol},
      {"GNU hash: 0 buckets", "gnu-no-buckets", empty_gnu_hash_buckets, ""},
      {"no DT_GNU_HASH", "no-gnu-hash", [](Bytes& b) { hide_dynamic_tag(b, DT_GNU_HASH); }, ""},
      {"DT_HASH buckets zeroed", "sysv-zeroed", corrupt_sysv_hash, ""},
      {"no DT_HASH", "no-sysv-hash", [](Bytes& b) { hide_dynamic_tag(b, DT_HASH); }, ""},
      {"version: wrong vd_hash", "vd-hash", [](Bytes& b) { corrupt_version_hash(b, kVersion); },
       ""},
      {"version: renamed, vd_hash kept", "version-renamed",
       [](Bytes& b) { rename_version(b, kVersion); }, ""},
      {"version: definition dropped", "version-dropped", drop_last_version_definition, ""},
      {"version: hidden bit on the symbol", "version-hidden",
       [symbol](Bytes& b) { hide_symbol_version(b, symbol.c_str()); }, symbol},
      {"no DT_VERDEF (DT_VERSYM kept)", "no-verdef",
       [](Bytes& b) { hide_dynamic_tag(b, DT_VERDEF); }, ""},
      {"no DT_VERDEF nor DT_VERSYM", "no-verdef-versym",
       [](Bytes& b) {
         hide_dynamic_tag(b, DT_VERDEF);
         hide_dynamic_tag(b, DT_VERSYM);
       },
       ""},
      {"no DT_VERSYM", "no-versym", [](Bytes& b) { hide_dynamic_tag(b, DT_VERSYM); }, ""},
  };
}

// Damages of one symbol's own entry; `alias` is its plain-named twin.  For
// a LOCAL binding the symbol and those before it become LOCAL, with sh_info
// moved past them (LOCAL first); the alias instead becomes LOCAL after it,
// sh_info as it was: out of order.
std::vector<Damage> entry_damages(const std::string& symbol, const std::string& alias) {
  return {
      {"binding LOCAL", "local",
       [symbol](Bytes& b) { make_symbols_local_through(b, symbol.c_str()); }, symbol},
      {"alias " + alias + " LOCAL after the symbol", "local-alias",
       [alias](Bytes& b) { set_symbol_binding(b, alias.c_str(), STB_LOCAL); }, symbol},
      {"binding WEAK", "weak",
       [symbol](Bytes& b) { set_symbol_binding(b, symbol.c_str(), STB_WEAK); }, symbol},
      {"visibility hidden", "hidden",
       [symbol](Bytes& b) { set_symbol_visibility(b, symbol.c_str(), STV_HIDDEN); }, symbol},
      {"visibility protected", "protected",
       [symbol](Bytes& b) { set_symbol_visibility(b, symbol.c_str(), STV_PROTECTED); }, symbol},
      {"type NOTYPE", "notype",
       [symbol](Bytes& b) { set_symbol_type(b, symbol.c_str(), STT_NOTYPE); }, symbol},
      {"type OBJECT", "object",
       [symbol](Bytes& b) { set_symbol_type(b, symbol.c_str(), STT_OBJECT); }, symbol},
      {"type SECTION", "section",
       [symbol](Bytes& b) { set_symbol_type(b, symbol.c_str(), STT_SECTION); }, symbol},
      {"section SHN_UNDEF, value kept", "undef",
       [symbol](Bytes& b) { make_symbol_undefined(b, symbol.c_str()); }, symbol},
      {"value 0", "value-zero", [symbol](Bytes& b) { zero_symbol_value(b, symbol.c_str()); },
       symbol},
  };
}

std::vector<Damage> build_catalogue() {
  std::vector<Damage> damages = {{"unaltered", "unaltered", [](Bytes&) {}, ""}};
  for (Damage& damage : table_damages(kSymbol)) damages.push_back(std::move(damage));
  for (Damage& damage : entry_damages(kSymbol, "getrandom")) damages.push_back(std::move(damage));
  // The abi tests' own alterations; those already listed above by their
  // effect are not repeated.
  for (const NamedMutation& mutation : all_mutations()) {
    if (mutation.name == "corrupt-gnu-hash" || mutation.name == "corrupt-sysv-hash" ||
        mutation.name == "no-linux-version" || mutation.name == "local-vdso-getrandom")
      continue;
    damages.push_back(
        {"abi test: " + mutation.name, "abi-" + mutation.name, mutation.mutate, kSymbol});
  }
  return damages;
}

// The image-wide damages once, then each time symbol's own: its chain hash,
// its version's hidden bit and every entry damage.
std::vector<Damage> build_time_catalogue() {
  std::vector<Damage> damages = {{"unaltered", "unaltered", [](Bytes&) {}, ""}};
  for (Damage& damage : table_damages(kTimeSymbols[0]))
    if (damage.symbol.empty()) damages.push_back(std::move(damage));
  for (const char* symbol : kTimeSymbols) {
    const std::string alias = std::string(symbol).substr(std::strlen("__vdso_"));
    std::vector<Damage> own;
    for (Damage& damage : table_damages(symbol))
      if (!damage.symbol.empty()) own.push_back(std::move(damage));
    for (Damage& damage : entry_damages(symbol, alias)) own.push_back(std::move(damage));
    for (Damage& damage : own) {
      damage.name = std::string(symbol) + ": " + damage.name;
      damage.file_name = alias + "-" + damage.file_name;
      damages.push_back(std::move(damage));
    }
  }
  return damages;
}

}  // namespace

const std::vector<Damage>& consumer_damages() {
  static const std::vector<Damage> damages = build_catalogue();
  return damages;
}

const std::vector<Damage>& time_consumer_damages() {
  static const std::vector<Damage> damages = build_time_catalogue();
  return damages;
}

}  // namespace abi_test
