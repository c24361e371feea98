// Loads the example's own image with the installed loader and calls both of
// its functions: the extra __vdso_vdsoforge_answer and getrandom.
#include <vdsoforge/loader.h>
#include <vdsoforge/thread_getrandom.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "custom-image-demo: %s\n", what);
  return 1;
}

}  // namespace

int main() {
  vdsoforge::Error err;
  vdsoforge::OpenOptions options;
  options.mode = vdsoforge::GenerationMode::manual;  // so the answer is predictable
  auto image = vdsoforge::LoadedImage::open_file(CUSTOM_IMAGE_PATH, err, options);
  if (!image) {
    std::fprintf(stderr, "custom-image-demo: cannot load %s: %s\n", CUSTOM_IMAGE_PATH,
                 err.message.c_str());
    return 1;
  }
  std::printf("loaded %s at %#lx (%zu bytes, data area %zu bytes below)\n", CUSTOM_IMAGE_PATH,
              static_cast<unsigned long>(image->base()), image->image_size(),
              image->data_area_size());

  using AnswerFn = uint64_t (*)(uint64_t);
  auto answer = reinterpret_cast<AnswerFn>(image->symbol("__vdso_vdsoforge_answer"));
  if (answer == nullptr) return fail("__vdso_vdsoforge_answer@LINUX_2.6 not found");
  vdsoforge::DataPage* data = image->data_page();
  if (data == nullptr) return fail("a built image must come with a data page");
  data->set_ready(true);
  data->set_generation(7);
  const uint64_t first = answer(6);
  data->set_generation(12);
  const uint64_t second = answer(5);
  std::printf("__vdso_vdsoforge_answer(6) with generation 7  = %llu\n",
              static_cast<unsigned long long>(first));
  std::printf("__vdso_vdsoforge_answer(5) with generation 12 = %llu\n",
              static_cast<unsigned long long>(second));
  if (first != 6 * 6 + 7 || second != 6 * 5 + 12)
    return fail("answer does not follow the data page");

  std::array<uint8_t, 32> a{}, b{};
  const long got_a = vdsoforge::getrandom(*image, a.data(), a.size(), 0);
  const long got_b = vdsoforge::getrandom(*image, b.data(), b.size(), 0);
  if (got_a != static_cast<long>(a.size()) || got_b != static_cast<long>(b.size())) {
    return fail("getrandom through the image did not fill the buffers");
  }
  if (std::all_of(a.begin(), a.end(), [](uint8_t v) { return v == 0; }) || a == b) {
    return fail("getrandom through the image returned zeros or repeated itself");
  }
  std::printf("getrandom through the image: ");
  for (uint8_t v : a) std::printf("%02x", v);
  std::printf("\nexample passed\n");
  return 0;
}
