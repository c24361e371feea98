// The loader's emulation of each kernel's data layout: the images built for
// linux-6.11, linux-6.13 and linux-6.15 mapped over that kernel's data area,
// and the pre-6.15 time namespace switched on and off under them.  Every
// address is checked against the numbers of docs/abi.md, written out here,
// and what the pages hold is read through the image's own read-only view.
#include <sys/mman.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "loader_test_support.h"
#include "vdsoforge/layout_profiles.h"

using namespace loader_test;
using vdsoforge::LoadedImage;

namespace {

std::string profile_image(const std::string& profile) {
  return std::string(VDSOFORGE_TEST_PROFILE_IMAGE_DIR) + "/vdsoforge-getrandom-" + profile + ".so";
}

vdsoforge::OpenOptions manual() {
  vdsoforge::OpenOptions options;
  options.mode = vdsoforge::GenerationMode::manual;
  return options;
}

// Distances below the image base, from docs/abi.md's table.
struct Expected {
  const char* profile;
  uint64_t data_area, rng, clock_mode, timens_page;  // clock_mode 0: no indirection
};
constexpr Expected kPre615[] = {
    {"linux-6.11", 0x4000, 0x3d80, 0x3f7c, 0x1000},
    {"linux-6.13", 0x4000, 0x3d80, 0x3ffc, 0x3000},
};

int32_t read_s32(uintptr_t address) {
  int32_t value;
  std::memcpy(&value, reinterpret_cast<const void*>(address), sizeof value);
  return value;
}

// mincore-free accessibility check: the mapping's permissions in /proc.
std::string perms_at(uintptr_t address) {
  const auto mapping = mapping_at(address);
  return mapping ? mapping->perms : "unmapped";
}

}  // namespace

TEST_CASE("each profile image is mapped over its kernel's data area, rng data where it reads") {
  const Expected all[] = {kPre615[0], kPre615[1], {"linux-6.15", 0x6000, 0x4000, 0, 0}};
  for (const Expected& e : all) {
    INFO(e.profile);
    vdsoforge::Error err;
    auto image = LoadedImage::open_file(profile_image(e.profile), err, manual());
    INFO(err.message);
    REQUIRE(image);
    REQUIRE(image->layout_profile() != nullptr);
    CHECK(std::string(image->layout_profile()->name) == e.profile);
    CHECK(image->data_area_size() == e.data_area);
    CHECK(image->base() - image->data_area_base() == e.data_area);
    vdsoforge::DataPage& page = *image->data_page();
    CHECK_FALSE(page.in_time_namespace());
    const auto rng = reinterpret_cast<uintptr_t>(page.image_view());
    CHECK(image->base() - rng == e.rng);
    page.set_generation(0x1234567);
    page.set_ready(true);
    CHECK(page.image_view()->generation == 0x1234567);
    CHECK(page.image_view()->is_ready == 1);
    uint8_t buffer[100] = {};
    CHECK(vdsoforge::getrandom(*image, buffer, sizeof buffer, 0) == 100);
    if (e.clock_mode) {
      // Outside a namespace: a clock mode other than the marker, and the
      // timens slot inaccessible, as the kernel faults on it.
      CHECK(read_s32(image->base() - e.clock_mode) != vdsoforge::layout::kClockModeTimens);
      CHECK(perms_at(image->base() - e.timens_page) == "---s");
    } else {
      // 6.15+: a namespace swaps only the time page (the image exports the
      // time functions); the rng data keeps its own page.
      REQUIRE_FALSE(page.set_time_namespace(true));
      CHECK(read_s32(image->base() - e.data_area + 4) == vdsoforge::layout::kClockModeTimens);
      CHECK(image->base() - reinterpret_cast<uintptr_t>(page.image_view()) == e.rng);
      CHECK(vdsoforge::getrandom(*image, buffer, sizeof buffer, 0) == 100);
      REQUIRE_FALSE(page.set_time_namespace(false));
    }
  }
}

TEST_CASE("the time-namespace switch swaps the vvar and timens pages and sets the marker") {
  for (const Expected& e : kPre615) {
    INFO(e.profile);
    vdsoforge::Error err;
    auto image = LoadedImage::open_file(profile_image(e.profile), err, manual());
    REQUIRE(image);
    vdsoforge::DataPage& page = *image->data_page();
    page.set_generation(77);
    page.set_ready(true);
    const uintptr_t base = image->base();

    REQUIRE_FALSE(page.set_time_namespace(true));
    CHECK(page.in_time_namespace());
    // The vvar slot now holds the namespace's page: the marker, and an rng
    // slot of zeros (generation 0, not ready), as in the kernel's.
    CHECK(read_s32(base - e.clock_mode) == vdsoforge::layout::kClockModeTimens);
    const auto* at_vvar = reinterpret_cast<const vdsoforge::abi::VdsoRngData*>(base - e.rng);
    CHECK(at_vvar->generation == 0);
    CHECK(at_vvar->is_ready == 0);
    // The real vvar page is at the timens slot, rng data at the same offset.
    const uint64_t through_timens = e.rng - (e.data_area - e.timens_page);
    CHECK(base - reinterpret_cast<uintptr_t>(page.image_view()) == through_timens);
    CHECK(page.image_view()->generation == 77);
    CHECK(perms_at(base - e.timens_page) == "r--s");
    // The loader keeps writing the one real page.
    page.set_generation(78);
    page.set_ready(false);
    CHECK(page.image_view()->generation == 78);
    CHECK(page.image_view()->is_ready == 0);
    CHECK(at_vvar->generation == 0);
    page.set_ready(true);
    uint8_t buffer[100] = {};
    CHECK(vdsoforge::getrandom(*image, buffer, sizeof buffer, 0) == 100);

    REQUIRE_FALSE(page.set_time_namespace(false));
    CHECK_FALSE(page.in_time_namespace());
    CHECK(read_s32(base - e.clock_mode) != vdsoforge::layout::kClockModeTimens);
    CHECK(base - reinterpret_cast<uintptr_t>(page.image_view()) == e.rng);
    CHECK(page.image_view()->generation == 78);
    CHECK(perms_at(base - e.timens_page) == "---s");
  }
}

