// Every way to get random bytes on this machine, measured side by side in one
// run: the getrandom syscall, glibc's getrandom(), the kernel's vDSO, the
// project image with each ChaCha20 routine the CPU runs, libsodium's
// randombytes_buf, OpenSSL's RAND_bytes, and the raw keystream of OpenSSL's
// EVP ChaCha20 and libsodium's ChaCha20 (the ceiling anchors); request sizes
// 1 B to 1 MiB; one thread and one per CPU.  Then the block routines alone.
//
// Benchmark names are getrandom/<source>/<bytes>/real_time/threads:<n>.
// scripts/bench.sh runs this and turns the JSON into a table with ratios to
// the kernel vDSO, CSV and a plot (docs/performance.md).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chacha20.h"
#include "vdsoforge/loader.h"

namespace {

using vdsoforge::Chacha20Routine;

constexpr size_t kStateSize = 144;

// A vDSO getrandom (kernel or image) and the image that keeps it mapped.
struct Vdso {
  std::unique_ptr<vdsoforge::LoadedImage> image;
  vdsoforge::GetrandomFn fn = nullptr;
};

Vdso open_image(Chacha20Routine routine) {
  Vdso v;
  vdsoforge::Error err;
  vdsoforge::OpenOptions options;
  options.chacha20 = routine;  // follow_kernel generation, like real use
  v.image = vdsoforge::LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, options);
  if (!v.image) {
    std::fprintf(stderr, "cannot load %s: %s\n", VDSOFORGE_TEST_IMAGE, err.message.c_str());
    std::exit(2);
  }
  v.fn = v.image->getrandom();
  return v;
}

Vdso open_kernel() {
  Vdso v;
  vdsoforge::Error err;
  v.image = vdsoforge::LoadedImage::open_kernel(err);
  if (v.image) v.fn = v.image->getrandom();
  return v;
}

// One state page per benchmark thread, allocated the way the vDSO asks.
class ThreadState {
 public:
  explicit ThreadState(vdsoforge::GetrandomFn fn) {
    vdsoforge::abi::VgetrandomOpaqueParams params{};
    if (!fn || fn(nullptr, 0, 0, &params, ~0UL) != 0) return;
    page_ = mmap(nullptr, 4096, static_cast<int>(params.mmap_prot),
                 static_cast<int>(params.mmap_flags), -1, 0);
    if (page_ == MAP_FAILED)
      page_ = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page_ == MAP_FAILED) page_ = nullptr;
  }
  ~ThreadState() {
    if (page_) munmap(page_, 4096);
  }
  void* get() const { return page_; }

 private:
  void* page_ = nullptr;
};

void set_bytes(benchmark::State& st) {
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * st.range(0));
}

void run_vdso(benchmark::State& st, vdsoforge::GetrandomFn fn) {
  ThreadState state(fn);
  if (!state.get()) return st.SkipWithError("no vDSO getrandom or no state");
  std::vector<uint8_t> buf(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    long n = fn(buf.data(), buf.size(), 0, state.get(), kStateSize);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  set_bytes(st);
}

void run_syscall(benchmark::State& st) {
  std::vector<uint8_t> buf(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    long n = syscall(SYS_getrandom, buf.data(), buf.size(), 0);
    benchmark::DoNotOptimize(n);
  }
  set_bytes(st);
}

void run_glibc(benchmark::State& st) {
  std::vector<uint8_t> buf(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    ssize_t n = ::getrandom(buf.data(), buf.size(), 0);
    benchmark::DoNotOptimize(n);
  }
  set_bytes(st);
}

void run_sodium_randombytes(benchmark::State& st) {
  std::vector<uint8_t> buf(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    randombytes_buf(buf.data(), buf.size());
    benchmark::ClobberMemory();
  }
  set_bytes(st);
}

void run_openssl_rand(benchmark::State& st) {
  std::vector<uint8_t> buf(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    int ok = RAND_bytes(buf.data(), static_cast<int>(buf.size()));
    benchmark::DoNotOptimize(ok);
  }
  set_bytes(st);
}

// Keystream only: encrypting zeros in place, the fastest ChaCha20 OpenSSL has.
void run_openssl_chacha20(benchmark::State& st) {
  std::array<uint8_t, 32> key{};
  std::array<uint8_t, 16> iv{};
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_chacha20(), nullptr, key.data(), iv.data()) != 1)
    return st.SkipWithError("EVP_chacha20 unavailable");
  std::vector<uint8_t> buf(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    int len = 0;
    EVP_EncryptUpdate(ctx.get(), buf.data(), &len, buf.data(), static_cast<int>(buf.size()));
    benchmark::DoNotOptimize(len);
    benchmark::ClobberMemory();
  }
  set_bytes(st);
}

