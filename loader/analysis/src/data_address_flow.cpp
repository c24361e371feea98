// The dataflow analysis behind the layout detector (see data_address_flow.h).
#include "data_address_flow.h"

#include <compare>
#include <deque>
#include <map>
#include <optional>
#include <tuple>

namespace vdsoforge::detail {
namespace {

// What a register may hold, as far as the detector cares.
struct Value {
  enum class Kind : uint8_t {
    address,       // the address base - number (number > 0: below the image)
    constant,      // the integer number
    loaded_dword,  // a 32-bit value read from base - number
  };
  Kind kind;
  int64_t number;
  auto operator<=>(const Value&) const = default;
};

// Beyond this many values a register is "too many to follow" for good: the
// analysis then still terminates on loops that keep shifting an address.
constexpr size_t kMaxValues = 16;
// A safety net against a bug in the lattice and a bound on the work a
// hostile input can cause, far above what any vDSO function needs.
constexpr size_t kMaxSteps = 200'000;

struct Slot {
  std::set<Value> values;
  bool too_many = false;
};

// One program point: every register with something known; a register that
// is absent holds nothing the detector follows.
using Registers = std::map<ZydisRegister, Slot>;

ZydisRegister full_register(ZydisRegister reg) {
  return ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);
}

bool is_register(const ZydisDecodedOperand& op) { return op.type == ZYDIS_OPERAND_TYPE_REGISTER; }

bool is_general_purpose_64(ZydisRegister reg) {
  return ZydisRegisterGetClass(reg) == ZYDIS_REGCLASS_GPR64;
}

// Two's-complement arithmetic without signed overflow.
int64_t wrap_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t wrap_sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t wrap_mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

// a + b; an address moves down by what is added (address = base - distance).
std::optional<Value> add(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.kind == K::constant && b.kind == K::constant)
    return Value{K::constant, wrap_add(a.number, b.number)};
  if (a.kind == K::address && b.kind == K::constant)
    return Value{K::address, wrap_sub(a.number, b.number)};
  if (a.kind == K::constant && b.kind == K::address)
    return Value{K::address, wrap_sub(b.number, a.number)};
  return std::nullopt;
}

// a - b; the difference of two addresses is a constant.
std::optional<Value> subtract(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.kind == K::constant && b.kind == K::constant)
    return Value{K::constant, wrap_sub(a.number, b.number)};
  if (a.kind == K::address && b.kind == K::constant)
    return Value{K::address, wrap_add(a.number, b.number)};
  if (a.kind == K::address && b.kind == K::address)
    return Value{K::constant, wrap_sub(b.number, a.number)};
  return std::nullopt;
}

int64_t immediate(const ZydisDecodedOperand& op) {
  return op.imm.is_signed ? static_cast<int64_t>(op.imm.value.s)
                          : static_cast<int64_t>(op.imm.value.u);
}

class Analysis {
 public:
  Analysis(const X86Decoder& decoder, const std::vector<DecodedInstruction>& code,
           uint64_t image_base, FlowOptions options)
      : decoder_(decoder),
        code_(code),
        image_base_(image_base),
        options_(options),
        in_(code.size()) {
    for (size_t i = 0; i < code_.size(); ++i) index_of_[code_[i].address] = i;
  }

  DataFlowResult run() {
    DataFlowResult result;
    // Every instruction gets a state: the entry first, then (for code only an
    // indirect jump reaches) the first instruction nothing reached yet, with
    // nothing known, so its direct RIP-relative accesses still count.
    for (size_t start = 0; start < code_.size(); ++start) {
      if (in_[start]) continue;
      in_[start] = Registers{};
      if (!settle(start)) {
        result.failure =
            "the data-flow analysis did not settle within " + std::to_string(kMaxSteps) + " steps";
        return result;
      }
    }
    for (size_t i = 0; i < code_.size(); ++i) record(code_[i], *in_[i], result);
    return result;
  }

 private:
  // Propagates states from `start` until nothing changes.
  bool settle(size_t start) {
    std::deque<size_t> work{start};
    std::vector<bool> queued(code_.size(), false);
    queued[start] = true;
    while (!work.empty()) {
      if (++steps_ > kMaxSteps) return false;
      const size_t i = work.front();
      work.pop_front();
      queued[i] = false;
      Registers out = *in_[i];
      transfer(code_[i], out);
      const auto follow = [&](size_t next, const Registers& state) {
        if (!join_into(next, state) || queued[next]) return;
        queued[next] = true;
        work.push_back(next);
      };
      for (size_t next : successors(i)) follow(next, out);
      // The callee starts with the registers as they were before the call.
      if (const auto callee = call_target(i)) follow(*callee, Registers(*in_[i]));
    }
    return true;
  }

