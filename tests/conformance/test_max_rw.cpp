// Requests above MAX_RW_COUNT are served up to 0x7ffff000 bytes, exactly.
//
// The buffer is a reserved, lazily committed mapping (MAP_NORESERVE) a page
// larger than the cap; only the pages written are ever committed.  The
// kernel and the image each fill it once from copies of the same state.
#include <sys/mman.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "targets.h"

using namespace conformance;

namespace {

constexpr size_t kCap = 0x7ffff000;
constexpr size_t kAsked = 0x80000000;  // INT_MAX + 1
constexpr size_t kMapped = kAsked + 4096;

struct BigCall {
  long ret;
  std::vector<std::array<uint8_t, 64>> samples;  // at fixed offsets
  uint8_t after_cap;                             // the byte at offset kCap
  StateBytes state;
};

// Offsets sampled: start, one every 256 MiB, and the last 64 bytes served.
std::vector<size_t> sample_offsets() {
  std::vector<size_t> offsets;
  for (size_t off = 0; off < kCap; off += size_t{256} << 20) offsets.push_back(off);
  offsets.push_back(kCap - 64);
  return offsets;
}

BigCall fill_once(vdsoforge::GetrandomFn fn, uint8_t* buffer, const StateBytes& start) {
  buffer[kCap] = kSentinel;
  StateSlot slot;
  std::memcpy(slot.bytes, start.data(), kStateBytes);
  BigCall call;
  call.ret = fn(buffer, kAsked, 0, slot.bytes, kStateBytes);
  for (size_t off : sample_offsets()) {
    std::array<uint8_t, 64> sample;
    std::memcpy(sample.data(), buffer + off, sample.size());
    call.samples.push_back(sample);
  }
  call.after_cap = buffer[kCap];
  std::memcpy(call.state.data(), slot.bytes, kStateBytes);
  return call;
}

bool all_zero(const std::array<uint8_t, 64>& a) {
  for (uint8_t b : a)
    if (b) return false;
  return true;
}

}  // namespace

TEST_CASE("requests above MAX_RW_COUNT return 0x7ffff000 and fill exactly that much") {
  Targets& t = targets();
  void* mapping = mmap(nullptr, kMapped, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  REQUIRE(mapping != MAP_FAILED);
  // Huge pages where available: fewer faults.  The second fill reuses the
  // pages the first committed (every byte is rewritten, the sentinel reset).
  madvise(mapping, kMapped, MADV_HUGEPAGE);
  auto* buffer = static_cast<uint8_t*>(mapping);

  BigCall kernel, image;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const StateBytes start = kernel_seeded_state(7);
    t.page->set_generation(state_generation(start));
    const auto began = std::chrono::steady_clock::now();
    kernel = fill_once(t.kernel_getrandom, buffer, start);
    image = fill_once(t.image_getrandom, buffer, start);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    std::printf("[conformance] max-rw: asked 0x%zx twice (kernel, image) in %.1f s\n", kAsked,
                seconds);
    if (state_generation(kernel.state) == state_generation(start)) break;  // no kernel reseed
  }
  munmap(mapping, kMapped);

  CHECK(kernel.ret == static_cast<long>(kCap));
  CHECK(image.ret == static_cast<long>(kCap));
  CHECK(kernel.after_cap == kSentinel);
  CHECK(image.after_cap == kSentinel);
  for (size_t i = 0; i < image.samples.size(); ++i) {
    INFO("sample " << i << " at offset 0x" << std::hex << sample_offsets()[i]);
    CHECK_FALSE(all_zero(image.samples[i]));
    CHECK(image.samples[i] == kernel.samples[i]);
  }
  // The state's refill comes from the block counter after all 0x7ffff000
  // bytes, so equal states mean the same number of blocks was generated.
  CHECK(image.state == kernel.state);
  std::printf(
      "[conformance] max-rw: both returned 0x%lx, byte 0x%zx untouched, %zu samples and "
      "the final state equal\n",
      image.ret, kCap, image.samples.size());
}
