#include "image_mutants.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "vdsoforge/elf_image.h"

namespace conformance {

std::optional<std::vector<uint8_t>> read_file_bytes(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path;
    return std::nullopt;
  }
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::optional<FunctionRange> find_function(const std::string& debug_image_path,
                                           std::string_view name, std::string& error) {
  vdsoforge::Error err;
  const auto elf =
      vdsoforge::ElfImage::parse_file(debug_image_path, vdsoforge::ParseMode::inspect, err);
  if (!elf) {
    error = debug_image_path + ": " + err.message;
    return std::nullopt;
  }
  const vdsoforge::Section* symtab = nullptr;
  const vdsoforge::Section* strtab = nullptr;
  for (const auto& section : elf->sections()) {
    if (section.name == ".symtab") symtab = &section;
    if (section.name == ".strtab") strtab = &section;
  }
  if (!symtab || !strtab) {
    error = debug_image_path + " has no .symtab/.strtab (is it the unstripped image?)";
    return std::nullopt;
  }
  const auto bytes = elf->bytes();
  if (symtab->offset + symtab->size > bytes.size() ||
      strtab->offset + strtab->size > bytes.size()) {
    error = debug_image_path + ": symbol table outside the file";
    return std::nullopt;
  }
  for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= symtab->size; off += sizeof(Elf64_Sym)) {
    Elf64_Sym sym;
    std::memcpy(&sym, bytes.data() + symtab->offset + off, sizeof sym);
    if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_name >= strtab->size) continue;
    const char* sym_name =
        reinterpret_cast<const char*>(bytes.data() + strtab->offset + sym.st_name);
    const size_t max_len = strtab->size - sym.st_name;
    if (std::string_view(sym_name, strnlen(sym_name, max_len)) == name)
      return FunctionRange{sym.st_value, sym.st_size};
  }
  error = "no function " + std::string(name) + " in " + debug_image_path;
  return std::nullopt;
}

long patch_function(std::vector<uint8_t>& image, FunctionRange function,
                    const InstructionMatch& match, const InstructionPatch& patch,
                    std::string& error) {
  if (function.offset + function.size > image.size() || function.size == 0) {
    error = "function range outside the image";
    return -1;
  }
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  long patched = 0;
  uint64_t at = function.offset;
  const uint64_t end = function.offset + function.size;
  while (at < end) {
    ZydisDecodedInstruction instruction;
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, image.data() + at, end - at, &instruction,
                                             operands))) {
      error = "cannot decode the instruction at offset " + std::to_string(at);
      return -1;
    }
    if (match(instruction, operands)) {
      patch(image.data() + at, instruction);
      ++patched;
    }
    at += instruction.length;
  }
  return patched;
}

void nop_out(uint8_t* bytes, const ZydisDecodedInstruction& instruction) {
  std::memset(bytes, 0x90, instruction.length);
}

}  // namespace conformance
