// The altered images a consumer's verdict is checked on: every mutation the
// abi tests make (all_mutations()) and at least one image per corruption
// class a vDSO look-up can trip on (hash tables, versions, binding,
// visibility, type, section, value), each applied to __vdso_getrandom of a
// good image.  The exec tests run the real consumers on each of them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "image_mutations.h"

namespace abi_test {

struct Damage {
  std::string name;       // what a reader of the matrix sees
  std::string file_name;  // unique, safe as a file name
  std::function<void(test_support::Bytes&)> apply;
};

// The unaltered image first (the baseline every consumer must use).
const std::vector<Damage>& consumer_damages();

}  // namespace abi_test
