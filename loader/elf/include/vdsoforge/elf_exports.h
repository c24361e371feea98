// The one definition of "what an image exports", shared by the parser's own
// checks and by the abi, check, dump, embed and run commands, so they never
// disagree about a symbol.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "vdsoforge/elf_image.h"

namespace vdsoforge {

// A version definition's own symbol: SHN_ABS, value 0, named after one of the
// image's version definitions (GNU ld emits LINUX_2.6 this way).  It names a
// version, not code or data, and C libraries never look it up.
bool is_version_symbol(const ElfImage& elf, const Symbol& symbol);

// The version symbol named `version`, nullptr if the image has none.
const Symbol* find_version_symbol(const ElfImage& elf, std::string_view version);

// "ABS OBJECT GLOBAL @@LINUX_2.6": what a version symbol's entry says, as
// checks compare it (nullptr: "missing").
std::string version_symbol_text(const Symbol* symbol);

// The symbols a C library could bind to: defined, not LOCAL, and not a
// version definition's own symbol.  In .dynsym order.
std::vector<const Symbol*> exported_symbols(const ElfImage& elf);

}  // namespace vdsoforge
