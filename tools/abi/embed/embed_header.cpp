#include "embed/embed_header.h"

#include <elf.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "embed/embeddable.h"
#include "vdsoforge/chacha20_note.h"
#include "vdsoforge/elf_exports.h"
#include "vdsoforge/elf_names.h"

namespace vdsoforge::tools {

namespace {

constexpr uint64_t kPage = 4096;

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::string define(const std::string& name, const std::string& value, const std::string& comment) {
  std::string line = "#define " + name + " " + value;
  if (!comment.empty()) line += "  /* " + comment + " */";
  return line + "\n";
}

std::string ul(uint64_t value) { return hex(value) + "UL"; }

// 12 bytes a line keeps the array readable and the header diffable.
std::string byte_array(std::span<const uint8_t> bytes, uint64_t padded_size) {
  std::string out;
  char cell[8];
  for (uint64_t i = 0; i < padded_size; ++i) {
    if (i % 12 == 0) out += "\t";
    std::snprintf(cell, sizeof cell, "0x%02x,", i < bytes.size() ? bytes[i] : 0);
    out += cell;
    out += (i % 12 == 11 || i + 1 == padded_size) ? "\n" : " ";
  }
  return out;
}

const Note* find_build_id(const ElfImage& elf) {
  for (const Note& note : elf.notes()) {
    if (note.owner == "GNU" && note.type == NT_GNU_BUILD_ID) return &note;
  }
  return nullptr;
}

// What a kernel or sandbox needs to pick the ChaCha20 routine as the loader
// does: the jump's place, each routine's entry and what it needs, and the
// patch itself.
std::string chacha20_section(const Chacha20Routines& routines, const std::string& p,
                             const std::string& P) {
  std::string h;
  h += "/*\n"
       " * ChaCha20 routines.  As embedded the image runs SSE2.  To run another, patch\n"
       " * the copy before making it read+execute (like the kernel's alternatives):\n"
       " * " +
       p + "_chacha20_select(copy, " + P +
       "_CHACHA20_AVX512) if the CPU has\n"
       " * AVX-512F and AVX-512VL and XCR0 has SSE, AVX, opmask and ZMM state\n"
       " * (bits 1, 2, 5, 6, 7), else " +
       P +
       "_CHACHA20_AVX2 if it has AVX2 and XCR0\n"
       " * bits 1 and 2.  Nothing in the call path tests the CPU.\n"
       " */\n";
  h += define(P + "_CHACHA20_SITE", ul(routines.site), "dispatch jump: e9 + rel32");
  for (const auto& entry : routines.routines) {
    const std::string name = upper(std::string(chacha20_routine_name(entry.routine)));
    h += define(P + "_CHACHA20_" + name, ul(entry.entry),
                "entry of the " + std::string(chacha20_routine_name(entry.routine)) + " routine");
    h += define(P + "_CHACHA20_" + name + "_FEATURES", std::to_string(entry.features) + "u",
                "bit 0 SSE2, bit 1 AVX2, bit 2 AVX-512F+VL");
  }
  h += "\nstatic inline void " + p +
       "_chacha20_select(unsigned char *image_copy,\n"
       "\t\t\t\t\t  unsigned long routine_entry)\n{\n"
       "\tlong rel = (long)routine_entry - (long)(" +
       P +
       "_CHACHA20_SITE + 5);\n"
       "\tunsigned int rel32 = (unsigned int)rel;\n\n"
       "\timage_copy[" +
       P +
       "_CHACHA20_SITE] = 0xe9;\n"
       "\tfor (int i = 0; i < 4; i++)\n"
       "\t\timage_copy[" +
       P +
       "_CHACHA20_SITE + 1 + i] = (unsigned char)(rel32 >> (8 * i));\n"
       "}\n\n";
  return h;
}

}  // namespace

bool is_c_identifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
}

