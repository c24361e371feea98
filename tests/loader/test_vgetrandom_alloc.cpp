// vgetrandom_alloc / vgetrandom_free: the contract of the pre-merge vgetrandom_alloc() proposal
// (docs/loader.md).
#include <sys/mman.h>

#include <cerrno>
#include <climits>

#include "loader_test_support.h"

using namespace loader_test;
using vdsoforge::VgetrandomAllocArgs;

namespace {

void* state_at(void* base, uint64_t index) {
  // The documented layout: 28 states of 144 bytes at the start of each page.
  return static_cast<char*>(base) + index / 28 * 4096 + index % 28 * 144;
}

void expect_refused(vdsoforge::GetrandomFn getrandom, VgetrandomAllocArgs args, size_t args_len,
                    int expected_errno) {
  const VgetrandomAllocArgs original = args;
  errno = 0;
  CHECK(vdsoforge::vgetrandom_alloc(getrandom, &args, args_len) == nullptr);
  CHECK(errno == expected_errno);
  // A refused call reports nothing back.
  CHECK(args.num == original.num);
  CHECK(args.size_per_each == original.size_per_each);
  CHECK(args.bytes_allocated == original.bytes_allocated);
}

}  // namespace

TEST_CASE("num comes back rounded up to whole pages of states") {
  auto image = open_built_image();
  const struct {
    uint64_t wanted, allocated, bytes;
  } cases[] = {{1, 28, 4096}, {28, 28, 4096}, {29, 56, 8192}, {100, 112, 16384}};
  for (const auto& c : cases) {
    INFO("num = " << c.wanted);
    VgetrandomAllocArgs args{0, c.wanted, 0, 0};
    void* base = vdsoforge::vgetrandom_alloc(image->getrandom(), &args, sizeof(args));
    REQUIRE(base != nullptr);
    CHECK(reinterpret_cast<uintptr_t>(base) % 4096 == 0);
    CHECK(args.num == c.allocated);
    CHECK(args.size_per_each == 144);
    CHECK(args.bytes_allocated == c.bytes);
    CHECK(args.flags == 0);
    // Every state, the last one included, is inside the mapping, within one
    // page, and usable by the image.
    for (uint64_t i = 0; i < args.num; ++i) {
      auto* state = static_cast<char*>(state_at(base, i));
      CHECK((reinterpret_cast<uintptr_t>(state) & 4095) + 144 <= 4096);
      CHECK(state + 144 <= static_cast<char*>(base) + args.bytes_allocated);
    }
    uint8_t bytes[16];
    CHECK(image->getrandom()(bytes, 16, 0, state_at(base, args.num - 1), 144) == 16);
    CHECK(vdsoforge::vgetrandom_free(base, args.bytes_allocated) == 0);
  }
}

TEST_CASE("the states are mapped the way the image asks") {
  auto image = open_built_image();
  VgetrandomAllocArgs args{0, 1, 0, 0};
  void* base = vdsoforge::vgetrandom_alloc(image->getrandom(), &args, sizeof(args));
  REQUIRE(base != nullptr);
  const auto flags = vm_flags_at(base);
  INFO("VmFlags: " << Catch::Detail::stringify(flags));
  void* probe = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, 0x08 | MAP_ANONYMOUS, -1, 0);
  if (probe != MAP_FAILED) {
    munmap(probe, 4096);
    CHECK(flags.count("dp") == 1);
  }
  CHECK(flags.count("wf") == 1);
  CHECK(flags.count("dd") == 1);
  CHECK(vdsoforge::vgetrandom_free(base, args.bytes_allocated) == 0);
}

TEST_CASE("vgetrandom_alloc refuses bad arguments with EINVAL and leaves args alone") {
  auto image = open_built_image();
  const auto getrandom = image->getrandom();
  SECTION("args_len shorter than the struct") {
    expect_refused(getrandom, {0, 1, 0, 0}, sizeof(VgetrandomAllocArgs) - 1, EINVAL);
    expect_refused(getrandom, {0, 1, 0, 0}, 0, EINVAL);
  }
  SECTION("any flag") {
    expect_refused(getrandom, {1, 1, 0, 0}, sizeof(VgetrandomAllocArgs), EINVAL);
    expect_refused(getrandom, {1ull << 63, 1, 0, 0}, sizeof(VgetrandomAllocArgs), EINVAL);
  }
  SECTION("zero states") {
    expect_refused(getrandom, {0, 0, 0, 0}, sizeof(VgetrandomAllocArgs), EINVAL);
  }
  SECTION("no getrandom") {
    expect_refused(nullptr, {0, 1, 0, 0}, sizeof(VgetrandomAllocArgs), EINVAL);
  }
  SECTION("more states than the address space holds") {
    expect_refused(getrandom, {0, ULLONG_MAX, 0, 0}, sizeof(VgetrandomAllocArgs), ENOMEM);
  }
}

TEST_CASE("vgetrandom_alloc accepts a longer args struct and rejects a null one") {
  auto image = open_built_image();
  struct {
    VgetrandomAllocArgs args;
    uint64_t future_field;
  } longer{{0, 2, 0, 0}, 0};
  void* base = vdsoforge::vgetrandom_alloc(image->getrandom(), &longer.args, sizeof(longer));
  REQUIRE(base != nullptr);
  CHECK(longer.args.num == 28);
  CHECK(vdsoforge::vgetrandom_free(base, longer.args.bytes_allocated) == 0);

  errno = 0;
  CHECK(vdsoforge::vgetrandom_alloc(image->getrandom(), nullptr, sizeof(VgetrandomAllocArgs)) ==
        nullptr);
  CHECK(errno == EFAULT);
}

TEST_CASE("vgetrandom_free unmaps, and refuses what cannot be an allocation") {
  auto image = open_built_image();
  VgetrandomAllocArgs args{0, 30, 0, 0};
  void* base = vdsoforge::vgetrandom_alloc(image->getrandom(), &args, sizeof(args));
  REQUIRE(base != nullptr);
  REQUIRE(mapping_at(base).has_value());

  errno = 0;
  CHECK(vdsoforge::vgetrandom_free(nullptr, 4096) == -1);
  CHECK(errno == EINVAL);
  errno = 0;
  CHECK(vdsoforge::vgetrandom_free(static_cast<char*>(base) + 144, 4096) == -1);
  CHECK(errno == EINVAL);
  errno = 0;
  CHECK(vdsoforge::vgetrandom_free(base, 0) == -1);
  CHECK(errno == EINVAL);
  errno = 0;
  CHECK(vdsoforge::vgetrandom_free(base, 100) == -1);
  CHECK(errno == EINVAL);
  CHECK(mapping_at(base).has_value());  // the refusals left it mapped

  CHECK(vdsoforge::vgetrandom_free(base, args.bytes_allocated) == 0);
  CHECK_FALSE(mapping_at(base).has_value());
  CHECK_FALSE(mapping_at(static_cast<char*>(base) + 4096).has_value());
}

TEST_CASE("vgetrandom_alloc serves the kernel vDSO too") {
  auto kernel = open_kernel_getrandom_or_skip();
  VgetrandomAllocArgs args{0, 3, 0, 0};
  void* base = vdsoforge::vgetrandom_alloc(kernel->getrandom(), &args, sizeof(args));
  REQUIRE(base != nullptr);
  CHECK(args.num == 28);
  uint8_t bytes[32] = {};
  CHECK(kernel->getrandom()(bytes, sizeof(bytes), 0, state_at(base, 27), 144) == 32);
  CHECK(vdsoforge::vgetrandom_free(base, args.bytes_allocated) == 0);
}
