// The image's vgetrandom algorithm compiled for the host (the same freestanding
// sources), driven against a data page owned by the test.  libsodium's
// ChaCha20 predicts every byte the fast path must produce.
#include <sodium.h>
#include <sys/random.h>

#include <array>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "host_entry.h"
#include "vgetrandom_abi.h"

namespace abi = vdsoforge::abi;

namespace {

constexpr size_t kStateSize = sizeof(abi::VgetrandomState);

// A page of memory so tests can place states anywhere in it.
struct Page {
  Page() : bytes(static_cast<uint8_t*>(std::aligned_alloc(abi::kPageSize, abi::kPageSize))) {
    REQUIRE(bytes != nullptr);
    std::memset(bytes, 0, abi::kPageSize);
  }
  ~Page() { std::free(bytes); }
  Page(const Page&) = delete;
  Page& operator=(const Page&) = delete;
  abi::VgetrandomState* state_at(size_t offset) {
    return reinterpret_cast<abi::VgetrandomState*>(bytes + offset);
  }
  uint8_t* bytes;
};

struct Fixture {
  abi::VdsoRngData rng{0x1234, 1};
  Page page;
  abi::VgetrandomState* state = page.state_at(0);

  long call(void* buf, size_t len, unsigned flags = 0, size_t opaque_len = kStateSize) {
    return vdsoforge_host_vgetrandom(&rng, buf, len, flags, state, opaque_len);
  }
  std::vector<uint8_t> state_bytes() const {
    const auto* p = reinterpret_cast<const uint8_t*>(state);
    return {p, p + kStateSize};
  }
};

// What the fast path must do to `s` for a request of `len` bytes when no
// reseed is due: serve the batch, whole blocks straight out, refill two
// blocks over batch+key, repeat.  Returns the bytes; updates `s`.
std::vector<uint8_t> predict(abi::VgetrandomState& s, size_t len) {
  REQUIRE(sodium_init() >= 0);
  std::vector<uint8_t> out;
  uint64_t counter = 0;
  const std::array<uint8_t, 8> nonce{};
  auto keystream = [&](size_t blocks) {
    std::vector<uint8_t> zeros(blocks * 64, 0), ks(blocks * 64);
    crypto_stream_chacha20_xor_ic(ks.data(), zeros.data(), zeros.size(), nonce.data(), counter,
                                  s.batch_key + abi::kStateKeyOffset);
    counter += blocks;
    return ks;
  };
  while (true) {
    const size_t take = std::min<size_t>(abi::kBatchSize - s.pos, len - out.size());
    for (size_t i = 0; i < take; ++i) {
      out.push_back(s.batch_key[s.pos + i]);
      s.batch_key[s.pos + i] = 0;
    }
    s.pos = static_cast<uint8_t>(s.pos + take);
    if (out.size() == len) return out;
    const size_t blocks = (len - out.size()) / 64;
    if (blocks) {
      const auto direct = keystream(blocks);
      out.insert(out.end(), direct.begin(), direct.end());
    }
    const auto refill = keystream(2);
    std::memcpy(s.batch_key, refill.data(), refill.size());
    s.pos = 0;
  }
}

void fill(void* p, size_t n, uint8_t value) { std::memset(p, value, n); }

}  // namespace

TEST_CASE("parameter query reports the kernel's allocation parameters", "[host][params]") {
  abi::VdsoRngData rng{1, 1};
  abi::VgetrandomOpaqueParams params;
  fill(&params, sizeof params, 0xff);
  CHECK(vdsoforge_host_vgetrandom(&rng, nullptr, 0, 0, &params, ~0UL) == 0);
  CHECK(params.size_of_opaque_state == 144);
  CHECK(params.mmap_prot == 3);
  CHECK(params.mmap_flags == (0x08u | 0x20u));
  for (uint32_t word : params.reserved) CHECK(word == 0);
}

TEST_CASE("a state straddling a page boundary is refused with -EFAULT", "[host][efault]") {
  Fixture f;
  uint8_t buf[16];
  f.state = f.page.state_at(abi::kPageSize - kStateSize + 1);
  CHECK(f.call(buf, sizeof buf) == -EFAULT);
  f.state = f.page.state_at(abi::kPageSize - kStateSize);  // ends exactly at the boundary
  CHECK(f.call(buf, sizeof buf) == long(sizeof buf));
}

