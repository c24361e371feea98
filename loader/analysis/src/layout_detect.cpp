// Data-layout detection from __vdso_getrandom's code (see layout_detect.h).
#include "vdsoforge/layout_detect.h"

#include <elf.h>

#include <algorithm>
#include <map>
#include <set>

#include "vdsoforge/hex.h"
#include "vgetrandom_abi.h"
#include "x86_decoder.h"

namespace vdsoforge {
namespace {

ZydisRegister full_register(ZydisRegister reg) {
  return ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);
}

bool is_register(const ZydisDecodedOperand& op) { return op.type == ZYDIS_OPERAND_TYPE_REGISTER; }

// A walk over one function that remembers, per general-purpose register, the
// data addresses (as distances below the image) an lea may have put there.
// It runs straight through the code, ignoring branches, and so merges what
// the branches could leave in a register; conditional moves merge the same
// way.  That over-approximates, which is safe: conflicting results are
// reported as conflicts, never resolved by guessing.
class ReferenceWalker {
 public:
  ReferenceWalker(const X86Decoder& decoder, uint64_t image_base)
      : decoder_(decoder), image_base_(image_base) {}

  void step(const DecodedInstruction& d) {
    const ZydisDecodedInstruction& insn = d.instruction;
    // Accesses first: they read the registers as they were before this
    // instruction writes them.
    for (uint8_t i = 0; i < insn.operand_count; ++i) record_access(d, d.operands[i]);
    note_clock_mode_compare(d);
    update_registers(d);
  }

  const std::vector<DataReference>& references() const { return references_; }
  const std::set<uint64_t>& clock_mode_distances() const { return clock_modes_; }

 private:
  // Distance below the image of a RIP-relative target, if it is below.
  std::optional<uint64_t> below_image(uint64_t target) const {
    if (static_cast<int64_t>(target - image_base_) >= 0) return std::nullopt;
    return image_base_ - target;
  }

  void record_access(const DecodedInstruction& d, const ZydisDecodedOperand& op) {
    if (op.type != ZYDIS_OPERAND_TYPE_MEMORY) return;
    const bool is_lea = d.instruction.mnemonic == ZYDIS_MNEMONIC_LEA;
    const unsigned width = is_lea ? 0 : op.size / 8;
    uint64_t target = 0;
    if (X86Decoder::rip_relative_target(d, op, target)) {
      if (const auto distance = below_image(target)) add(d, *distance, width);
      return;
    }
    // [reg + disp] through a register an lea filled with a data address.
    if (op.mem.index != ZYDIS_REGISTER_NONE || op.mem.base == ZYDIS_REGISTER_NONE) return;
    const auto found = addresses_.find(full_register(op.mem.base));
    if (found == addresses_.end()) return;
    const int64_t disp = op.mem.disp.has_displacement ? op.mem.disp.value : 0;
    for (uint64_t distance : found->second) {
      const int64_t shifted = static_cast<int64_t>(distance) - disp;
      if (shifted > 0) add(d, static_cast<uint64_t>(shifted), is_lea ? 0 : width);
    }
  }

  void add(const DecodedInstruction& d, uint64_t distance, unsigned width) {
    references_.push_back({d.address - image_base_, distance, width, decoder_.format(d)});
  }

  // cmp dword [data], 0x7fffffff, or the same through a register loaded
  // from there: the pre-6.15 time-namespace check of the clock mode.
  void note_clock_mode_compare(const DecodedInstruction& d) {
    if (d.instruction.mnemonic != ZYDIS_MNEMONIC_CMP || d.instruction.operand_count_visible < 2)
      return;
    const ZydisDecodedOperand& lhs = d.operands[0];
    const ZydisDecodedOperand& rhs = d.operands[1];
    if (rhs.type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
        static_cast<int64_t>(rhs.imm.value.s) != layout::kClockModeTimens || lhs.size != 32)
      return;
    uint64_t target = 0;
    if (X86Decoder::rip_relative_target(d, lhs, target)) {
      if (const auto distance = below_image(target)) clock_modes_.insert(*distance);
    } else if (is_register(lhs)) {
      const auto loaded = dword_loads_.find(full_register(lhs.reg.value));
      if (loaded != dword_loads_.end()) clock_modes_.insert(loaded->second);
    }
  }