bool generate_embed_header(const ElfImage& elf, const EmbedInput& input, std::string& header,
                           std::string& error) {
  if (!is_c_identifier(input.prefix)) {
    error = "--name '" + input.prefix + "' is not a C identifier";
    return false;
  }
  if (!elf.data_layout()) {
    error =
        "the image has no vdsoforge data-layout note, so where its data pages go is unknown "
        "(a kernel's own vDSO cannot be embedded this way)";
    return false;
  }
  const DataLayout& layout = *elf.data_layout();
  std::optional<Chacha20Routines> routines;
  if (!check_embeddable(elf,
                        "the PT_LOAD must start at offset 0 == vaddr 0 with filesz == memsz to be "
                        "embedded as one blob",
                        routines, error))
    return false;
  const auto exports = exported_symbols(elf);
  for (const Symbol* symbol : exports) {
    if (!is_c_identifier(symbol->name)) {
      error = "export '" + symbol->name + "' is not a C identifier, so it gets no macro";
      return false;
    }
  }

  const std::span<const uint8_t> bytes = elf.bytes();
  // The array covers the whole file (a stripped vDSO keeps its section
  // headers after the segment, as the kernel's does) in whole pages.
  const uint64_t covered = std::max<uint64_t>(bytes.size(), elf.load_segment().memsz);
  const uint64_t image_size = (covered + kPage - 1) / kPage * kPage;
  const std::string p = input.prefix;
  const std::string P = upper(p);

  std::string h;
  h += "/*\n * Generated by `vdsoforge embed` from " + input.source_name + ".  Do not edit.\n";
  if (const Note* build_id = find_build_id(elf))
    h += " * build-id " + hex_bytes(build_id->desc) + "\n";
  h += " *\n"
       " * To use the image: map " +
       P +
       "_DATA_AREA_SIZE bytes of data pages and, directly\n"
       " * above them, a copy of " +
       p +
       "_image that is read+execute and never writable\n"
       " * (copy into writable memory, then make it R+X).  The code finds struct\n"
       " * vdso_rng_data { u64 generation; u8 is_ready; } at data area + " +
       P +
       "_RNG_DATA_OFFSET,\n"
       " * i.e. image base - " +
       P +
       "_RNG_DATA_BELOW_BASE.  A function's address is image base +\n"
       " * its " +
       P + "_SYM_<name> offset.\n */\n";
  h += "#ifndef " + P + "_EMBED_H\n#define " + P + "_EMBED_H\n\n";
  h += define(P + "_PAGE_SIZE", ul(layout.page_size), "page size the layout assumes");
  h += define(P + "_IMAGE_SIZE", ul(image_size), "bytes to map, whole pages");
  h += define(P + "_IMAGE_FILE_SIZE", ul(bytes.size()), "bytes of the ELF file; the rest is zero");
  h += define(P + "_DATA_AREA_SIZE", ul(layout.data_area_size),
              "data pages directly below the image");
  h += define(P + "_RNG_DATA_OFFSET", ul(layout.rng_data_offset),
              "vdso_rng_data from the data area's start");
  h += define(P + "_RNG_DATA_BELOW_BASE", ul(layout.data_area_size - layout.rng_data_offset),
              "vdso_rng_data = image base - this");
  if (layout.profile)
    h += "#define " + P + "_LAYOUT_PROFILE \"" + layout.profile->name +
         "\" /* the kernel whose data layout the image was built for */\n";
  if (layout.timens) {
    // A kernel (or sandbox) hosting a pre-6.15 profile image must map a time
    // namespace the way those kernels do, or the image reads "not ready".
    h += "\n/* Time namespaces (kernels before 6.15): when the s32 at data area +\n"
         " * " +
         P +
         "_CLOCK_MODE_OFFSET is 0x7fffffff (VDSO_CLOCKMODE_TIMENS), the image\n"
         " * reads vdso_rng_data " +
         P + "_TIMENS_PAGE_OFFSET - " + P +
         "_VVAR_PAGE_OFFSET bytes\n"
         " * higher: map the namespace's page at the vvar slot, the real one at the timens slot. "
         "*/\n";
    h += define(P + "_VVAR_PAGE_OFFSET", ul(layout.timens->vvar_page_offset),
                "page of the rng data and the clock mode");
    h += define(P + "_TIMENS_PAGE_OFFSET", ul(layout.timens->timens_page_offset),
                "page read instead inside a time namespace");
    h += define(P + "_CLOCK_MODE_OFFSET", ul(layout.timens->clock_mode_offset),
                "s32 the image compares with VDSO_CLOCKMODE_TIMENS");
  }
  h += "\n/* Exported symbols: offset from the image base. */\n";
  for (const Symbol* symbol : exports) {
    h += define(P + "_SYM_" + symbol->name, ul(symbol->value),
                symbol_version_text(*symbol) + " " + symbol_bind_name(symbol->bind) + " " +
                    symbol_type_name(symbol->type));
  }
  h += define(P + "_SYMBOL_COUNT", std::to_string(exports.size()), "");
  h += "\nstruct " + p +
       "_symbol {\n\tconst char *name;\n\tconst char *version;\n"
       "\tunsigned long offset;\n};\n\n";
  h += "static const struct " + p + "_symbol " + p + "_symbols[" + P +
       "_SYMBOL_COUNT] __attribute__((unused)) = {\n";
  for (const Symbol* symbol : exports) {
    h += "\t{ \"" + symbol->name + "\", \"" + symbol->version + "\", " + P + "_SYM_" +
         symbol->name + " },\n";
  }
  h += "};\n\n";
  if (routines) h += chacha20_section(*routines, p, P);
  h += "static const unsigned char " + p + "_image[" + P +
       "_IMAGE_SIZE] __attribute__((aligned(4096), unused)) = {\n";
  h += byte_array(bytes, image_size);
  h += "};\n\n#endif /* " + P + "_EMBED_H */\n";
  header = std::move(h);
  return true;
}

}  // namespace vdsoforge::tools
