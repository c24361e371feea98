#include "consumer_sightings.h"

namespace exec_test {

const char* seen_name(Seen seen) {
  switch (seen) {
    case Seen::uses:
      return "uses";
    case Seen::falls_back:
      return "falls back";
    case Seen::partly_uses:
      return "partly uses";
    case Seen::aborts:
      return "aborts";
    case Seen::not_reached:
      return "not reached";
    case Seen::never_called:
      return "looked up, never called";
    case Seen::exec_refused:
      return "exec refused";
  }
  return "?";
}

std::optional<Seen> expected_sight(vdsoforge::tools::consumers::Outcome outcome) {
  using vdsoforge::tools::consumers::Outcome;
  switch (outcome) {
    case Outcome::uses_vdso:
      return Seen::uses;
    case Outcome::syscall_fallback:
      return Seen::falls_back;
    case Outcome::exits:
    case Outcome::crashes:
    case Outcome::wrong_address:
      return Seen::aborts;
    case Outcome::unpredictable:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace exec_test
