// An independent model of vDSO getrandom (docs/abi.md), the suite's specification
// wherever the kernel's own vDSO cannot be driven (its data page is not ours).
//
// It is written from the documented behaviour, not from the image's code: it
// works on the raw state bytes with plain loops and the portable ChaCha20 in
// reference_chacha20.h.  Before any test uses it as the spec, the model is
// checked byte for byte against the running kernel's vDSO (test_model.cpp).
//
// Two hooks make the model drivable where the real thing is not:
//   syscall        - stands in for getrandom(2); tests supply key bytes,
//                    simulate failures and count calls.
//   before_recheck - runs after a pass has served the whole request and before
//                    the generation is compared again, so a test can change
//                    the generation (or wipe the state) "during" a call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "vgetrandom_abi.h"

namespace conformance {

using vdsoforge::abi::VdsoRngData;
using vdsoforge::abi::VgetrandomState;

struct ModelHooks {
  // (buffer, len, flags) -> what getrandom(2) would return.  Empty: the real
  // syscall.
  std::function<long(void*, size_t, unsigned)> syscall;
  // Called with the pass number (0 for the first, 1 for the retry).
  std::function<void(int pass)> before_recheck;
};

// Same contract as __vdso_getrandom, with the data page passed explicitly.
// `rng` is not const: a hook may change it through its own pointer, and the
// model re-reads it exactly where the real implementations do.
long reference_vgetrandom(const VdsoRngData& rng, void* buffer, size_t len, unsigned flags,
                          void* opaque_state, size_t opaque_len, const ModelHooks& hooks = {});

// The real getrandom(2), raw (no libc wrapper semantics): byte count or -errno.
long raw_getrandom_syscall(void* buffer, size_t len, unsigned flags);

}  // namespace conformance
