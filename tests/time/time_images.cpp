#include "time_images.h"

#include <catch2/catch.hpp>
#include <map>

#include "vdsoforge/image_defaults.h"
#include "vdsoforge/layout_profiles.h"

namespace time_test {

TimeFunctions time_functions(const vdsoforge::LoadedImage& image) {
  TimeFunctions f;
  f.clock_gettime = reinterpret_cast<ClockGettimeFn>(image.symbol("__vdso_clock_gettime"));
  f.clock_getres = reinterpret_cast<ClockGetresFn>(image.symbol("__vdso_clock_getres"));
  f.gettimeofday = reinterpret_cast<GettimeofdayFn>(image.symbol("__vdso_gettimeofday"));
  f.time = reinterpret_cast<TimeFn>(image.symbol("__vdso_time"));
  f.getcpu = reinterpret_cast<GetcpuFn>(image.symbol("__vdso_getcpu"));
  REQUIRE(f.clock_gettime);
  REQUIRE(f.clock_getres);
  REQUIRE(f.gettimeofday);
  REQUIRE(f.time);
  REQUIRE(f.getcpu);
  return f;
}

std::vector<NamedImage> shipped_images() {
  std::vector<NamedImage> images{{"default", VDSOFORGE_TEST_IMAGE}};
  for (const vdsoforge::layout::Profile* p : vdsoforge::layout::kProfiles)
    images.push_back({p->name, std::string(VDSOFORGE_TEST_PROFILE_IMAGE_DIR) +
                                   "/vdsoforge-getrandom-" + p->name + ".so"});
  return images;
}

std::unique_ptr<vdsoforge::LoadedImage> open_image(const std::string& path,
                                                   const vdsoforge::OpenOptions& options) {
  vdsoforge::Error err;
  auto image = vdsoforge::LoadedImage::open_file(path, err, options);
  INFO(path << ": " << err.message);
  REQUIRE(image);
  return image;
}

vdsoforge::LoadedImage& following_image(const NamedImage& named) {
  // Kept until the program ends: each image's mirror thread runs once, not
  // once per test case.
  static auto* const opened = new std::map<std::string, std::unique_ptr<vdsoforge::LoadedImage>>;
  auto& image = (*opened)[named.path];
  if (!image) image = open_image(named.path);
  return *image;
}

const vdsoforge::LoadedImage& kernel_vdso() {
  static std::unique_ptr<vdsoforge::LoadedImage> kernel = [] {
    vdsoforge::Error err;
    auto k = vdsoforge::LoadedImage::open_kernel(err);
    INFO(err.message);
    REQUIRE(k);
    return k;
  }();
  return *kernel;
}

}  // namespace time_test
