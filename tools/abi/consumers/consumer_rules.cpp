#include "consumers/consumer_rules.h"

#include <elf.h>

#include "vdsoforge/elf_names.h"

namespace vdsoforge::tools::consumers {

std::string symbol_label(const Symbol& symbol) {
  return symbol.name + " (.dynsym #" + std::to_string(symbol.index) + ", " +
         symbol_bind_name(symbol.bind) + " " + symbol_type_name(symbol.type) + ", value " +
         hex(symbol.value) + ")";
}

const Symbol* definition_of(const ElfImage& image, std::string_view name) {
  for (const Symbol& symbol : image.symbols()) {
    if (symbol.index != 0 && symbol.name == name && symbol.value != 0) return &symbol;
  }
  return nullptr;
}

int64_t load_bias(const Segment& load) {
  return static_cast<int64_t>(load.offset) - static_cast<int64_t>(load.vaddr);
}

int64_t true_load_bias(const ElfImage& image) { return load_bias(image.load_segment()); }

const VersionDefinition* version_by_index(const ElfImage& image, uint16_t index) {
  for (const VersionDefinition& definition : image.version_definitions()) {
    if ((definition.flags & VER_FLG_BASE) == 0 && (definition.index & 0x7fff) == index) {
      return &definition;
    }
  }
  return nullptr;
}

const VersionDefinition* version_by_name(const ElfImage& image, std::string_view name) {
  for (const VersionDefinition& definition : image.version_definitions()) {
    if ((definition.flags & VER_FLG_BASE) == 0 && definition.name == name) return &definition;
  }
  return nullptr;
}

bool has_dynamic(const ElfImage& image, int64_t tag) {
  return image.dynamic_value(tag).has_value();
}

MissText hash_walk_miss(const HashProbe& probe, std::string_view table, std::string_view name) {
  const std::string where = std::string(table) + " for " + std::string(name);
  switch (probe.miss) {
    case HashMiss::bloom_miss:
      return {"bloom_miss",
              where + ": one of the name's two bits is clear in its bloom-filter word"};
    case HashMiss::empty_bucket:
      return {"empty_bucket", where + ": the name's bucket starts no chain"};
    case HashMiss::empty_table:
      return {"empty_hash_table", std::string(table) + " has no buckets"};
    case HashMiss::no_table:
      return {"no_hash_table", "the image has no " + std::string(table)};
    case HashMiss::unreadable:
      return {"hash_table_unreadable", where + ": the walk runs off the image"};
    case HashMiss::chain_end:
    case HashMiss::none:
      break;
  }
  return {"chain_mismatch", where + ": no entry on the name's chain is a symbol of that name"};
}

std::optional<uint32_t> refused_named(const ElfImage& image, const HashProbe& probe,
                                      std::string_view name) {
  std::optional<uint32_t> found;
  for (const uint32_t index : probe.refused) {
    if (image.symbols()[index].name == name) found = index;
  }
  return found;
}

}  // namespace vdsoforge::tools::consumers
