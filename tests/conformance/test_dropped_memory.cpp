// Dropped memory: MAP_DROPPABLE pages may be reclaimed at any time and read
// back as zeros; the next call must reseed transparently.
#include <sys/mman.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>

#include "model_checked.h"
#include "reference_model.h"
#include "state_pool.h"
#include "targets.h"

using namespace conformance;

namespace {

enum class Drop { memset_zero, madvise_dontneed };

struct DropTally {
  int drops = 0, reseeded = 0, differs_from_old_key = 0;
};

}  // namespace

TEST_CASE("a state zeroed behind the image's back reseeds transparently") {
  Targets& t = targets();
  require_model_matches_kernel(0xd20bbed);
  t.page->set_generation(31337);
  for (auto [name, fn] : {std::pair{"kernel", t.kernel_getrandom}, {"image", t.image_getrandom}}) {
    auto pool = droppable_pool(fn);
    uint8_t* state = allocate_state(*pool);
    DropTally tally;
    for (int round = 0; round < 100; ++round) {
      uint8_t out[64];
      REQUIRE(fn(out, 40, 0, state, kStateBytes) == 40);
      StateBytes before;
      std::memcpy(before.data(), state, kStateBytes);
      // What the old state would give next, per the model, had it survived.
      VdsoRngData page{state_generation(before), 1};
      const CallOutcome old_key =
          run_call([&](void* b, size_t l, unsigned f, void* s,
                       size_t o) { return reference_vgetrandom(page, b, l, f, s, o); },
                   before, 64, 0);

      const Drop how = round % 2 ? Drop::madvise_dontneed : Drop::memset_zero;
      if (how == Drop::memset_zero) {
        std::memset(state, 0, kStateBytes);
      } else {
        // What reclaim does: the page goes, and reads back as zeros.
        auto* page_start =
            reinterpret_cast<uint8_t*>(reinterpret_cast<uintptr_t>(state) & ~uintptr_t{4095});
        REQUIRE(madvise(page_start, 4096, MADV_DONTNEED) == 0);
        bool zero = true;
        for (size_t i = 0; i < kStateBytes; ++i) zero &= state[i] == 0;
        REQUIRE(zero);
      }
      ++tally.drops;
      REQUIRE(fn(out, 64, 0, state, kStateBytes) == 64);
      StateBytes after;
      std::memcpy(after.data(), state, kStateBytes);
      // The kernel's generation only grows; the image's page stays put.
      if (state_generation(after) != 0 && state_generation(after) >= state_generation(before) &&
          !state_in_use(after))
        ++tally.reseeded;
      if (std::memcmp(out, old_key.output.data(), 64) != 0) ++tally.differs_from_old_key;
    }
    pool->release(state);
    INFO(name);
    CHECK(tally.reseeded == tally.drops);
    CHECK(tally.differs_from_old_key == tally.drops);
    std::printf(
        "[conformance] dropped-memory (%s): %d drops (memset and MADV_DONTNEED), %d "
        "transparent reseeds, none served the old key's bytes\n",
        name, tally.drops, tally.reseeded);
  }
}
