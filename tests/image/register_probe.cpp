#include "register_probe.h"

#include <cpuid.h>

// The probes: rdi = Call*.  rbx (callee-saved) keeps the Call across the
// callee, which may clobber every vector register (SysV).
#define VF_PROBE_ARGS      \
  "mov 8(%rbx), %rdi\n\t"  \
  "mov 16(%rbx), %rsi\n\t" \
  "mov 24(%rbx), %rdx\n\t" \
  "mov 32(%rbx), %rcx\n\t" \
  "mov 40(%rbx), %r8\n\t"

#define VF_PROBE(name, LOAD_ALL, STORE_ALL)                    \
  extern "C" [[gnu::naked]] void name(register_probe::Call*) { \
    asm("push %rbx\n\t"                                        \
        "mov %rdi, %rbx\n\t"                                   \
        "mov 48(%rbx), %rax\n\t" LOAD_ALL                      \
        "testq $1, 64(%rbx)\n\t"                               \
        "jz 1f\n\t"                                            \
        "vzeroupper\n\t"                                       \
        "1:\n\t" VF_PROBE_ARGS                                 \
        "call *0(%rbx)\n\t"                                    \
        "mov %rax, 80(%rbx)\n\t"                               \
        "mov 56(%rbx), %rax\n\t" STORE_ALL                     \
        "movq $0, 72(%rbx)\n\t"                                \
        "testq $2, 64(%rbx)\n\t"                               \
        "jz 2f\n\t"                                            \
        "mov $1, %ecx\n\t"                                     \
        "xgetbv\n\t"                                           \
        "mov %eax, 72(%rbx)\n\t"                               \
        "mov %edx, 76(%rbx)\n\t"                               \
        "2:\n\t"                                               \
        "pop %rbx\n\t"                                         \
        "ret\n\t");                                            \
  }

#define VF_REGS16 "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15"
#define VF_REGS32 VF_REGS16 ",16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31"

VF_PROBE(vf_probe_zmm, ".irp i," VF_REGS32 "\n\tvmovdqu64 \\i*64(%rax), %zmm\\i\n\t.endr\n\t",
         ".irp i," VF_REGS32 "\n\tvmovdqu64 %zmm\\i, \\i*64(%rax)\n\t.endr\n\t")
VF_PROBE(vf_probe_ymm, ".irp i," VF_REGS16 "\n\tvmovdqu \\i*64(%rax), %ymm\\i\n\t.endr\n\t",
         ".irp i," VF_REGS16 "\n\tvmovdqu %ymm\\i, \\i*64(%rax)\n\t.endr\n\t")
VF_PROBE(vf_probe_xmm, ".irp i," VF_REGS16 "\n\tmovdqu \\i*64(%rax), %xmm\\i\n\t.endr\n\t",
         ".irp i," VF_REGS16 "\n\tmovdqu %xmm\\i, \\i*64(%rax)\n\t.endr\n\t")

namespace register_probe {

static_assert(offsetof(Call, fn) == 0 && offsetof(Call, args) == 8 &&
              offsetof(Call, canary) == 48 && offsetof(Call, dump) == 56 &&
              offsetof(Call, flags) == 64 && offsetof(Call, xinuse) == 72 &&
              offsetof(Call, ret) == 80);

Width widest() {
  if (__builtin_cpu_supports("avx512f")) return Width::zmm;
  if (__builtin_cpu_supports("avx")) return Width::ymm;
  return Width::xmm;
}

bool has_xinuse() {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid_count(0xd, 1, &eax, &ebx, &ecx, &edx) && (eax & 4) != 0;
}

int register_count(Width width) { return width == Width::zmm ? 32 : 16; }
int register_bytes(Width width) { return width == Width::zmm ? 64 : width == Width::ymm ? 32 : 16; }

void call(Width width, Call& c) {
  switch (width) {
    case Width::zmm:
      vf_probe_zmm(&c);
      break;
    case Width::ymm:
      vf_probe_ymm(&c);
      break;
    case Width::xmm:
      vf_probe_xmm(&c);
      break;
  }
}

}  // namespace register_probe