  void update_registers(const DecodedInstruction& d) {
    const ZydisDecodedInstruction& insn = d.instruction;
    const ZydisDecodedOperand* ops = d.operands;
    const bool two_registers = insn.operand_count_visible >= 2 && is_register(ops[0]);
    if (insn.mnemonic == ZYDIS_MNEMONIC_LEA && is_register(ops[0])) {
      const ZydisRegister dst = full_register(ops[0].reg.value);
      std::set<uint64_t> produced;
      uint64_t target = 0;
      if (X86Decoder::rip_relative_target(d, ops[1], target)) {
        if (const auto distance = below_image(target)) produced.insert(*distance);
      } else if (ops[1].mem.index == ZYDIS_REGISTER_NONE &&
                 ops[1].mem.base != ZYDIS_REGISTER_NONE) {
        const auto found = addresses_.find(full_register(ops[1].mem.base));
        if (found != addresses_.end()) {
          const int64_t disp = ops[1].mem.disp.has_displacement ? ops[1].mem.disp.value : 0;
          for (uint64_t distance : found->second)
            if (static_cast<int64_t>(distance) - disp > 0) produced.insert(distance - disp);
        }
      }
      forget_written(d);
      if (!produced.empty()) addresses_[dst] = std::move(produced);
      return;
    }
    if (two_registers && is_register(ops[1]) && ops[0].size == 64 &&
        (insn.mnemonic == ZYDIS_MNEMONIC_MOV || (insn.meta.category == ZYDIS_CATEGORY_CMOV))) {
      const ZydisRegister dst = full_register(ops[0].reg.value);
      const auto src = addresses_.find(full_register(ops[1].reg.value));
      std::set<uint64_t> merged;
      if (insn.mnemonic != ZYDIS_MNEMONIC_MOV) {
        const auto old = addresses_.find(dst);
        if (old != addresses_.end()) merged = old->second;
      }
      if (src != addresses_.end()) merged.insert(src->second.begin(), src->second.end());
      forget_written(d);
      if (!merged.empty()) addresses_[dst] = std::move(merged);
      return;
    }
    // A 32-bit load from data memory, for a compare that may follow.
    uint64_t target = 0;
    const bool dword_load = insn.mnemonic == ZYDIS_MNEMONIC_MOV && two_registers &&
                            ops[0].size == 32 && X86Decoder::rip_relative_target(d, ops[1], target);
    forget_written(d);
    if (dword_load) {
      if (const auto distance = below_image(target))
        dword_loads_[full_register(ops[0].reg.value)] = *distance;
    }
  }

  void forget_written(const DecodedInstruction& d) {
    for (uint8_t i = 0; i < d.instruction.operand_count; ++i) {
      const ZydisDecodedOperand& op = d.operands[i];
      if (is_register(op) && (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
        addresses_.erase(full_register(op.reg.value));
        dword_loads_.erase(full_register(op.reg.value));
      }
    }
  }

  const X86Decoder& decoder_;
  const uint64_t image_base_;
  std::map<ZydisRegister, std::set<uint64_t>> addresses_;
  std::map<ZydisRegister, uint64_t> dword_loads_;
  std::vector<DataReference> references_;
  std::set<uint64_t> clock_modes_;
};

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
      if (p->has_timens_indirection || p->data_area_size - p->rng_data_offset != d) continue;
      result.profile = p;
      result.confidence = LayoutConfidence::certain;
      result.reason = "generation and is_ready read at the distances of " + std::string(p->name);
      return;
    }
    bool pre_615_distance = false;
    for (const layout::Profile* p : layout::kProfiles)
      pre_615_distance |= p->has_timens_indirection && p->data_area_size - p->rng_data_offset == d;
    result.confidence = LayoutConfidence::partial;
    result.reason = pre_615_distance
                        ? "the rng data lies where Linux 6.11-6.14 put it, but the code has no "
                          "time-namespace check (a kernel without CONFIG_TIME_NS?), which is "
                          "what tells 6.11 from 6.13"
                        : "no known kernel profile puts the rng data at base - " + hex(d);
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
  ReferenceWalker walker(decoder, image_base);
  for (size_t offset = 0; offset < code.size();) {
    DecodedInstruction decoded;
    if (!decoder.decode(code, offset, symbol->value + offset, decoded))
      return unknown("the byte at " + hex(symbol->value + offset) +
                         " in __vdso_getrandom does not decode as an x86-64 instruction",
                     walker.references());
    walker.step(decoded);
    offset += decoded.instruction.length;
  }

  std::vector<DataReference> references = walker.references();
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
  const std::set<uint64_t>& clock_modes = walker.clock_mode_distances();
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
