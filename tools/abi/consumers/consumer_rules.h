// Small pieces the consumer models share: where a consumer thinks the image
// is, how a refused symbol is described, and the version-table questions
// several consumers ask.  Each model still states its own rules; these only
// read the image.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools::consumers {

// The version every consumer asks the x86-64 vDSO for (its only one); each
// consumer's source spells it out, the models share this spelling.
inline constexpr std::string_view kVdsoVersion = "LINUX_2.6";

// "__vdso_getrandom (.dynsym #3, GLOBAL FUNC, value 0x1230)".
std::string symbol_label(const Symbol& symbol);

// The first symbol of `name` with a non-zero value (any binding, type or
// section): where the image's code for that name is, the address a consumer
// should end up calling; nullptr if there is none.
const Symbol* definition_of(const ElfImage& image, std::string_view name);

// p_offset - p_vaddr of the first PT_LOAD: what a correct consumer adds to
// a symbol value to get an offset from the image's first byte.
int64_t true_load_bias(const ElfImage& image);
int64_t load_bias(const Segment& load);

// The first non-base version definition with this index / this name.
const VersionDefinition* version_by_index(const ElfImage& image, uint16_t index);
const VersionDefinition* version_by_name(const ElfImage& image, std::string_view name);

bool has_dynamic(const ElfImage& image, int64_t tag);

// The miss reason a hash walk gives when no candidate of the wanted name was
// refused: bloom filter, empty bucket, or a chain without the name's hash.
// `table` is "DT_GNU_HASH" or "DT_HASH".
struct MissText {
  std::string code, reason;
};
MissText hash_walk_miss(const HashProbe& probe, std::string_view table, std::string_view name);

// The refused candidate named `name` closest to acceptance (the last one on
// the chain), if any.
std::optional<uint32_t> refused_named(const ElfImage& image, const HashProbe& probe,
                                      std::string_view name);

}  // namespace vdsoforge::tools::consumers