  // Merges `state` into instruction i's entry state; true if it grew.
  bool join_into(size_t i, const Registers& state) {
    if (!in_[i]) {
      in_[i] = state;
      return true;
    }
    bool grew = false;
    Registers& target = *in_[i];
    for (const auto& [reg, slot] : state) {
      Slot& into = target[reg];
      if (into.too_many) continue;
      if (slot.too_many) {
        into = Slot{{}, true};
        grew = true;
        continue;
      }
      for (const Value& v : slot.values) grew |= into.values.insert(v).second;
      if (into.values.size() > kMaxValues) into = Slot{{}, true};
    }
    return grew;
  }

  std::vector<size_t> successors(size_t i) const {
    const ZydisDecodedInstruction& insn = code_[i].instruction;
    std::vector<size_t> next;
    const auto category = insn.meta.category;
    const bool falls_through =
        category != ZYDIS_CATEGORY_UNCOND_BR && category != ZYDIS_CATEGORY_RET &&
        insn.mnemonic != ZYDIS_MNEMONIC_INT3 && insn.mnemonic != ZYDIS_MNEMONIC_UD2 &&
        insn.mnemonic != ZYDIS_MNEMONIC_HLT;
    // The next instruction in memory, which need not be the next one in
    // `code_` where the code has gaps.
    if (falls_through) {
      const auto found = index_of_.find(code_[i].address + insn.length);
      if (found != index_of_.end()) next.push_back(found->second);
    }
    if (category == ZYDIS_CATEGORY_COND_BR || category == ZYDIS_CATEGORY_UNCOND_BR) {
      // A jump outside the function (a tail call) leaves it: no successor.
      if (const auto target = direct_target(i)) next.push_back(*target);
    }
    return next;
  }

  // The index of a direct (relative) branch or call's target, if it is in code_.
  std::optional<size_t> direct_target(size_t i) const {
    const ZydisDecodedOperand& op = code_[i].operands[0];
    ZyanU64 target = 0;
    if (op.type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !op.imm.is_relative ||
        !ZYAN_SUCCESS(
            ZydisCalcAbsoluteAddress(&code_[i].instruction, &op, code_[i].address, &target)))
      return std::nullopt;
    const auto found = index_of_.find(target);
    if (found == index_of_.end()) return std::nullopt;
    return found->second;
  }

  std::optional<size_t> call_target(size_t i) const {
    if (!options_.follow_calls || code_[i].instruction.meta.category != ZYDIS_CATEGORY_CALL)
      return std::nullopt;
    return direct_target(i);
  }

  // The distance below the image of a RIP-relative operand's target.
  std::optional<int64_t> rip_distance(const DecodedInstruction& d,
                                      const ZydisDecodedOperand& op) const {
    uint64_t target = 0;
    if (!X86Decoder::rip_relative_target(d, op, target)) return std::nullopt;
    if (static_cast<int64_t>(target - image_base_) >= 0 && !options_.image_addresses)
      return std::nullopt;
    return static_cast<int64_t>(image_base_ - target);
  }

  static const std::set<Value>* values_of(const Registers& state, ZydisRegister reg) {
    const auto found = state.find(full_register(reg));
    if (found == state.end() || found->second.too_many) return nullptr;
    return &found->second.values;
  }

  // Every value a memory operand's address may take: base + index * scale + disp.
  std::set<Value> operand_address(const DecodedInstruction& d, const ZydisDecodedOperand& op,
                                  const Registers& state) const {
    std::set<Value> result;
    if (op.type != ZYDIS_OPERAND_TYPE_MEMORY) return result;
    if (const auto distance = rip_distance(d, op)) {
      result.insert({Value::Kind::address, *distance});
      return result;
    }
    // fs:/gs: addresses are thread data, never the vDSO's pages.
    if (op.mem.base == ZYDIS_REGISTER_RIP || op.mem.segment == ZYDIS_REGISTER_FS ||
        op.mem.segment == ZYDIS_REGISTER_GS)
      return result;
    const Value zero{Value::Kind::constant, 0};
    const std::set<Value> none{zero};
    const std::set<Value>* bases = &none;
    const std::set<Value>* indexes = &none;
    if (op.mem.base != ZYDIS_REGISTER_NONE && !(bases = values_of(state, op.mem.base)))
      return result;
    if (op.mem.index != ZYDIS_REGISTER_NONE && !(indexes = values_of(state, op.mem.index)))
      return result;
    const Value disp{Value::Kind::constant, op.mem.disp.has_displacement ? op.mem.disp.value : 0};
    const int64_t scale = op.mem.index != ZYDIS_REGISTER_NONE ? op.mem.scale : 1;
    for (const Value& b : *bases) {
      for (const Value& x : *indexes) {
        // Scaling makes sense for constants only: an address times 8 is no address.
        if (scale != 1 && x.kind != Value::Kind::constant) continue;
        const Value scaled =
            scale == 1 ? x : Value{Value::Kind::constant, wrap_mul(x.number, scale)};
        const auto sum = add(b, scaled);
        if (!sum) continue;
        if (const auto with_disp = add(*sum, disp)) result.insert(*with_disp);
      }
    }
    return result;
  }

