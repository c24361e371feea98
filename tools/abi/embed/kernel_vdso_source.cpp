#include "embed/kernel_vdso_source.h"

#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <vector>

#include "embed/embeddable.h"
#include "vdsoforge/chacha20_note.h"
#include "vdsoforge/elf_names.h"
#include "vdsoforge/hex.h"

namespace vdsoforge::tools {

namespace {

constexpr uint64_t kPage = 4096;

// ---- Linux 6.12, x86-64: the facts the file is written against -------------
//
// The kernel maps four data pages below [vdso] (arch/x86/entry/vdso/
// vdso-layout.lds.S): vvar, pvclock, hvclock and the time-namespace page, in
// that order, and the vDSO's code finds vdso_rng_data and the clock mode in
// the vvar page.  That is the linux-6.11 profile; the kernel's page symbols
// are these pages' offsets from the vDSO base.
const layout::Profile& kTargetProfile = layout::kLinux611;
constexpr long kVvarStart = -4 * static_cast<long>(kPage);
constexpr long kVvarPage = kVvarStart;
constexpr long kPvclockPage = kVvarStart + 1 * static_cast<long>(kPage);
constexpr long kHvclockPage = kVvarStart + 2 * static_cast<long>(kPage);
constexpr long kTimensPage = kVvarStart + 3 * static_cast<long>(kPage);
static_assert(-kVvarStart == layout::kLinux611.data_area_size);
static_assert(kVvarPage - kVvarStart == layout::kLinux611.vvar_page_offset);
static_assert(kTimensPage - kVvarStart == layout::kLinux611.timens_page_offset);

// struct alt_instr (arch/x86/include/asm/alternative.h), packed, 14 bytes:
// s32 instr_offset and s32 repl_offset, each relative to its own field;
// u16 cpuid and u16 flags (one u32 ft_flags, cpuid in the low half); u8
// instrlen; u8 replacementlen.  apply_alternatives() walks the table in
// order, so of two entries for one site the later wins when both features
// are present; it moves a relative jump in the replacement to the site.
constexpr uint64_t kAltInstrSize = 14;
// The dispatch jump and its replacements: jmp rel32.
constexpr uint8_t kJmp32Opcode = 0xe9;
constexpr uint8_t kJmp32Size = 5;

// asm/cpufeatures.h of 6.12.  The kernel clears a feature whose register
// state XCR0 lacks and, through cpuid-deps.c, AVX512VL without AVX512F and
// AVX2 or AVX512F without AVX: each bit below covers what the note's bit
// demands of the CPU and the OS.
constexpr KernelFeature kAvx2{"X86_FEATURE_AVX2", 9 * 32 + 5};
constexpr KernelFeature kAvx512vl{"X86_FEATURE_AVX512VL", 9 * 32 + 31};

// The kernel feature that admits a routine, or nullopt for the baseline
// (SSE2, which every x86-64 CPU has).  Errors for needs no bit expresses.
std::optional<KernelFeature> kernel_feature(const Chacha20RoutineEntry& entry, bool& ok) {
  constexpr uint32_t kSse2 = 1u << 0, kAvx2Bit = 1u << 1, kAvx512Bit = 1u << 2;
  ok = true;
  const uint32_t beyond_baseline = entry.features & ~kSse2;
  if (beyond_baseline == 0) return std::nullopt;
  if (beyond_baseline == kAvx2Bit) return kAvx2;
  if (beyond_baseline == kAvx512Bit) return kAvx512vl;
  ok = false;
  return std::nullopt;
}

std::string distance_text(uint64_t distance) { return "base - " + hex(distance); }

// A layout as people compare them: the profile (or explicit area) and the
// distances the code reads at.
std::string layout_text(const DataLayout& layout) {
  const uint64_t rng = layout.data_area_size - layout.rng_data_offset;
  std::string text = layout.profile
                         ? std::string(layout.profile->name)
                         : "an explicit data area of " + hex(layout.data_area_size) + " bytes";
  text += " (rng data at " + distance_text(rng);
  if (layout.timens) {
    const TimensIndirection& t = *layout.timens;
    text += ", clock mode at " +
            distance_text(layout.data_area_size - t.vvar_page_offset - t.clock_mode_offset) +
            ", timens page at " + distance_text(layout.data_area_size - t.timens_page_offset);
  } else {
    text += ", no time-namespace indirection";
  }
  return text + ")";
}

std::string target_layout_text() {
  const layout::Profile& p = kTargetProfile;
  return std::string(p.name) + " (rng data at " + distance_text(layout::rng_distance(p)) +
         ", clock mode at " + distance_text(layout::clock_mode_distance(p)) + ", timens page at " +
         distance_text(layout::timens_page_distance(p)) + ")";
}

bool matches_target(const DataLayout& layout) {
  const layout::Profile& p = kTargetProfile;
  return layout.page_size == kPage && layout.data_area_size == p.data_area_size &&
         layout.rng_data_offset == p.rng_data_offset && layout.timens &&
         layout.timens->vvar_page_offset == p.vvar_page_offset &&
         layout.timens->timens_page_offset == p.timens_page_offset &&
         layout.timens->clock_mode_offset == p.clock_mode_offset;
}

void put_le(std::vector<uint8_t>& bytes, uint64_t at, uint64_t value, unsigned width) {
  for (unsigned i = 0; i < width; ++i) bytes[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

// One alternative: patch the 5-byte dispatch jump at `site` with a jump to
// `entry` when the CPU has `feature`.
struct Alternative {
  KernelFeature feature;
  std::string routine;
  uint64_t entry;
};

// Writes the table at `alt` and the replacement jumps right after it.
void place_alternatives(std::vector<uint8_t>& pages, uint64_t alt, uint64_t site,
                        const std::vector<Alternative>& alternatives) {
  const uint64_t replacements = alt + alternatives.size() * kAltInstrSize;
  for (size_t i = 0; i < alternatives.size(); ++i) {
    const uint64_t record = alt + i * kAltInstrSize;
    const uint64_t replacement = replacements + i * kJmp32Size;
    const auto relative = [](uint64_t to, uint64_t from) {
      return static_cast<uint64_t>(static_cast<int64_t>(to) - static_cast<int64_t>(from));
    };
    put_le(pages, record + 0, relative(site, record + 0), 4);
    put_le(pages, record + 4, relative(replacement, record + 4), 4);
    put_le(pages, record + 8, alternatives[i].feature.number, 2);  // cpuid
    put_le(pages, record + 10, 0, 2);                              // flags: none
    pages[record + 12] = kJmp32Size;                               // instrlen
    pages[record + 13] = kJmp32Size;                               // replacementlen
    pages[replacement] = kJmp32Opcode;
    put_le(pages, replacement + 1, relative(alternatives[i].entry, replacement + kJmp32Size), 4);
  }
}

// 12 bytes a line, as the embed header writes them.
std::string byte_lines(const std::vector<uint8_t>& bytes) {
  std::string out;
  char cell[8];
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i % 12 == 0) out += "\t";
    std::snprintf(cell, sizeof cell, "0x%02x,", bytes[i]);
    out += cell;
    out += (i % 12 == 11 || i + 1 == bytes.size()) ? "\n" : " ";
  }
  return out;
}

std::string signed_hex(long value) {
  return value < 0 ? "-" + hex(static_cast<uint64_t>(-value)) : hex(static_cast<uint64_t>(value));
}

std::string build_id_text(const ElfImage& elf) {
  for (const Note& note : elf.notes())
    if (note.owner == "GNU" && note.type == NT_GNU_BUILD_ID) return hex_bytes(note.desc);
  return "none";
}

std::string render(const ElfImage& elf, const std::string& source_name,
                   const std::vector<uint8_t>& pages, uint64_t alt, uint64_t site,
                   const std::vector<Alternative>& alternatives) {
  const uint64_t file_size = elf.bytes().size();
  const uint64_t alt_len = alternatives.size() * kAltInstrSize;
  std::string c;
  c += "/*\n"
       " * Generated by `vdsoforge embed --format kernel` from " +
       source_name +
       ".  Do not edit.\n"
       " * build-id " +
       build_id_text(elf) +
       "\n"
       " *\n"
       " * Replaces arch/x86/entry/vdso/vdso-image-64.c, which " +
       kKernelTargetName +
       "\n"
       " * generates from its own vDSO: build the kernel with\n"
       " * VDSO_IMAGE_64_SOURCE=<this file> and the Kbuild hook of vdsoforge's\n"
       " * docs/integration.md.  The image reads its data where the kernel keeps it:\n"
       " * " +
       target_layout_text() +
       ".\n"
       " */\n"
       "#include <linux/cache.h>\n"
       "#include <linux/init.h>\n"
       "#include <asm/page_types.h>\n"
       "#include <asm/vdso.h>\n\n";
  c += "/*\n"
       " * [vdso]: the image file (" +
       hex(file_size) + " bytes) padded to whole pages.  At " + hex(alt) +
       " follow the\n"
       " * alternatives table (" +
       std::to_string(alternatives.size()) +
       " struct alt_instr) and the replacement jumps; at\n"
       " * boot the kernel patches the ChaCha20 dispatch jump at " +
       hex(site) + " from them:\n";
  for (const Alternative& a : alternatives) {
    c += " *   " + std::string(a.feature.name) + " (" + std::to_string(a.feature.number / 32) +
         "*32+" + std::to_string(a.feature.number % 32) + "): jmp " + hex(a.entry) + ", the " +
         a.routine + " routine\n";
  }
  c += " * Later entries win; with none of the features the image runs SSE2.\n"
       " */\n";
  c += "static unsigned char vdsoforge_vdso64_pages[" + std::to_string(pages.size()) +
       "] __ro_after_init __aligned(PAGE_SIZE) = {\n";
  c += byte_lines(pages);
  c += "};\n\n";
  c += "const struct vdso_image vdso_image_64 = {\n"
       "\t.data = vdsoforge_vdso64_pages,\n"
       "\t.size = " +
       std::to_string(pages.size()) +
       ",\n"
       "\t.alt = " +
       hex(alt) +
       ",\n"
       "\t.alt_len = " +
       std::to_string(alt_len) +
       ",\n"
       "\t/* No exception table: nothing in the image expects to fault. */\n"
       "\t.extable_base = 0,\n"
       "\t.extable_len = 0,\n"
       "\t.extable = NULL,\n"
       "\t/* The data pages below the image, from its base. */\n"
       "\t.sym_vvar_start = " +
       signed_hex(kVvarStart) +
       ",\n"
       "\t.sym_vvar_page = " +
       signed_hex(kVvarPage) +
       ",\n"
       "\t.sym_pvclock_page = " +
       signed_hex(kPvclockPage) +
       ",\n"
       "\t.sym_hvclock_page = " +
       signed_hex(kHvclockPage) +
       ",\n"
       "\t.sym_timens_page = " +
       signed_hex(kTimensPage) +
       ",\n"
       "};\n\n";
  c += "/* Applies the alternatives table once, before any process maps [vdso]. */\n"
       "static int __init vdsoforge_init_vdso_image_64(void)\n"
       "{\n"
       "\treturn init_vdso_image(&vdso_image_64);\n"
       "}\n"
       "subsys_initcall(vdsoforge_init_vdso_image_64);\n";
  return c;
}

}  // namespace

bool generate_kernel_vdso_source(const ElfImage& elf, const std::string& source_name,
                                 KernelVdsoSource& out, std::string& error) {
  if (!elf.data_layout()) {
    error = "the image has no vdsoforge data-layout note, so whether it reads its data where " +
            std::string(kKernelTargetName) + " keeps it, " + target_layout_text() + ", is unknown";
    return false;
  }
  if (!matches_target(*elf.data_layout())) {
    error = "the image's data layout is " + layout_text(*elf.data_layout()) + ", but " +
            kKernelTargetName + " keeps its data as " + target_layout_text() +
            ": the image would read the wrong page; build it with LAYOUT " + kTargetProfile.name;
    return false;
  }
  std::optional<Chacha20Routines> routines;
  if (!check_embeddable(elf,
                        "the kernel maps the image file as it is: its PT_LOAD must start at offset "
                        "0 == vaddr 0 with filesz == memsz",
                        routines, error))
    return false;

  std::vector<Alternative> alternatives;
  const uint64_t site = routines ? routines->site : 0;
  if (routines) {
    for (const Chacha20RoutineEntry& entry : routines->routines) {
      bool ok = true;
      const auto feature = kernel_feature(entry, ok);
      if (!ok) {
        error = "the " + std::string(chacha20_routine_name(entry.routine)) +
                " routine needs CPU features " + hex(entry.features) +
                " (note bits), which no single " + kKernelTargetName + " feature bit expresses";
        return false;
      }
      if (feature)
        alternatives.push_back(
            {*feature, std::string(chacha20_routine_name(entry.routine)), entry.entry});
    }
  }

  // The table goes into the last page's padding after the file, 16-byte
  // aligned; the pages grow if it does not fit.
  const uint64_t file_size = elf.bytes().size();
  const uint64_t alt = (file_size + 15) / 16 * 16;
  const uint64_t alt_end = alt + alternatives.size() * (kAltInstrSize + kJmp32Size);
  const uint64_t size = (std::max(alt_end, uint64_t{1}) + kPage - 1) / kPage * kPage;
  std::vector<uint8_t> pages(size, 0);
  std::copy(elf.bytes().begin(), elf.bytes().end(), pages.begin());
  place_alternatives(pages, alt, site, alternatives);

  out.text = render(elf, source_name, pages, alt, site, alternatives);
  out.size = size;
  out.alt = alt;
  out.alt_len = alternatives.size() * kAltInstrSize;
  out.alternatives = static_cast<unsigned>(alternatives.size());
  return true;
}

}  // namespace vdsoforge::tools