TEST_CASE("fallbacks go to the syscall and leave the state untouched", "[host][fallback]") {
  Fixture f;
  uint8_t buf[32];
  REQUIRE(f.call(buf, sizeof buf) == long(sizeof buf));  // seed the state
  const auto before = f.state_bytes();

  SECTION("an unknown flag bit makes the syscall fail with EINVAL") {
    CHECK(f.call(buf, sizeof buf, 0x8) == -EINVAL);
  }
  SECTION("a wrong opaque_len is served by the syscall") {
    CHECK(f.call(buf, sizeof buf, 0, kStateSize - 1) == long(sizeof buf));
    CHECK(f.call(buf, sizeof buf, 0, kStateSize + 1) == long(sizeof buf));
  }
  SECTION("an RNG that is not ready is the syscall's business, even for len 0") {
    f.rng.is_ready = 0;
    CHECK(f.call(buf, sizeof buf) == long(sizeof buf));
    CHECK(f.call(nullptr, 0) == 0);
  }
  SECTION("a state already in use (signal re-entry) is served by the syscall") {
    f.state->in_use = true;
    const auto in_use_before = f.state_bytes();
    CHECK(f.call(buf, sizeof buf) == long(sizeof buf));
    CHECK(f.state_bytes() == in_use_before);
    return;
  }
  SECTION("len 0 with the RNG ready returns 0") { CHECK(f.call(buf, 0) == 0); }
  CHECK(f.state_bytes() == before);
}

TEST_CASE("a fresh state reseeds: generation first, then a new key", "[host][reseed]") {
  Fixture f;
  uint8_t buf[10];
  REQUIRE(f.state->generation == 0);
  CHECK(f.call(buf, sizeof buf) == long(sizeof buf));
  CHECK(f.state->generation == f.rng.generation);
  CHECK(f.state->pos == sizeof buf);  // reseed empties the batch, one refill, 10 served
  CHECK_FALSE(f.state->in_use);
  for (size_t i = 0; i < sizeof buf; ++i) CHECK(f.state->batch_key[i] == 0);
}

TEST_CASE("the fast path equals the ChaCha20 prediction byte for byte", "[host][bytes]") {
  Fixture f;
  uint8_t seed_buf[1];
  REQUIRE(f.call(seed_buf, 1) == 1);

  std::vector<size_t> lengths;
  for (size_t len = 1; len <= 300; ++len) lengths.push_back(len);
  for (size_t len : {511u, 512u, 513u, 4096u + 13u, 65536u, 100000u}) lengths.push_back(len);

  for (size_t len : lengths) {
    abi::VgetrandomState expected_state;
    std::memcpy(&expected_state, f.state, kStateSize);
    const auto expected = predict(expected_state, len);

    std::vector<uint8_t> buf(len + 1, 0x5c);
    INFO("len = " << len << ", pos before = " << int(f.state->pos));
    REQUIRE(f.call(buf.data(), len) == long(len));
    REQUIRE(std::equal(expected.begin(), expected.end(), buf.begin()));
    REQUIRE(buf[len] == 0x5c);  // nothing past the buffer
    REQUIRE(std::memcmp(&expected_state, f.state, kStateSize) == 0);
  }
}

TEST_CASE("a generation change between calls reseeds the key", "[host][reseed]") {
  Fixture f;
  uint8_t buf[64];
  REQUIRE(f.call(buf, 1) == 1);
  abi::VgetrandomState old_state;
  std::memcpy(&old_state, f.state, kStateSize);
  const auto old_prediction = predict(old_state, sizeof buf);

  f.rng.generation += 1;
  REQUIRE(f.call(buf, sizeof buf) == long(sizeof buf));
  CHECK(f.state->generation == f.rng.generation);
  CHECK_FALSE(std::equal(old_prediction.begin(), old_prediction.end(), buf));
}

TEST_CASE("a wiped state (dropped memory) reseeds transparently", "[host][reseed]") {
  Fixture f;
  uint8_t buf[48];
  REQUIRE(f.call(buf, sizeof buf) == long(sizeof buf));
  std::memset(f.state, 0, kStateSize);
  CHECK(f.call(buf, sizeof buf) == long(sizeof buf));
  CHECK(f.state->generation == f.rng.generation);
  CHECK(f.state->pos == sizeof buf);
}
