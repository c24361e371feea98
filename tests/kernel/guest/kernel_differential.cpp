// The byte-identical comparison of docs/conformance.md, as a program for the
// kernel harness's guest: the running kernel's own vDSO against an image the
// loader maps, from identical states, request by request.
//
//   kernel_differential IMAGE REQUESTS [--timens]
//
// --timens runs the comparison in a child forked after unshare(CLONE_NEWTIME),
// where a pre-6.15 kernel's vDSO reads its rng data through the timens page,
// and opens the image in the loader's emulated time namespace, so that both
// sides take that path.  Prints one line; exit 0 when every request agreed
// and at least REQUESTS random requests were compared.
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "differential.h"
#include "vdsoforge/chacha20_note.h"
#include "vdsoforge/loader.h"

namespace {

int compare(const std::string& image_path, size_t requests, bool timens) {
  const char* where = timens ? "differential (time namespace)" : "differential";
  vdsoforge::Error err;
  auto kernel = vdsoforge::LoadedImage::open_kernel(err);
  if (!kernel || kernel->getrandom() == nullptr) {
    std::printf("%s: no kernel vDSO getrandom: %s\n", where, err.message.c_str());
    return 1;
  }
  vdsoforge::OpenOptions options;
  options.mode = vdsoforge::GenerationMode::manual;
  options.time_namespace = timens;
  auto image = vdsoforge::LoadedImage::open_file(image_path, err, options);
  if (!image || image->getrandom() == nullptr || image->data_page() == nullptr) {
    std::printf("%s: cannot open %s: %s\n", where, image_path.c_str(), err.message.c_str());
    return 1;
  }
  image->data_page()->set_ready(true);
  const vdsoforge::GetrandomFn kernel_fn = kernel->getrandom();
  const vdsoforge::GetrandomFn image_fn = image->getrandom();
  conformance::DifferentialConfig config;
  config.reference = [kernel_fn](void* b, size_t l, unsigned f, void* s, size_t o) {
    return kernel_fn(b, l, f, s, o);
  };
  config.candidate = [image_fn](void* b, size_t l, unsigned f, void* s, size_t o) {
    return image_fn(b, l, f, s, o);
  };
  config.set_candidate_generation = [&](uint64_t g) { image->data_page()->set_generation(g); };
  config.seed = 0x6b65726e656cULL;  // fixed: a failure can be replayed
  config.random_requests = requests;
  // Under emulation a MiB request costs seconds; 256 KiB still covers every
  // branch (the fixed large sizes include the largest).
  config.largest = size_t{1} << 18;
  const conformance::DifferentialResult r = conformance::run_differential(config);
  const auto routine = image->chacha20_routine();
  std::printf(
      "%s: %zu requests byte-identical (%zu pos sweep, %zu over 64 KiB), %llu bytes, %zu fresh "
      "states, %zu kernel reseeds followed; image routine %s%s%s\n",
      where, r.compared, r.sweep_requests, r.large_requests,
      static_cast<unsigned long long>(r.bytes), r.fresh_states, r.kernel_reseeds,
      routine ? std::string(vdsoforge::chacha20_routine_name(*routine)).c_str() : "none",
      r.mismatch.empty() ? "" : "; MISMATCH: ", r.mismatch.c_str());
  if (!r.error.empty()) std::printf("%s: error: %s\n", where, r.error.c_str());
  return r.error.empty() && r.mismatch.empty() && r.compared >= requests ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4 || (argc == 4 && std::strcmp(argv[3], "--timens") != 0)) {
    std::fprintf(stderr, "usage: kernel_differential IMAGE REQUESTS [--timens]\n");
    return 2;
  }
  const size_t requests = std::strtoul(argv[2], nullptr, 10);
  if (argc == 3) return compare(argv[1], requests, false);
  if (unshare(CLONE_NEWTIME) != 0) {
    std::perror("kernel_differential: unshare(CLONE_NEWTIME)");
    return 1;
  }
  std::fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    const int status = compare(argv[1], requests, true);
    std::fflush(stdout);
    _exit(status);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) return 1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
