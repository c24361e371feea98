// States: allocated as the image asks, page-contained, pooled, thread safe.
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "loader_test_support.h"

using namespace loader_test;
using vdsoforge::StateAllocator;
using vdsoforge::StateBacking;

namespace {

std::unique_ptr<StateAllocator> allocator_for(vdsoforge::GetrandomFn getrandom) {
  vdsoforge::Error err;
  auto allocator = StateAllocator::create(getrandom, err);
  INFO(err.message);
  REQUIRE(allocator != nullptr);
  return allocator;
}

bool kernel_has_map_droppable() {
  void* probe = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, 0x08 | MAP_ANONYMOUS, -1, 0);
  if (probe == MAP_FAILED) return false;
  munmap(probe, 4096);
  return true;
}

// A getrandom whose parameter query asks for flags the kernel always rejects
// with EINVAL (MAP_DROPPABLE combined with MAP_SHARED is no valid mapping
// type), standing in for a kernel without MAP_DROPPABLE.
long getrandom_with_rejected_flags(void*, size_t, unsigned, void* opaque, size_t opaque_len) {
  if (opaque_len != ~0UL) return -ENOSYS;
  vdsoforge::abi::VgetrandomOpaqueParams params{};
  params.size_of_opaque_state = 144;
  params.mmap_prot = PROT_READ | PROT_WRITE;
  params.mmap_flags = 0x08 | MAP_SHARED | MAP_ANONYMOUS;
  std::memcpy(opaque, &params, sizeof(params));
  return 0;
}

long getrandom_refusing_query(void*, size_t, unsigned, void*, size_t) { return -EINVAL; }

long getrandom_with_huge_state(void*, size_t, unsigned, void* opaque, size_t) {
  vdsoforge::abi::VgetrandomOpaqueParams params{};
  params.size_of_opaque_state = 8192;
  params.mmap_prot = PROT_READ | PROT_WRITE;
  params.mmap_flags = MAP_PRIVATE | MAP_ANONYMOUS;
  std::memcpy(opaque, &params, sizeof(params));
  return 0;
}

}  // namespace

TEST_CASE("states use the image's parameters and MAP_DROPPABLE where the kernel has it") {
  auto image = open_built_image();
  auto states = allocator_for(image->getrandom());
  CHECK(states->params().size_of_opaque_state == 144);
  CHECK(states->params().mmap_prot == (PROT_READ | PROT_WRITE));
  CHECK(states->params().mmap_flags == (0x08 | MAP_ANONYMOUS));

  vdsoforge::Error err;
  void* state = states->allocate(err);
  REQUIRE(state != nullptr);
  const auto flags = vm_flags_at(state);
  INFO("VmFlags of the state page: " << Catch::Detail::stringify(flags));
  if (kernel_has_map_droppable()) {
    CHECK(states->backing() == StateBacking::droppable);
    // What this kernel shows for MAP_DROPPABLE memory: wiped on fork, not
    // dumped, not reserved, and droppable.
    for (const char* flag : {"dp", "wf", "dd", "nr"}) CHECK(flags.count(flag) == 1);
  } else {
    CHECK(states->backing() == StateBacking::wipe_on_fork);
    CHECK(flags.count("wf") == 1);
    CHECK(flags.count("dd") == 1);
  }
  CHECK(vdsoforge::backing_name(states->backing()).size() > 0);
  states->release(state);
}

TEST_CASE("where MAP_DROPPABLE is refused, states are wipe-on-fork and not dumped") {
  auto states = allocator_for(&getrandom_with_rejected_flags);
  CHECK(states->backing() == StateBacking::wipe_on_fork);
  CHECK(vdsoforge::backing_name(states->backing()) == "MADV_WIPEONFORK+MADV_DONTDUMP");
  vdsoforge::Error err;
  void* state = states->allocate(err);
  REQUIRE(state != nullptr);
  const auto flags = vm_flags_at(state);
  INFO("VmFlags: " << Catch::Detail::stringify(flags));
  CHECK(flags.count("wf") == 1);
  CHECK(flags.count("dd") == 1);
  CHECK(flags.count("dp") == 0);
  CHECK(mapping_at(state)->perms == "rw-p");
  states->release(state);
}