TEST_CASE(
    "OpenOptions::time_namespace starts inside; only an image without time data or indirection "
    "refuses it") {
  auto options = manual();
  options.time_namespace = true;
  vdsoforge::Error err;
  auto inside = LoadedImage::open_file(profile_image("linux-6.13"), err, options);
  INFO(err.message);
  REQUIRE(inside);
  CHECK(inside->data_page()->in_time_namespace());
  CHECK(read_s32(inside->base() - 0x3ffc) == vdsoforge::layout::kClockModeTimens);
  // 6.15+ layouts with the time functions: the time page is swapped.
  for (const std::string& path : {profile_image("linux-6.15"), std::string(VDSOFORGE_TEST_IMAGE)}) {
    INFO(path);
    auto image = LoadedImage::open_file(path, err, options);
    REQUIRE(image);
    CHECK(image->data_page()->in_time_namespace());
    CHECK(read_s32(image->base() - image->data_area_size() + 4) ==
          vdsoforge::layout::kClockModeTimens);
  }
  // A getrandom-only image (no time data, no indirection) has nothing to swap.
  CHECK(LoadedImage::open_file(VDSOFORGE_TEST_GETRANDOM_ONLY_IMAGE, err, options) == nullptr);
  CHECK(err.code == vdsoforge::LoaderErrc::not_supported);
  CHECK(err.message.find("no time-namespace indirection") != std::string::npos);
}

TEST_CASE("an image sharing a pre-6.15 data area follows its time-namespace switch") {
  vdsoforge::Error err;
  auto owner = LoadedImage::open_file(profile_image("linux-6.11"), err, manual());
  REQUIRE(owner);
  REQUIRE_FALSE(owner->data_page()->set_time_namespace(true));
  auto options = manual();
  options.share_data_with = owner.get();
  auto sharer = LoadedImage::open_file(profile_image("linux-6.11"), err, options);
  INFO(err.message);
  REQUIRE(sharer);
  // Joined inside: its view is swapped already.
  CHECK(read_s32(sharer->base() - 0x3f7c) == vdsoforge::layout::kClockModeTimens);
  REQUIRE_FALSE(owner->data_page()->set_time_namespace(false));
  CHECK(read_s32(sharer->base() - 0x3f7c) != vdsoforge::layout::kClockModeTimens);
  CHECK(perms_at(sharer->base() - 0x1000) == "---s");
  owner->data_page()->set_generation(31337);
  CHECK(reinterpret_cast<const vdsoforge::abi::VdsoRngData*>(sharer->base() - 0x3d80)->generation ==
        31337);
  sharer.reset();  // leaves the owner's switch working
  CHECK_FALSE(owner->data_page()->set_time_namespace(true));

  SECTION("another time-namespace layout of the same size is refused") {
    options.share_data_with = owner.get();
    CHECK(LoadedImage::open_file(profile_image("linux-6.13"), err, options) == nullptr);
    CHECK(err.code == vdsoforge::LoaderErrc::invalid_argument);
    CHECK(err.message.find("time-namespace indirection") != std::string::npos);
  }
}

TEST_CASE("a note-less pre-6.15 image gets its profile, time namespace included, from its code") {
  auto bytes = test_support::read_file(profile_image("linux-6.11").c_str());
  const uint8_t owner[] = {'v', 'd', 's', 'o', 'f', 'o', 'r', 'g', 'e', 0};
  auto at = std::search(bytes.begin(), bytes.end(), std::begin(owner), std::end(owner));
  REQUIRE(at != bytes.end());
  *at = 'x';
  auto options = manual();
  options.layout_from_code = true;
  options.time_namespace = true;
  vdsoforge::Error err;
  auto image = LoadedImage::open_memory(bytes, err, options);
  INFO(err.message);
  REQUIRE(image);
  REQUIRE(image->layout_profile() != nullptr);
  CHECK(std::string(image->layout_profile()->name) == "linux-6.11");
  CHECK(image->data_page()->in_time_namespace());
  CHECK(image->base() - reinterpret_cast<uintptr_t>(image->data_page()->image_view()) == 0xd80);
  uint8_t buffer[40] = {};
  CHECK(vdsoforge::getrandom(*image, buffer, sizeof buffer, 0) == 40);
}
