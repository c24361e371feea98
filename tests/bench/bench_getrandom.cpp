// getrandom through the project's images (SSE2 and AVX-512), the kernel's vDSO
// and the syscall, measured side by side in one run, plus the ChaCha20 block
// routines against libsodium's.  Run: build/default/tests/bench_getrandom
#include <benchmark/benchmark.h>
#include <sodium.h>
#include <sys/mman.h>
#include <sys/random.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "chacha20.h"
#include "vdsoforge/loader.h"

namespace {

// One loaded image and one state for it, shared by the benchmarks of a kind.
struct Source {
  std::unique_ptr<vdsoforge::LoadedImage> image;
  vdsoforge::GetrandomFn fn = nullptr;
  void* state = nullptr;
};

void* map_state(vdsoforge::GetrandomFn fn) {
  vdsoforge::abi::VgetrandomOpaqueParams params{};
  if (fn(nullptr, 0, 0, &params, ~0UL) != 0) return nullptr;
  void* page = mmap(nullptr, 4096, static_cast<int>(params.mmap_prot),
                    static_cast<int>(params.mmap_flags), -1, 0);
  if (page == MAP_FAILED)
    page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return page == MAP_FAILED ? nullptr : page;
}

Source open_project_image(const char* path) {
  Source s;
  vdsoforge::Error err;
  vdsoforge::OpenOptions options;
  options.mode = vdsoforge::GenerationMode::manual;
  s.image = vdsoforge::LoadedImage::open_file(path, err, options);
  if (!s.image) {
    std::fprintf(stderr, "cannot load %s: %s\n", path, err.message.c_str());
    std::exit(2);
  }
  s.fn = s.image->getrandom();
  s.state = s.fn ? map_state(s.fn) : nullptr;
  return s;
}

bool cpu_has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
}

Source& project_image() {
  static Source source = open_project_image(VDSOFORGE_TEST_IMAGE);
  return source;
}

Source& kernel_vdso() {
  static Source source = [] {
    Source s;
    vdsoforge::Error err;
    s.image = vdsoforge::LoadedImage::open_kernel(err);
    s.fn = s.image ? s.image->getrandom() : nullptr;
    s.state = s.fn ? map_state(s.fn) : nullptr;
    return s;
  }();
  return source;
}

void run_vdso(benchmark::State& st, Source& source) {
  if (!source.fn || !source.state) {
    st.SkipWithError("no vDSO getrandom on this machine");
    return;
  }
  std::vector<uint8_t> buf(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    long n = source.fn(buf.data(), buf.size(), 0, source.state, 144);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * st.range(0));
}

void BM_image(benchmark::State& st) { run_vdso(st, project_image()); }
void BM_kernel_vdso(benchmark::State& st) { run_vdso(st, kernel_vdso()); }

void BM_syscall(benchmark::State& st) {
  std::vector<uint8_t> buf(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    ssize_t n = ::getrandom(buf.data(), buf.size(), 0);
    benchmark::DoNotOptimize(n);
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * st.range(0));
}

// The one-call helper: per-thread state looked up on every call.
void BM_loader_helper(benchmark::State& st) {
  Source& s = project_image();
  std::vector<uint8_t> buf(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    long n = vdsoforge::getrandom(*s.image, buf.data(), buf.size(), 0);
    benchmark::DoNotOptimize(n);
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * st.range(0));
}

void run_blocks(benchmark::State& st, void (*fn)(uint8_t*, const uint8_t*, uint32_t*, size_t)) {
  std::array<uint8_t, 32> key{};
  std::vector<uint8_t> out(static_cast<size_t>(st.range(0)));
  uint32_t counter[2] = {0, 0};
  for (auto _ : st) {
    fn(out.data(), key.data(), counter, out.size() / 64);
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * st.range(0));
}

void BM_chacha20_blocks_sse2(benchmark::State& st) {
  run_blocks(st, vdsoforge_chacha20_blocks_sse2);
}
void BM_chacha20_blocks_avx512(benchmark::State& st) {
  if (!cpu_has_avx512()) return st.SkipWithError("CPU lacks AVX-512F/VL");
  run_blocks(st, vdsoforge_chacha20_blocks_avx512);
}

void BM_chacha20_libsodium(benchmark::State& st) {
  if (sodium_init() < 0) st.SkipWithError("sodium_init failed");
  std::array<uint8_t, 32> key{};
  std::array<uint8_t, 8> nonce{};
  std::vector<uint8_t> out(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    crypto_stream_chacha20(out.data(), out.size(), nonce.data(), key.data());
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * st.range(0));
}

#define VF_SIZES Arg(1)->Arg(4)->Arg(16)->Arg(64)->Arg(256)->Arg(4096)->Arg(1 << 20)
BENCHMARK(BM_image)->VF_SIZES;
BENCHMARK(BM_kernel_vdso)->VF_SIZES;
BENCHMARK(BM_syscall)->VF_SIZES;
BENCHMARK(BM_loader_helper)->Arg(4)->Arg(16)->Arg(4096);
BENCHMARK(BM_chacha20_blocks_sse2)->Arg(64)->Arg(4096)->Arg(1 << 20);
BENCHMARK(BM_chacha20_blocks_avx512)->Arg(64)->Arg(4096)->Arg(1 << 20);
BENCHMARK(BM_chacha20_libsodium)->Arg(64)->Arg(4096)->Arg(1 << 20);

}  // namespace

BENCHMARK_MAIN();
