// Locating a function's machine code through the static symbol table (.symtab)
// of an unstripped image.  The stripped image a vDSO ships keeps only its
// exports, so internal routines such as the ChaCha20 block function are found
// in the debug image the build keeps beside it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vdsoforge/elf_image.h"

namespace vdsoforge {

struct FunctionCode {
  uint64_t address;      // st_value
  uint64_t file_offset;  // where its bytes are in the file
  uint64_t size;         // st_size
};

// nullopt with `error` set if there is no usable .symtab, no such function,
// or its recorded extent does not lie inside its section and the file.
std::optional<FunctionCode> find_function_code(const ElfImage& image, std::string_view name,
                                               std::string& error);

}  // namespace vdsoforge
