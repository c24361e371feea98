#include "vdsoforge/elf_exports.h"

#include <elf.h>

#include <algorithm>

#include "vdsoforge/elf_names.h"

namespace vdsoforge {

bool is_version_symbol(const ElfImage& elf, const Symbol& symbol) {
  if (symbol.shndx != SHN_ABS || symbol.value != 0) return false;
  const auto& definitions = elf.version_definitions();
  return std::any_of(
      definitions.begin(), definitions.end(),
      [&](const VersionDefinition& definition) { return definition.name == symbol.name; });
}

const Symbol* find_version_symbol(const ElfImage& elf, std::string_view version) {
  for (const Symbol& symbol : elf.symbols()) {
    if (symbol.name == version && is_version_symbol(elf, symbol)) return &symbol;
  }
  return nullptr;
}

std::string version_symbol_text(const Symbol* symbol) {
  if (symbol == nullptr) return "missing";
  return "ABS " + symbol_type_name(symbol->type) + " " + symbol_bind_name(symbol->bind) + " " +
         symbol_visibility_name(symbol->visibility) + " " + symbol_version_text(*symbol);
}

bool is_visible_definition(const Symbol& symbol) {
  return symbol.index != 0 && symbol.shndx != SHN_UNDEF && symbol.bind != STB_LOCAL;
}

std::vector<const Symbol*> exported_symbols(const ElfImage& elf) {
  std::vector<const Symbol*> exports;
  for (const Symbol& symbol : elf.symbols()) {
    if (is_visible_definition(symbol) && !is_version_symbol(elf, symbol)) {
      exports.push_back(&symbol);
    }
  }
  return exports;
}

bool is_bindable_type(uint8_t type) {
  switch (type) {
    case STT_NOTYPE:
    case STT_OBJECT:
    case STT_FUNC:
    case STT_COMMON:
    case STT_TLS:
    case STT_GNU_IFUNC:
      return true;
    default:
      return false;
  }
}

std::string_view hash_table_section(HashTable table) {
  return table == HashTable::gnu ? ".gnu.hash" : ".hash";
}

std::string_view hash_table_tag(HashTable table) {
  return table == HashTable::gnu ? "DT_GNU_HASH" : "DT_HASH";
}

bool has_hash_table(const ElfImage& elf, HashTable table) {
  return table == HashTable::gnu ? elf.has_gnu_hash() : elf.has_sysv_hash();
}

const Symbol* find_through(const ElfImage& elf, HashTable table, std::string_view name,
                           std::string_view version) {
  return table == HashTable::gnu ? elf.lookup_gnu_hash(name, version)
                                 : elf.lookup_sysv_hash(name, version);
}

bool hash_table_finds(const ElfImage& elf, HashTable table, const Symbol& export_symbol) {
  const Symbol* found = find_through(elf, table, export_symbol.name, export_symbol.version);
  return found != nullptr && found->index == export_symbol.index;
}

}  // namespace vdsoforge
