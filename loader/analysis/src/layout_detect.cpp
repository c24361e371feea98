// Data-layout detection from __vdso_getrandom's code (see layout_detect.h).
#include "vdsoforge/layout_detect.h"

#include <elf.h>

#include <set>

#include "data_address_flow.h"
#include "vdsoforge/hex.h"
#include "vgetrandom_abi.h"
#include "x86_decoder.h"

namespace vdsoforge {
namespace {

const Symbol* find_getrandom(const ElfImage& elf) {
  for (const Symbol& s : elf.symbols())
    if (s.name == "__vdso_getrandom" && s.shndx != SHN_UNDEF && s.type == STT_FUNC) return &s;
  return nullptr;
}

DetectedLayout unknown(std::string reason, std::vector<DataReference> references = {}) {
  DetectedLayout result;
  result.reason = std::move(reason);
  result.references = std::move(references);
  return result;
}

std::string distances_text(const std::set<uint64_t>& distances) {
  std::string text;
  for (uint64_t d : distances) text += (text.empty() ? "base - " : ", base - ") + hex(d);
  return text;
}

uint64_t page_of(uint64_t distance) {
  // Pages counted downwards from the image: distance 1..0x1000 is page 1.
  return (distance + abi::kPageSize - 1) / abi::kPageSize;
}

// Fills profile, confidence and reason from the distances found.
void match_profile(DetectedLayout& result) {
  const uint64_t d = result.rng_distance;
  if (!result.timens_delta) {
    for (const layout::Profile* p : layout::kProfiles) {
      if (p->has_timens_indirection || layout::rng_distance(*p) != d) continue;
      result.profile = p;
      result.confidence = LayoutConfidence::certain;
      result.reason = "generation and is_ready read at the distances of " + std::string(p->name);
      return;
    }
    // A clock-mode check whose second rng address the code computes in a way
    // not followed: the clock mode's distance alone still tells 6.11 from 6.13.
    for (const layout::Profile* p : layout::kProfiles) {
      if (!p->has_timens_indirection || layout::rng_distance(*p) != d ||
          result.clock_mode_distance != layout::clock_mode_distance(*p))
        continue;
      result.profile = p;
      result.confidence = LayoutConfidence::certain;
      result.reason = "rng data and clock mode at the distances of " + std::string(p->name) +
                      " (the time-namespace address itself was not followed)";
      return;
    }
    bool pre_615_distance = false;
    for (const layout::Profile* p : layout::kProfiles)
      pre_615_distance |= p->has_timens_indirection && p->data_area_size - p->rng_data_offset == d;
    result.confidence = LayoutConfidence::partial;
    if (!pre_615_distance)
      result.reason = "no known kernel profile puts the rng data at base - " + hex(d);
    else if (result.clock_mode_distance)
      result.reason =
          "the rng data lies where Linux 6.11-6.14 put it, but the clock mode the "
          "code checks, at base - " +
          hex(*result.clock_mode_distance) + ", lies where no known kernel has it";
    else
      result.reason =
          "the rng data lies where Linux 6.11-6.14 put it, but the code has no "
          "time-namespace check (a kernel without CONFIG_TIME_NS?), which is what tells 6.11 "
          "from 6.13";
    return;
  }
  for (const layout::Profile* p : layout::kProfiles) {
    if (!p->has_timens_indirection) continue;
    const uint64_t vvar_distance = p->data_area_size - p->vvar_page_offset;
    if (p->data_area_size - p->rng_data_offset == d &&
        p->timens_page_offset - p->vvar_page_offset == *result.timens_delta &&
        result.clock_mode_distance == vvar_distance - p->clock_mode_offset) {
      result.profile = p;
      result.confidence = LayoutConfidence::certain;
      result.reason = "rng data, clock mode and time-namespace page at the distances of " +
                      std::string(p->name);
      return;
    }
  }
  result.confidence = LayoutConfidence::partial;
  result.reason = "a time-namespace indirection of " + hex(*result.timens_delta) +
                  " with the clock mode at base - " + hex(result.clock_mode_distance.value_or(0)) +
                  " matches no known profile";
}

}  // namespace

std::string_view confidence_name(LayoutConfidence confidence) {
  switch (confidence) {
    case LayoutConfidence::unknown:
      return "unknown";
    case LayoutConfidence::partial:
      return "partial";
    case LayoutConfidence::certain:
      return "certain";
  }
  return "unknown";
}

std::string DetectedLayout::profile_name() const {
  if (profile) return profile->name;
  return known() ? "none" : "unknown";
}

uint64_t DetectedLayout::data_area_size() const {
  if (profile) return profile->data_area_size;
  // Room for the rng data, and for the page the indirection may reach.
  return page_of(rng_distance) * abi::kPageSize;
}

DetectedLayout detect_data_layout(const ElfImage& elf) {
  const Symbol* symbol = find_getrandom(elf);
  if (!symbol)
    return unknown(
        "the image has no defined __vdso_getrandom function in .dynsym (stripped, or "
        "not a getrandom vDSO)");
  if (symbol->size == 0)
    return unknown("__vdso_getrandom has size 0, so its code cannot be delimited");
  const Segment& load = elf.load_segment();
  if (symbol->value < load.vaddr || symbol->value - load.vaddr > load.filesz ||
      symbol->size > load.filesz - (symbol->value - load.vaddr))
    return unknown("__vdso_getrandom at " + hex(symbol->value) + " (" + hex(symbol->size) +
                   " bytes) lies outside the loadable segment's file bytes");
  const uint64_t file_offset = load.offset + (symbol->value - load.vaddr);
  if (file_offset > elf.bytes().size() || symbol->size > elf.bytes().size() - file_offset)
    return unknown("__vdso_getrandom runs past the end of the file");
  const auto code = elf.bytes().subspan(file_offset, symbol->size);

  const X86Decoder decoder;
  if (!decoder.ready()) return unknown("the Zydis disassembler failed to initialise");
  // Addresses as the image sees them: its ELF header at load.vaddr - load.offset.
  const uint64_t image_base = load.vaddr - load.offset;
  std::vector<DecodedInstruction> instructions;
  for (size_t offset = 0; offset < code.size();) {
    DecodedInstruction decoded;
    if (!decoder.decode(code, offset, symbol->value + offset, decoded))
      return unknown("the byte at " + hex(symbol->value + offset) +
                     " in __vdso_getrandom does not decode as an x86-64 instruction");
    offset += decoded.instruction.length;
    instructions.push_back(decoded);
  }
  detail::DataFlowResult flow = detail::follow_data_addresses(decoder, instructions, image_base);
  if (!flow.failure.empty()) return unknown(flow.failure);

  std::vector<DataReference> references = std::move(flow.references);
  if (references.empty())
    return unknown("__vdso_getrandom makes no RIP-relative reference below the image");
  std::set<uint64_t> generations, ready_flags, all;
  for (const DataReference& r : references) {
    all.insert(r.distance);
    if (r.width == 8 || r.width == 0) generations.insert(r.distance);
    if (r.width == 1) ready_flags.insert(r.distance);
  }
  std::set<uint64_t> candidates;  // u64 generation with a u8 is_ready 8 bytes above
  for (uint64_t g : generations)
    if (g > 8 && ready_flags.count(g - 8)) candidates.insert(g);
  if (candidates.empty())
    return unknown("references below the image at " + distances_text(all) +
                       ", but none is a u64 generation with a u8 is_ready 8 bytes above it",
                   std::move(references));

  DetectedLayout result;
  result.references = std::move(references);
  const std::set<uint64_t>& clock_modes = flow.clock_mode_distances;
  if (clock_modes.size() > 1) {
    result.reason = "clock-mode compares at conflicting addresses " + distances_text(clock_modes);
    return result;
  }
  if (clock_modes.size() == 1) result.clock_mode_distance = *clock_modes.begin();

  if (candidates.size() == 1) {
    result.rng_distance = *candidates.begin();
  } else if (candidates.size() == 2 && result.clock_mode_distance) {
    // The time-namespace indirection: the real rng data shares its page with
    // the clock mode the code checks; the other copy lies in the other page.
    const uint64_t clock_page = page_of(*result.clock_mode_distance);
    const uint64_t first = *candidates.begin(), second = *candidates.rbegin();
    const bool first_home = page_of(first) == clock_page,
               second_home = page_of(second) == clock_page;
    if (first_home == second_home) {
      result.reason = "two rng-data addresses " + distances_text(candidates) +
                      " and no way to tell which one is the vvar page's";
      return result;
    }
    result.rng_distance = first_home ? first : second;
    const uint64_t other = first_home ? second : first;
    if (other > result.rng_distance) {
      result.reason = "the time-namespace copy of the rng data lies below the real one";
      return result;
    }
    result.timens_delta = result.rng_distance - other;
  } else {
    result.reason = "conflicting rng-data addresses " + distances_text(candidates);
    return result;
  }
  match_profile(result);
  return result;
}

std::string describe(const DetectedLayout& layout) {
  if (!layout.known()) return "unknown: " + layout.reason;
  std::string text = "rng data at base - " + hex(layout.rng_distance);
  if (layout.timens_delta)
    text += ", in a time namespace base - " + hex(layout.rng_distance - *layout.timens_delta) +
            " (clock mode at base - " + hex(layout.clock_mode_distance.value_or(0)) + ")";
  text +=
      "; profile " + layout.profile_name() + ", " + std::string(confidence_name(layout.confidence));
  if (layout.confidence != LayoutConfidence::certain) text += ": " + layout.reason;
  return text;
}

}  // namespace vdsoforge
