// Running a Catch2 test case once behind each of exec's gates
// (--exec-gate fanotify, then seccomp).
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "exec_harness.h"

namespace exec_test {

// The gate of this run of the calling test case; SKIP (77) where the
// fanotify gate cannot exist.  Call once per test case.
inline std::string each_gate() {
  std::string gate = GENERATE(as<std::string>{}, "fanotify", "seccomp");
  require_gate(gate);
  return gate;
}

}  // namespace exec_test
