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

std::vector<const Symbol*> exported_symbols(const ElfImage& elf) {
  std::vector<const Symbol*> exports;
  for (const Symbol& symbol : elf.symbols()) {
    if (symbol.index == 0 || symbol.shndx == SHN_UNDEF || symbol.bind == STB_LOCAL) continue;
    if (!is_version_symbol(elf, symbol)) exports.push_back(&symbol);
  }
  return exports;
}

}  // namespace vdsoforge