void run_sodium_chacha20(benchmark::State& st) {
  std::array<uint8_t, 32> key{};
  std::array<uint8_t, 8> nonce{};
  std::vector<uint8_t> buf(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    crypto_stream_chacha20(buf.data(), buf.size(), nonce.data(), key.data());
    benchmark::ClobberMemory();
  }
  set_bytes(st);
}

using BlockFn = void (*)(uint8_t*, const uint8_t*, uint32_t*, size_t);
void run_blocks(benchmark::State& st, BlockFn fn) {
  std::array<uint8_t, 32> key{};
  std::vector<uint8_t> out(static_cast<size_t>(st.range(0)));
  uint32_t counter[2] = {0, 0};
  for (auto _ : st) {
    fn(out.data(), key.data(), counter, out.size() / 64);
    benchmark::ClobberMemory();
  }
  set_bytes(st);
}

void register_all() {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "sodium_init failed\n");
    std::exit(2);
  }
  static Vdso kernel = open_kernel();
  static std::vector<std::pair<std::string, Vdso>> images;
  for (Chacha20Routine r : {Chacha20Routine::sse2, Chacha20Routine::avx2, Chacha20Routine::avx512})
    if (vdsoforge::cpu_supports(r))
      images.emplace_back("image_" + std::string(vdsoforge::chacha20_routine_name(r)),
                          open_image(r));

  std::vector<std::pair<std::string, std::function<void(benchmark::State&)>>> sources = {
      {"syscall", run_syscall},
      {"glibc_getrandom", run_glibc},
      {"kernel_vdso", [](benchmark::State& st) { run_vdso(st, kernel.fn); }},
  };
  for (auto& [name, vdso] : images) {
    const vdsoforge::GetrandomFn fn = vdso.fn;
    sources.emplace_back(name, [fn](benchmark::State& st) { run_vdso(st, fn); });
  }
  sources.emplace_back("libsodium_randombytes", run_sodium_randombytes);
  sources.emplace_back("openssl_rand_bytes", run_openssl_rand);
  sources.emplace_back("openssl_evp_chacha20", run_openssl_chacha20);
  sources.emplace_back("libsodium_chacha20", run_sodium_chacha20);

  const int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const auto& [name, fn] : sources) {
    auto* b = benchmark::RegisterBenchmark(("getrandom/" + name).c_str(), fn);
    for (int64_t size = 1; size <= (1 << 20); size *= 4) b->Arg(size);
    b->UseRealTime()->Threads(1);
    if (cpus > 1) b->Threads(cpus);
  }
  const std::pair<const char*, BlockFn> routines[] = {{"sse2", vdsoforge_chacha20_blocks_sse2},
                                                      {"avx2", vdsoforge_chacha20_blocks_avx2},
                                                      {"avx512", vdsoforge_chacha20_blocks_avx512}};
  for (const auto& [name, fn] : routines) {
    if (!vdsoforge::cpu_supports(*vdsoforge::parse_chacha20_routine(name))) continue;
    const BlockFn block_fn = fn;
    benchmark::RegisterBenchmark((std::string("chacha20_blocks/") + name).c_str(),
                                 [block_fn](benchmark::State& st) { run_blocks(st, block_fn); })
        ->Arg(128)
        ->Arg(4096)
        ->Arg(1 << 20);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
