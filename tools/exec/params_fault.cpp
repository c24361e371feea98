#include "params_fault.h"

#include <cstring>

namespace vdsoforge::exec {

namespace {

constexpr size_t kPage = 4096;
constexpr int64_t kDtSymtab = 6;
constexpr size_t kSymbolSize = 24, kSymbolValueOffset = 8;  // Elf64_Sym, st_value

// Machine code is written byte by byte; these append the pieces.
class Code {
 public:
  explicit Code(uint64_t at) : at_(at) {}
  Code& bytes(std::initializer_list<uint8_t> list) {
    code_.insert(code_.end(), list);
    return *this;
  }
  Code& u32(uint32_t value) {
    for (int i = 0; i < 4; ++i) code_.push_back(static_cast<uint8_t>(value >> (8 * i)));
    return *this;
  }
  // A rel32 to `target` for an instruction whose last 4 bytes come next.
  Code& rel32_to(uint64_t target) {
    return u32(static_cast<uint32_t>(target - (at_ + code_.size() + 4)));
  }
  size_t size() const { return code_.size(); }
  const std::vector<uint8_t>& code() const { return code_; }

 private:
  uint64_t at_;
  std::vector<uint8_t> code_;
};

// The entry routine at `at` (vDSO addresses), in front of the image's `entry`.
// Arguments (System V): rdi buffer, rsi len, edx flags, rcx opaque_state,
// r8 opaque_len.
std::vector<uint8_t> entry_routine(ParamsFault fault, uint32_t state_size, uint64_t at,
                                   uint64_t entry) {
  Code c(at);
  if (fault == ParamsFault::decline) {
    // The query (opaque_len ~0, buffer NULL, len 0, flags 0) answers
    // -ENOSYS; every other call is the getrandom system call, whose
    // arguments are already in rdi, rsi and rdx.
    //   cmp r8, -1; jne sys; test rdi, rdi; jne sys; test rsi, rsi; jne sys
    //   test edx, edx; je enosys
    //   sys: mov eax, SYS_getrandom; syscall; ret
    //   enosys: mov rax, -ENOSYS; ret
    c.bytes({0x49, 0x83, 0xf8, 0xff, 0x75, 0x0e, 0x48, 0x85, 0xff, 0x75, 0x09});
    c.bytes({0x48, 0x85, 0xf6, 0x75, 0x04, 0x85, 0xd2, 0x74, 0x08});
    c.bytes({0xb8}).u32(318).bytes({0x0f, 0x05, 0xc3});
    c.bytes({0x48, 0xc7, 0xc0}).u32(static_cast<uint32_t>(-38)).bytes({0xc3});
    return c.code();
  }
  // cmp r8, -1; jne image (+19)
  // push rcx; call entry; pop rcx        (the stack stays aligned as at entry)
  // test rax, rax; jne out (+6); mov dword [rcx], SIZE
  // out: ret
  // image: jmp entry
  c.bytes({0x49, 0x83, 0xf8, 0xff, 0x75, 0x13});
  c.bytes({0x51, 0xe8}).rel32_to(entry).bytes({0x59});
  c.bytes({0x48, 0x85, 0xc0, 0x75, 0x06, 0xc7, 0x01}).u32(state_size);
  c.bytes({0xc3});
  c.bytes({0xe9}).rel32_to(entry);
  return c.code();
}

}  // namespace

TextPatch params_patch(const FaultScenario& scenario) {
  if (scenario.params == ParamsFault::none) return {};
  const ParamsFault fault = scenario.params;
  const uint32_t size = scenario.params_state_size;
  return [fault, size](std::vector<uint8_t>& text, const ElfImage& elf, std::string& error) {
    const Symbol* getrandom = elf.lookup("__vdso_getrandom", "LINUX_2.6");
    const auto symtab = elf.dynamic_value(kDtSymtab);
    if (!getrandom || !symtab) {
      error = "the image has no __vdso_getrandom@LINUX_2.6 (or no DT_SYMTAB) to answer for";
      return false;
    }
    // vDSO addresses to offsets in the text copy (which starts at the ELF header).
    const Segment& load = elf.load_segment();
    const uint64_t bias = load.vaddr - load.offset;
    const uint64_t routine_offset = (text.size() + kPage - 1) / kPage * kPage;
    const std::vector<uint8_t> routine =
        entry_routine(fault, size, routine_offset + bias, getrandom->value);
    text.resize(routine_offset + kPage, 0xcc);  // int3 around the routine
    std::memcpy(text.data() + routine_offset, routine.data(), routine.size());
    const uint64_t new_value = routine_offset + bias;
    unsigned patched = 0;
    for (const Symbol& symbol : elf.symbols()) {
      if (symbol.index == 0 || symbol.value != getrandom->value) continue;
      const uint64_t at = *symtab - bias + symbol.index * kSymbolSize + kSymbolValueOffset;
      if (at + 8 > routine_offset) {
        error = "the image's symbol table lies outside its text";
        return false;
      }
      std::memcpy(text.data() + at, &new_value, sizeof new_value);
      ++patched;
    }
    if (patched == 0) {
      error = "no dynamic symbol names the getrandom entry point";
      return false;
    }
    return true;
  };
}

}  // namespace vdsoforge::exec