  void set(Registers& state, ZydisRegister reg, std::set<Value> values) const {
    const ZydisRegister full = full_register(reg);
    if (values.empty()) {
      state.erase(full);
    } else if (values.size() > kMaxValues) {
      state[full] = Slot{{}, true};
    } else {
      state[full] = Slot{std::move(values), false};
    }
  }

  // The register's values as a source operand, or nothing for "unknown".
  std::set<Value> source_values(const ZydisDecodedOperand& op, const Registers& state) const {
    if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) return {{Value::Kind::constant, immediate(op)}};
    if (!is_register(op)) return {};
    const std::set<Value>* values = values_of(state, op.reg.value);
    return values ? *values : std::set<Value>{};
  }

  // What the instruction leaves in the registers.
  void transfer(const DecodedInstruction& d, Registers& state) const {
    const ZydisDecodedInstruction& insn = d.instruction;
    const ZydisDecodedOperand* ops = d.operands;
    const Registers before = state;
    forget_written(d, state);
    if (insn.meta.category == ZYDIS_CATEGORY_CALL) {
      // The System V ABI lets the callee change these.
      for (ZydisRegister reg : {ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_RCX, ZYDIS_REGISTER_RDX,
                                ZYDIS_REGISTER_RSI, ZYDIS_REGISTER_RDI, ZYDIS_REGISTER_R8,
                                ZYDIS_REGISTER_R9, ZYDIS_REGISTER_R10, ZYDIS_REGISTER_R11})
        state.erase(reg);
      return;
    }
    if (insn.operand_count_visible < 1 || !is_register(ops[0])) return;
    const ZydisRegister dst = ops[0].reg.value;
    const bool wide = is_general_purpose_64(dst);
    if (insn.meta.category == ZYDIS_CATEGORY_SETCC) {
      // 0 or 1 in the low byte; what the full register held above it stays.
      // Compilers clear the register first (xor) and then scale the flag
      // into a page offset (shl), which is how code picks the namespace page.
      const std::set<Value>* old = values_of(before, dst);
      if (!old) return;
      std::set<Value> results;
      for (const Value& v : *old) {
        if (v.kind != Value::Kind::constant) return;
        for (int64_t bit : {0, 1})
          results.insert({Value::Kind::constant,
                          static_cast<int64_t>((static_cast<uint64_t>(v.number) & ~0xffULL) |
                                               static_cast<uint64_t>(bit))});
      }
      set(state, dst, std::move(results));
      return;
    }
    if (insn.operand_count_visible < 2) return;
    switch (insn.mnemonic) {
      case ZYDIS_MNEMONIC_XOR:
        // xor r, r: the zeroing idiom (a 32-bit write clears the upper half too).
        if (is_register(ops[1]) && full_register(ops[1].reg.value) == full_register(dst) &&
            ops[0].size >= 32)
          set(state, dst, {{Value::Kind::constant, 0}});
        return;
      case ZYDIS_MNEMONIC_SHL: {
        if (ops[1].type != ZYDIS_OPERAND_TYPE_IMMEDIATE || ops[0].size < 32) return;
        const std::set<Value>* current = values_of(before, dst);
        if (!current) return;
        const unsigned count = static_cast<unsigned>(immediate(ops[1])) & (wide ? 63U : 31U);
        std::set<Value> results;
        for (const Value& v : *current) {
          if (v.kind != Value::Kind::constant) return;
          uint64_t shifted = static_cast<uint64_t>(v.number) << count;
          if (!wide) shifted &= 0xffffffffULL;
          results.insert({Value::Kind::constant, static_cast<int64_t>(shifted)});
        }
        set(state, dst, std::move(results));
        return;
      }
      case ZYDIS_MNEMONIC_LEA:
        if (wide) set(state, dst, operand_address(d, ops[1], before));
        return;
      case ZYDIS_MNEMONIC_MOV:
        if (ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY) {
          // A 32-bit load from the data pages, for a compare that may follow.
          if (ops[0].size != 32) return;
          std::set<Value> loaded;
          for (const Value& v : operand_address(d, ops[1], before))
            if (v.kind == Value::Kind::address)
              loaded.insert({Value::Kind::loaded_dword, v.number});
          set(state, dst, std::move(loaded));
        } else if (wide || ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
          // A 32-bit move keeps constants only (it zero-extends); none of the
          // code this reads moves addresses through 32-bit registers.
          std::set<Value> moved;
          for (const Value& v : source_values(ops[1], before))
            if (wide || v.kind == Value::Kind::constant)
              moved.insert(
                  wide ? v : Value{v.kind, static_cast<int64_t>(static_cast<uint32_t>(v.number))});
          set(state, dst, std::move(moved));
        }
        return;
      case ZYDIS_MNEMONIC_ADD:
      case ZYDIS_MNEMONIC_SUB: {
        if (!wide) return;
        const std::set<Value>* current = values_of(before, dst);
        if (!current) return;
        std::set<Value> results;
        for (const Value& a : *current)
          for (const Value& b : source_values(ops[1], before))
            if (const auto r = insn.mnemonic == ZYDIS_MNEMONIC_ADD ? add(a, b) : subtract(a, b))
              results.insert(*r);
        set(state, dst, std::move(results));
        return;
      }
      default:
        if (wide && insn.meta.category == ZYDIS_CATEGORY_CMOV) {
          // Either value, depending on the flags.
          std::set<Value> merged = source_values(ops[1], before);
          if (const std::set<Value>* old = values_of(before, dst))
            merged.insert(old->begin(), old->end());
          set(state, dst, std::move(merged));
        }
        return;
    }
  }

  static void forget_written(const DecodedInstruction& d, Registers& state) {
    for (uint8_t i = 0; i < d.instruction.operand_count; ++i) {
      const ZydisDecodedOperand& op = d.operands[i];
      if (is_register(op) && (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
        state.erase(full_register(op.reg.value));
    }
  }

  // The instruction's accesses below the image and its clock-mode compare,
  // with the registers as they were before it ran.
  void record(const DecodedInstruction& d, const Registers& state, DataFlowResult& result) const {
    const ZydisDecodedInstruction& insn = d.instruction;
    const bool is_lea = insn.mnemonic == ZYDIS_MNEMONIC_LEA;
    std::set<std::tuple<int64_t, unsigned>> seen;
    for (uint8_t i = 0; i < insn.operand_count; ++i) {
      const ZydisDecodedOperand& op = d.operands[i];
      if (op.type != ZYDIS_OPERAND_TYPE_MEMORY || (op.mem.type == ZYDIS_MEMOP_TYPE_AGEN && !is_lea))
        continue;
      const unsigned width = is_lea ? 0 : op.size / 8;
      for (const Value& v : operand_address(d, op, state)) {
        if (v.kind != Value::Kind::address || v.number <= 0) continue;
        if (!seen.insert({v.number, width}).second) continue;
        result.references.push_back(
            {d.address - image_base_, static_cast<uint64_t>(v.number), width, decoder_.format(d)});
      }
    }
    // cmp dword <clock mode>, VDSO_CLOCKMODE_TIMENS: the pre-6.15
    // time-namespace check, on memory or on a register loaded from it.
    if (insn.mnemonic != ZYDIS_MNEMONIC_CMP || insn.operand_count_visible < 2) return;
    const ZydisDecodedOperand& lhs = d.operands[0];
    const ZydisDecodedOperand& rhs = d.operands[1];
    if (rhs.type != ZYDIS_OPERAND_TYPE_IMMEDIATE || immediate(rhs) != layout::kClockModeTimens ||
        lhs.size != 32)
      return;
    if (lhs.type == ZYDIS_OPERAND_TYPE_MEMORY) {
      for (const Value& v : operand_address(d, lhs, state))
        if (v.kind == Value::Kind::address && v.number > 0)
          result.clock_mode_distances.insert(static_cast<uint64_t>(v.number));
    } else if (const std::set<Value>* values =
                   is_register(lhs) ? values_of(state, lhs.reg.value) : nullptr) {
      for (const Value& v : *values)
        if (v.kind == Value::Kind::loaded_dword && v.number > 0)
          result.clock_mode_distances.insert(static_cast<uint64_t>(v.number));
    }
  }

  const X86Decoder& decoder_;
  const std::vector<DecodedInstruction>& code_;
  const uint64_t image_base_;
  const FlowOptions options_;
  std::vector<std::optional<Registers>> in_;  // entry state per instruction; empty: not reached
  std::map<uint64_t, size_t> index_of_;       // instruction address -> index in code_
  size_t steps_ = 0;                          // over every start, against kMaxSteps
};

}  // namespace

DataFlowResult follow_data_addresses(const X86Decoder& decoder,
                                     const std::vector<DecodedInstruction>& code,
                                     uint64_t image_base, FlowOptions options) {
  return Analysis(decoder, code, image_base, options).run();
}

}  // namespace vdsoforge::detail
