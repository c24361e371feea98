// The ABI verdict's one entry point: everything `vdsoforge abi` decides
// about an image, with no command line and no output, so the command and the
// tests get the same answer.
//
//   checks   identity, segments, dynamic tags, versions, symbols, notes, hash
//            tables and the vDSO rules against the reference
//            (compat/compat_checks.h), then where each side keeps its data
//            (layout.*, compat/layout_checks.h)
//   layouts  each side's data layout, from its code and its note
//   consumers what glibc, Go, musl, parse_vdso.c and LLVM libc would do with
//            the image, when asked (consumers/consumer_model.h)
//
// An unreadable input, or a --reference-profile the reference's own code
// contradicts, is a Verdict with `failure` set (exit status 2).
#pragma once

#include "verdict/verdict.h"

namespace vdsoforge::tools::verdict {

Verdict evaluate(const Input& image, const Input& reference, const Options& options);

}  // namespace vdsoforge::tools::verdict
