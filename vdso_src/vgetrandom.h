// vgetrandom: the user-space half of getrandom(2), as Linux 6.11+ defines it.
//
// This is the whole algorithm, written against an explicit data-page pointer
// so the same code runs in the image (which finds its data page below itself)
// and in a host library for unit tests.  Every branch mirrors a documented
// kernel behaviour; docs/abi.md lists them in order.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "chacha20.h"
#include "data_access.h"
#include "raw_syscall.h"
#include "vgetrandom_abi.h"

namespace vdsoforge::image {

// Copies `len` bytes and zeroes each source byte as it goes, so a served byte
// exists in exactly one place: the caller's buffer.
[[gnu::always_inline]] inline void copy_and_zero_source(uint8_t* dst, uint8_t* src, size_t len) {
  // Requests are mostly a few bytes and the batch is at most 96: plain loops
  // beat the vectorised, unrolled code the compiler would otherwise emit.
#pragma clang loop vectorize(disable) unroll(disable)
  for (; len >= sizeof(uint64_t); len -= sizeof(uint64_t)) {
    uint64_t word;
    __builtin_memcpy(&word, src, sizeof word);
    __builtin_memcpy(dst, &word, sizeof word);
    const uint64_t zero = 0;
    __builtin_memcpy(src, &zero, sizeof zero);
    dst += sizeof word;
    src += sizeof word;
  }
#pragma clang loop vectorize(disable) unroll(disable)
  for (; len; --len) {
    *dst++ = *src;
    *src++ = 0;
  }
}

[[gnu::always_inline]] inline long vgetrandom(const abi::VdsoRngData* rng, void* buffer, size_t len,
                                              unsigned flags, void* opaque_state,
                                              size_t opaque_len) {
  using abi::VgetrandomState;
  const size_t capped_len = len < abi::kMaxRwCount ? len : abi::kMaxRwCount;

  // Parameter query: tell the caller how to allocate states.
  if (opaque_len == ~0UL && !buffer && !len && !flags) [[unlikely]] {
    auto* params = static_cast<abi::VgetrandomOpaqueParams*>(opaque_state);
    params->size_of_opaque_state = sizeof(VgetrandomState);
    params->mmap_prot = abi::kProtRead | abi::kProtWrite;
    params->mmap_flags = abi::kMapDroppable | abi::kMapAnonymous;
    for (uint32_t& word : params->reserved) write_once(word, 0u);
    return 0;
  }

  // A state across a page boundary could be half wiped by the kernel.
  if (((reinterpret_cast<uintptr_t>(opaque_state) & ~abi::kPageMask) + sizeof(VgetrandomState)) >
      abi::kPageSize) [[unlikely]]
    return -abi::kEfault;

  auto* state = static_cast<VgetrandomState*>(opaque_state);
  auto* out = static_cast<uint8_t*>(buffer);
  bool have_retried = false;
  uint32_t counter[2] = {0, 0};  // per call; not reset by a retry

  // Flags the vDSO does not know are the kernel's to judge (and reject).
  if (flags & ~abi::kGrndKnownFlags) [[unlikely]]
    goto fallback;
  // A state of another size (e.g. restored by CRIU from another kernel).
  if (opaque_len != sizeof(VgetrandomState)) [[unlikely]]
    goto fallback;
  // Before the kernel RNG is seeded only the kernel knows whether to block.
  if (!read_once(rng->is_ready)) [[unlikely]]
    goto fallback;
  // Checked only now: before readiness, even len == 0 may block or fail.
  if (!len) [[unlikely]]
    return 0;
  // Re-entered from a signal handler on the state in use: leave it alone.
  if (read_once(state->in_use)) [[unlikely]]
    goto fallback;
  write_once(state->in_use, true);

  for (;;) {
    // Reading the generation here orders the key against kernel reseeds.
    const uint64_t current_generation = read_once(rng->generation);
    if (state->generation != current_generation) [[unlikely]] {
      // Generation first: if a fork lands between this store and the
      // syscall, parent and child each fetch their own fresh key, and neither
      // can end up with a shared key under a matching generation.
      write_once(state->generation, current_generation);
      compiler_barrier();
      uint8_t* key = state->batch_key + abi::kStateKeyOffset;
      if (getrandom_syscall(key, abi::kChachaKeySize, 0) != long(abi::kChachaKeySize)) {
        // The key is garbage now; make sure nothing ever trusts it.
        write_once(state->generation, uint64_t{0});
        write_once(state->in_use, false);
        goto fallback;
      }
      state->pos = abi::kBatchSize;  // batch belongs to the old key
    }

    uint8_t* cursor = out;
    size_t remaining = capped_len;
    for (;;) {
      // Serve what is left of the batch first.
      const size_t in_batch = abi::kBatchSize - state->pos;
      const size_t take = in_batch < remaining ? in_batch : remaining;
      if (take) {
        copy_and_zero_source(cursor, state->batch_key + state->pos, take);
        state->pos = static_cast<uint8_t>(state->pos + take);
        cursor += take;
        remaining -= take;
      }
      if (!remaining) break;

      // Whole blocks go straight to the caller ...
      const size_t nblocks = remaining / abi::kChachaBlockSize;
      if (nblocks) {
        chacha20_blocks(cursor, state->batch_key + abi::kStateKeyOffset, counter, nblocks);
        cursor += nblocks * abi::kChachaBlockSize;
        remaining -= nblocks * abi::kChachaBlockSize;
      }
      // ... then two more refill batch and key, erasing the old key.
      chacha20_blocks(state->batch_key, state->batch_key + abi::kStateKeyOffset, counter,
                      sizeof(state->batch_key) / abi::kChachaBlockSize);
      state->pos = 0;
    }

    compiler_barrier();
    // The data page's generation is never 0, so re-reading the state's own
    // generation also catches a fork or a reclaim that wiped the state.
    if (read_once(state->generation) == read_once(rng->generation)) [[likely]] {
      write_once(state->in_use, false);
      return static_cast<long>(capped_len);
    }
    if (have_retried) {
      write_once(state->in_use, false);
      goto fallback;
    }
    have_retried = true;
  }

fallback:
  return getrandom_syscall(buffer, len, flags);
}

}  // namespace vdsoforge::image
