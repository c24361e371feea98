// vdsoforge dump -o FILE
//
// Saves the running kernel's vDSO byte for byte as mapped (a reference for
// `vdsoforge abi --reference` on another machine) and prints its layout and
// where the kernel's data pages lie relative to it.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "command.h"
#include "output_file.h"
#include "vdsoforge/elf_exports.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/elf_names.h"
#include "vdsoforge/kernel_vdso.h"
#include "vdsoforge/layout_detect.h"

namespace vdsoforge::tools {

namespace {

// Offsets relative to the vDSO base are signed: the data pages lie below it.
std::string signed_hex(uintptr_t address, uintptr_t base) {
  return address >= base ? "+" + hex(address - base) : "-" + hex(base - address);
}

// The kernel's mapped [vvar*] pages, in pages, as the profile would name them.
struct MappedDataPages {
  size_t vvar = 0, vvar_vclock = 0;
};

MappedDataPages mapped_data_pages(const KernelVdso& vdso) {
  MappedDataPages pages;
  for (const KernelMapping& m : vdso.mappings) {
    if (m.name == "[vvar]") pages.vvar += (m.end - m.start) / 4096;
    if (m.name == "[vvar_vclock]") pages.vvar_vclock += (m.end - m.start) / 4096;
  }
  return pages;
}

// The vDSO's ELF does not say where its data lies: its code does, through
// RIP-relative loads fixed when the kernel was built.  The detector reads
// them; the mapped sizes are the independent cross-check.
void print_detected_layout(const KernelVdso& vdso, const ElfImage& elf) {
  const DetectedLayout layout = detect_data_layout(elf);
  std::printf("\nData layout, from __vdso_getrandom's code:\n  %s\n", describe(layout).c_str());
  for (const DataReference& r : layout.references)
    std::printf("    +%-6s base - %-7s %u bytes  %s\n", hex(r.instruction).c_str(),
                hex(r.distance).c_str(), r.width, r.text.c_str());
  if (!layout.profile) return;
  const MappedDataPages mapped = mapped_data_pages(vdso);
  const bool matches = mapped.vvar == layout.profile->vvar_mapping_pages &&
                       mapped.vvar_vclock == layout.profile->vvar_vclock_mapping_pages;
  std::printf(
      "  %s-style mappings: [vvar] %u pages, [vvar_vclock] %u pages; mapped: %zu and %zu "
      "pages: %s\n",
      layout.profile->name, layout.profile->vvar_mapping_pages,
      layout.profile->vvar_vclock_mapping_pages, mapped.vvar, mapped.vvar_vclock,
      matches ? "match" : "MISMATCH");
}

void print_layout(const KernelVdso& vdso, const ElfImage& elf) {
  std::printf("ELF: %s %s %s, soname %s, %zu program headers\n",
              elf_class_name(elf.identity().elf_class).c_str(),
              elf_type_name(elf.identity().type).c_str(),
              elf_machine_name(elf.identity().machine).c_str(), elf.soname().c_str(),
              elf.segments().size());
  std::printf("\nProgram headers:\n");
  for (const Segment& s : elf.segments()) {
    std::printf("  %-16s offset %-8s vaddr %-8s filesz %-8s memsz %-8s %s\n",
                segment_type_name(s.type).c_str(), hex(s.offset).c_str(), hex(s.vaddr).c_str(),
                hex(s.filesz).c_str(), hex(s.memsz).c_str(), segment_flags_name(s.flags).c_str());
  }
  if (!elf.sections().empty()) {
    std::printf("\nSections:\n");
    for (const Section& s : elf.sections()) {
      if (s.name.empty()) continue;
      std::printf("  %-24s offset %-8s size %s\n", s.name.c_str(), hex(s.offset).c_str(),
                  hex(s.size).c_str());
    }
  }
  std::printf("\nExported symbols (offset from the base):\n");
  for (const Symbol* symbol : exported_symbols(elf)) {
    std::printf("  %-8s %s%s %s %s\n", hex(symbol->value).c_str(), symbol->name.c_str(),
                symbol_version_text(*symbol).c_str(), symbol_bind_name(symbol->bind).c_str(),
                symbol_type_name(symbol->type).c_str());
  }
  std::printf("\nNotes:\n");
  for (const Note& note : elf.notes()) {
    std::printf("  %-10s type %u, %zu-byte descriptor %s\n", note.owner.c_str(), note.type,
                note.desc.size(), hex_bytes(note.desc).c_str());
  }

  std::printf(
      "\nKernel mappings around the vDSO (from /proc/self/maps, relative to the base %s):\n",
      hex(vdso.base).c_str());
  for (const KernelMapping& m : vdso.mappings) {
    // Only the vDSO and its data pages; [vsyscall] and the like are unrelated.
    if (!m.name.starts_with("[vvar") && m.name != "[vdso]") continue;
    std::printf("  %-14s %s .. %s  %3zu pages  %s\n", m.name.c_str(),
                signed_hex(m.start, vdso.base).c_str(), signed_hex(m.end, vdso.base).c_str(),
                static_cast<size_t>((m.end - m.start) / 4096), m.permissions.c_str());
  }
  print_detected_layout(vdso, elf);
}

int run_dump(const std::string& output) {
  Error err;
  const auto vdso = find_kernel_vdso(err);
  if (!vdso) {
    std::fprintf(stderr, "vdsoforge dump: %s\n", err.message.c_str());
    return 2;
  }
  std::string error;
  if (!write_output_file(output, vdso->bytes, error)) {
    std::fprintf(stderr, "vdsoforge dump: %s\n", error.c_str());
    return 2;
  }
  std::printf("kernel vDSO: %zu bytes at %s written to %s\n", vdso->bytes.size(),
              hex(vdso->base).c_str(), output.c_str());
  ElfError refusal;
  const auto elf = ElfImage::parse(vdso->bytes, ParseMode::inspect, refusal);
  if (!elf) {
    std::fprintf(stderr, "vdsoforge dump: wrote the bytes, but cannot parse them: %s: %s\n",
                 std::string(errc_name(refusal.code)).c_str(), refusal.message.c_str());
    return 2;
  }
  print_layout(*vdso, *elf);
  return 0;
}

const CommandRegistration registration{Command{
    .setup = [](CLI::App& sub) -> std::function<int()> {
      auto output = std::make_shared<std::string>();
      sub.add_option("-o,--output", *output, "file to write the vDSO to")->required();
      return [output] { return run_dump(*output); };
    },
    .name = "dump",
    .summary = "save the running kernel's vDSO as mapped and print its layout",
}};

}  // namespace

}  // namespace vdsoforge::tools
