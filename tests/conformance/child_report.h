// What a forked child hands back to the test: counters and the first failure.
#pragma once

#include <cstdio>
#include <string>

namespace conformance {

struct ChildReport {
  long counts[8] = {};
  char failure[2048] = {};

  bool failed() const { return failure[0] != '\0'; }
  // Keeps the first failure: later ones are usually consequences of it.
  void fail(const std::string& what) {
    if (!failed()) std::snprintf(failure, sizeof failure, "%s", what.c_str());
  }
  void check(bool ok, const std::string& what) {
    if (!ok) fail(what);
  }
};

}  // namespace conformance
