// The edges of getrandom(2) as a program sees them, through the raw system
// call (no C library wrapper in between): flags, lengths, faulting buffers.
// One line per case (and first, AT_RANDOM's bytes):
//
//   case=NAME result=N errno=E bytes=HEX
//
// result is the call's return value, errno its errno (0 on success), bytes
// the first 16 bytes written (or "-").  The exec tests run it natively and
// under `vdsoforge exec --deterministic`: result and errno must agree case by
// case; bytes must repeat under one seed.  Exit 2 if a buffer cannot be set
// up.
#include <errno.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

constexpr size_t kPage = 4096;

void report(const char* name, const void* buffer, long length, unsigned long flags) {
  errno = 0;
  const long result = syscall(SYS_getrandom, buffer, length, flags);
  const int error = result < 0 ? errno : 0;
  std::printf("case=%s result=%ld errno=%d bytes=", name, result, error);
  if (result > 0 && buffer != nullptr) {
    const auto* bytes = static_cast<const uint8_t*>(buffer);
    for (long i = 0; i < result && i < 16; ++i) std::printf("%02x", bytes[i]);
  } else {
    std::printf("-");
  }
  std::printf("\n");
}

// A page near the top of the 4-level user address space (TASK_SIZE_MAX =
// 2^47 - 4096), so a call may start writable and end past user space.
void* top_page() {
  for (uintptr_t at = (uintptr_t{1} << 47) - 2 * kPage; at > (uintptr_t{1} << 47) - 512 * kPage;
       at -= kPage) {
    void* page = mmap(reinterpret_cast<void*>(at), kPage, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (page != MAP_FAILED) return page;
  }
  return nullptr;
}

}  // namespace

int main() {
  // Two pages: the first writable, the second PROT_NONE, so a call running
  // off the end of the first faults part-way.
  auto* guarded = static_cast<uint8_t*>(
      mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  const size_t big_size = 1 << 20;
  auto* big = static_cast<uint8_t*>(
      mmap(nullptr, big_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  void* top = top_page();
  if (guarded == MAP_FAILED || big == MAP_FAILED || top == nullptr ||
      mprotect(guarded + kPage, kPage, PROT_NONE) != 0) {
    std::fprintf(stderr, "getrandom_edges: cannot set up the buffers: %s\n", std::strerror(errno));
    return 2;
  }
  uint8_t small[64];

  // Not a call: the 16 bytes the kernel put on the stack for the C library's
  // own seeds (stack protector, pointer guard), AT_RANDOM.
  const auto* at_random = reinterpret_cast<const uint8_t*>(getauxval(AT_RANDOM));
  std::printf("case=at_random result=16 errno=0 bytes=");
  for (int i = 0; i < 16; ++i) std::printf("%02x", at_random[i]);
  std::printf("\n");

  report("flags_0", small, 64, 0);
  report("nonblock", small, 64, GRND_NONBLOCK);
  report("random", small, 64, GRND_RANDOM);
  report("insecure", small, 64, GRND_INSECURE);
  report("nonblock_random", small, 64, GRND_NONBLOCK | GRND_RANDOM);
  report("nonblock_insecure", small, 64, GRND_NONBLOCK | GRND_INSECURE);
  report("insecure_random", small, 64, GRND_INSECURE | GRND_RANDOM);
  report("all_three", small, 64, GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE);
  report("flag_8", small, 64, 8);
  report("flag_bit31", small, 64, 0x80000000u);
  // The kernel takes flags as a 32-bit unsigned int: bit 32 is not seen.
  report("flag_bit32", small, 64, uint64_t{1} << 32);
  report("short_7", small, 7, 0);
  report("length_0", small, 0, 0);
  report("null_length_0", nullptr, 0, 0);
  report("null_length_16", nullptr, 16, 0);
  report("bad_flag_and_null", nullptr, 16, 8);  // flags are checked first
  // Runs into the PROT_NONE page: the bytes up to it.
  report("partial_1000", guarded + kPage - 96, 1000, 0);
  // SIZE_MAX is cut to MAX_RW_COUNT before any range check, so this does
  // not wrap: the page's 4096 bytes, then the fault.
  report("length_max", guarded, -1, 0);
  report("unmapped", guarded + kPage, 16, 0);
  // Starts writable, ends beyond user space: refused before any write.
  report("past_user_space", top,
         static_cast<long>((uintptr_t{1} << 47) - reinterpret_cast<uintptr_t>(top)), 0);
  report("one_mib", big, static_cast<long>(big_size), 0);
  std::printf("case=one_mib_tail result=16 errno=0 bytes=");
  for (size_t i = big_size - 16; i < big_size; ++i) std::printf("%02x", big[i]);
  std::printf("\n");
  return 0;
}