TEST_CASE("no state straddles a page, and every state works") {
  auto image = open_built_image();
  auto states = allocator_for(image->getrandom());
  std::vector<void*> handed_out;
  vdsoforge::Error err;
  for (int i = 0; i < 100; ++i) {
    void* state = states->allocate(err);
    REQUIRE(state != nullptr);
    const auto address = reinterpret_cast<uintptr_t>(state);
    CHECK((address & 4095) + 144 <= 4096);
    handed_out.push_back(state);
  }
  std::sort(handed_out.begin(), handed_out.end());
  CHECK(std::adjacent_find(handed_out.begin(), handed_out.end()) == handed_out.end());
  for (size_t i = 1; i < handed_out.size(); ++i)
    CHECK(static_cast<char*>(handed_out[i]) - static_cast<char*>(handed_out[i - 1]) >= 144);
  // 100 states need four pages of 28.
  CHECK(states->capacity() == 4 * 28);
  CHECK(states->in_use() == 100);
  uint8_t bytes[16];
  for (void* state : handed_out)
    CHECK(image->getrandom()(bytes, sizeof(bytes), 0, state, 144) == 16);
  for (void* state : handed_out) states->release(state);
  CHECK(states->in_use() == 0);
}

TEST_CASE("released states are reused, wiped") {
  auto image = open_built_image();
  auto states = allocator_for(image->getrandom());
  vdsoforge::Error err;
  void* state = states->allocate(err);
  REQUIRE(state != nullptr);
  uint8_t bytes[16];
  REQUIRE(image->getrandom()(bytes, sizeof(bytes), 0, state, 144) == 16);
  states->release(state);
  void* again = states->allocate(err);
  CHECK(again == state);
  const std::vector<uint8_t> contents(static_cast<uint8_t*>(again),
                                      static_cast<uint8_t*>(again) + 144);
  CHECK(all_zero(contents));
  CHECK(states->capacity() == 28);
  states->release(again);
}

TEST_CASE("the allocator is safe to share between threads") {
  auto image = open_built_image();
  auto states = allocator_for(image->getrandom());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      vdsoforge::Error err;
      for (int round = 0; round < 500; ++round) {
        auto* state = static_cast<uint8_t*>(states->allocate(err));
        if (state == nullptr) {
          ++failures;
          return;
        }
        // A state given to two threads at once would see the other's mark.
        std::memset(state, t + 1, 144);
        for (int i = 0; i < 144; ++i)
          if (state[i] != t + 1) ++failures;
        states->release(state);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(states->in_use() == 0);
  CHECK(states->capacity() <= 28);
}

TEST_CASE("a getrandom without a usable parameter query gets no allocator") {
  vdsoforge::Error err;
  CHECK(StateAllocator::create(nullptr, err) == nullptr);
  CHECK(err.code == vdsoforge::LoaderErrc::not_supported);
  err = {};
  CHECK(StateAllocator::create(&getrandom_refusing_query, err) == nullptr);
  CHECK(err.code == vdsoforge::LoaderErrc::not_supported);
  CHECK(err.message.find("-22") != std::string::npos);
  err = {};
  CHECK(StateAllocator::create(&getrandom_with_huge_state, err) == nullptr);
  CHECK(err.code == vdsoforge::LoaderErrc::invalid_argument);
  CHECK(err.message.find("8192") != std::string::npos);
}

TEST_CASE("the kernel vDSO's states come from the same allocator") {
  auto kernel = open_kernel_getrandom_or_skip();
  auto states = allocator_for(kernel->getrandom());
  CHECK(states->params().size_of_opaque_state == 144);
  vdsoforge::Error err;
  void* state = states->allocate(err);
  REQUIRE(state != nullptr);
  uint8_t bytes[32] = {};
  CHECK(kernel->getrandom()(bytes, sizeof(bytes), 0, state, 144) == 32);
  states->release(state);
}
