// The altered images a consumer's verdict is checked on: every mutation the
// abi tests make (all_mutations()) and at least one image per corruption
// class a vDSO look-up can trip on (hash tables, versions, binding,
// visibility, type, section, value), each applied to __vdso_getrandom of a
// good image; and the same classes aimed at each time symbol
// (time_consumer_damages()).  The exec tests run the real consumers on each
// of them.
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
  std::string symbol;  // the one symbol it aims at; "" when it alters the whole image
};

// The unaltered image first (the baseline every consumer must use).
const std::vector<Damage>& consumer_damages();

// The unaltered image, the hash-table and version damages every look-up
// meets (once), then for each of __vdso_clock_gettime, __vdso_gettimeofday,
// __vdso_time, __vdso_getcpu and __vdso_clock_getres the damages of that
// symbol alone (its chain hash, its version's hidden bit, its entry), named
// "<symbol>: <damage>".
const std::vector<Damage>& time_consumer_damages();

}  // namespace abi_test
