#include "verdict/verdict.h"

namespace vdsoforge::tools::verdict {

std::string_view compatibility_name(Compatibility compatibility) {
  switch (compatibility) {
    case Compatibility::compatible:
      return "compatible";
    case Compatibility::incompatible:
      return "incompatible";
    case Compatibility::undetermined:
      return "undetermined";
  }
  return "undetermined";
}

Compatibility Verdict::compatibility() const {
  if (failed() > 0) return Compatibility::incompatible;
  return undetermined() > 0 ? Compatibility::undetermined : Compatibility::compatible;
}

int exit_status(const Verdict& verdict) {
  if (verdict.failure) return 2;
  if (!verdict.required_consumers.empty()) return verdict.unmet_consumers.empty() ? 0 : 1;
  switch (verdict.compatibility()) {
    case Compatibility::compatible:
      return 0;
    case Compatibility::incompatible:
      return 1;
    case Compatibility::undetermined:
      return 3;
  }
  return 1;
}

}  // namespace vdsoforge::tools::verdict
