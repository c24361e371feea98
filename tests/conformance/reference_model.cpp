#include "reference_model.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <span>

#include "reference_chacha20.h"

namespace conformance {
namespace abi = vdsoforge::abi;

namespace {

constexpr size_t kStateSize = sizeof(VgetrandomState);
constexpr size_t kBatchBytes = 96;
constexpr size_t kKeyOffset = 96;
constexpr size_t kGenerationOffset = 128;
constexpr size_t kPosOffset = 136;
constexpr size_t kInUseOffset = 137;
constexpr size_t kMaxServed = 0x7ffff000;

// The model addresses the state by the offsets the facts document rather
// than through the struct, so a wrong offset in the shared header would show
// up as a mismatch against the kernel instead of being silently agreed on.
struct RawState {
  uint8_t* bytes;

  uint64_t generation() const {
    uint64_t g;
    std::memcpy(&g, bytes + kGenerationOffset, sizeof g);
    return g;
  }
  void set_generation(uint64_t g) { std::memcpy(bytes + kGenerationOffset, &g, sizeof g); }
  size_t pos() const { return bytes[kPosOffset]; }
  void set_pos(size_t p) { bytes[kPosOffset] = static_cast<uint8_t>(p); }
  bool in_use() const { return bytes[kInUseOffset] != 0; }
  void set_in_use(bool v) { bytes[kInUseOffset] = v ? 1 : 0; }
  uint8_t* key() { return bytes + kKeyOffset; }
};

uint64_t page_generation(const VdsoRngData& rng) {
  // Another thread or a hook may change the page while the model runs.
  return __atomic_load_n(&rng.generation, __ATOMIC_RELAXED);
}

// One pass over the request with the current key.  `counter` persists across
// passes of the same call, as the kernel's does.
void serve(RawState state, uint8_t* out, size_t want, uint64_t& counter) {
  size_t done = 0;
  for (;;) {
    const size_t from_batch = std::min(kBatchBytes - state.pos(), want - done);
    uint8_t* batch_bytes = state.bytes + state.pos();
    std::memcpy(out + done, batch_bytes, from_batch);
    std::memset(batch_bytes, 0, from_batch);  // a served byte must not stay behind
    state.set_pos(state.pos() + from_batch);
    done += from_batch;
    if (done == want) return;

    std::array<uint8_t, 32> key;
    std::memcpy(key.data(), state.key(), key.size());
    const size_t direct_blocks = (want - done) / kReferenceBlockSize;
    reference_chacha20_blocks(std::span(out + done, direct_blocks * kReferenceBlockSize), key,
                              counter, direct_blocks);
    done += direct_blocks * kReferenceBlockSize;

    // Refill: two blocks cover batch and key alike, so the old key is gone.
    std::array<uint8_t, 128> refill;
    reference_chacha20_blocks(refill, key, counter, 2);
    std::memcpy(state.bytes, refill.data(), refill.size());
    state.set_pos(0);
  }
}

}  // namespace

long raw_getrandom_syscall(void* buffer, size_t len, unsigned flags) {
  const long r = ::syscall(SYS_getrandom, buffer, len, flags);
  return r < 0 ? -errno : r;
}

long reference_vgetrandom(const VdsoRngData& rng, void* buffer, size_t len, unsigned flags,
                          void* opaque_state, size_t opaque_len, const ModelHooks& hooks) {
  auto sys = [&](void* b, size_t l, unsigned f) {
    return hooks.syscall ? hooks.syscall(b, l, f) : raw_getrandom_syscall(b, l, f);
  };

  if (buffer == nullptr && len == 0 && flags == 0 && opaque_len == ~size_t{0}) {
    std::array<uint32_t, 16> params{};
    params[0] = kStateSize;
    params[1] = abi::kProtRead | abi::kProtWrite;
    params[2] = abi::kMapDroppable | abi::kMapAnonymous;
    std::memcpy(opaque_state, params.data(), sizeof params);
    return 0;
  }
  if (reinterpret_cast<uintptr_t>(opaque_state) % 4096 + kStateSize > 4096) return -EFAULT;
  if ((flags & ~7u) != 0 || opaque_len != kStateSize ||
      __atomic_load_n(&rng.is_ready, __ATOMIC_RELAXED) == 0)
    return sys(buffer, len, flags);
  if (len == 0) return 0;

  RawState state{static_cast<uint8_t*>(opaque_state)};
  if (state.in_use()) return sys(buffer, len, flags);
  state.set_in_use(true);

  const size_t want = std::min(len, kMaxServed);
  uint64_t counter = 0;
  for (int pass = 0; pass < 2; ++pass) {
    const uint64_t generation = page_generation(rng);
    if (state.generation() != generation) {
      state.set_generation(generation);
      if (sys(state.key(), 32, 0) != 32) {
        state.set_generation(0);
        state.set_in_use(false);
        return sys(buffer, len, flags);
      }
      state.set_pos(kBatchBytes);
    }
    serve(state, static_cast<uint8_t*>(buffer), want, counter);
    if (hooks.before_recheck) hooks.before_recheck(pass);
    if (state.generation() == page_generation(rng)) {
      state.set_in_use(false);
      return static_cast<long>(want);
    }
  }
  state.set_in_use(false);
  return sys(buffer, len, flags);
}

}  // namespace conformance
