// OpenOptions::layout_from_code and OpenOptions::share_data_with: an image
// without a note mapped by what its code reads, and two images over one
// emulated data area; each refusal says why.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "loader_test_support.h"
#include "vdsoforge/image_defaults.h"
#include "vdsoforge/kernel_vdso.h"

using namespace loader_test;
using vdsoforge::LoadedImage;

namespace {

vdsoforge::OpenOptions manual() {
  vdsoforge::OpenOptions options;
  options.mode = vdsoforge::GenerationMode::manual;
  return options;
}

// The built image with its data-layout note's owner renamed: no note.
std::vector<uint8_t> image_without_note() {
  auto bytes = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  const uint8_t owner[] = {'v', 'd', 's', 'o', 'f', 'o', 'r', 'g', 'e', 0};
  auto at = std::search(bytes.begin(), bytes.end(), std::begin(owner), std::end(owner));
  REQUIRE(at != bytes.end());
  *at = 'x';
  return bytes;
}

}  // namespace

TEST_CASE("layout_from_code maps a note-less image where its code reads, and it runs") {
  vdsoforge::Error err;
  auto with_note = LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, manual());
  REQUIRE(with_note);
  auto options = manual();
  options.layout_from_code = true;
  auto image = LoadedImage::open_memory(image_without_note(), err, options);
  INFO(err.message);
  REQUIRE(image);
  CHECK(image->data_area_size() == with_note->data_area_size());
  const auto rng = reinterpret_cast<uintptr_t>(image->data_page()->image_view());
  CHECK(image->base() - rng == vdsoforge::default_image::kRngDataBelowImage);
  uint8_t buffer[48] = {};
  CHECK(vdsoforge::getrandom(*image, buffer, sizeof buffer, 0) == 48);
}

TEST_CASE("without layout_from_code a note-less image is still refused, naming the option") {
  vdsoforge::Error err;
  auto image = LoadedImage::open_memory(image_without_note(), err, manual());
  CHECK(image == nullptr);
  CHECK(err.code == vdsoforge::Errc::missing_data_layout_note);
  CHECK(err.message.find("layout_from_code") != std::string::npos);
}

TEST_CASE("layout_from_code refuses code that gives no layout and says why") {
  auto bytes = image_without_note();
  vdsoforge::ElfError parse_err;
  vdsoforge::Error err;
  const auto elf = vdsoforge::ElfImage::parse(bytes, vdsoforge::ParseMode::strict, parse_err);
  REQUIRE(elf);
  const vdsoforge::Symbol* fn = elf->lookup("__vdso_getrandom", "LINUX_2.6");
  REQUIRE(fn);
  // __vdso_getrandom becomes "xor eax, eax; ret": no data reference at all.
  std::fill(bytes.begin() + static_cast<long>(fn->value),
            bytes.begin() + static_cast<long>(fn->value + fn->size), uint8_t{0xcc});
  const uint8_t body[] = {0x31, 0xc0, 0xc3};
  std::copy(std::begin(body), std::end(body), bytes.begin() + static_cast<long>(fn->value));
  auto options = manual();
  options.layout_from_code = true;
  auto image = LoadedImage::open_memory(bytes, err, options);
  CHECK(image == nullptr);
  CHECK(err.code == vdsoforge::Errc::missing_data_layout_note);
  CHECK(err.message.find("no RIP-relative reference") != std::string::npos);
}

TEST_CASE("two images over one data area: one DataPage, both see its changes") {
  vdsoforge::Error err;
  auto owner = LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, manual());
  REQUIRE(owner);
  auto options = manual();
  options.share_data_with = owner.get();
  auto sharer = LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, options);
  INFO(err.message);
  REQUIRE(sharer);
  CHECK(sharer->data_page() == owner->data_page());
  CHECK(sharer->data_area_base() != owner->data_area_base());
  owner->data_page()->set_generation(4242);
  owner->data_page()->set_ready(false);
  const auto* seen = reinterpret_cast<const vdsoforge::abi::VdsoRngData*>(
      sharer->base() - vdsoforge::default_image::kRngDataBelowImage);
  CHECK(seen->generation == 4242);
  CHECK(seen->is_ready == 0);
}

TEST_CASE("share_data_with refuses a kernel image, a sharer and a different layout") {
  vdsoforge::Error err;
  auto owner = LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, manual());
  REQUIRE(owner);
  auto options = manual();
  SECTION("the live kernel vDSO") {
    auto kernel = LoadedImage::open_kernel(err);
    if (!kernel) vdsoforge_skip("no kernel vDSO");
    options.share_data_with = kernel.get();
    CHECK(LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, options) == nullptr);
    CHECK(err.code == vdsoforge::LoaderErrc::invalid_argument);
  }
  SECTION("an image that itself shares") {
    options.share_data_with = owner.get();
    auto sharer = LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, options);
    REQUIRE(sharer);
    options.share_data_with = sharer.get();
    CHECK(LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, options) == nullptr);
    CHECK(err.message.find("itself shares") != std::string::npos);
  }
  SECTION("a data area of another size") {
    auto bytes = test_support::read_file(VDSOFORGE_TEST_IMAGE);
    // The note descriptor follows "vdsoforge\0" + 2 bytes of padding:
    // format, page_size, data_area_size (made one page larger), rng offset.
    const uint8_t owner_name[] = {'v', 'd', 's', 'o', 'f', 'o', 'r', 'g', 'e', 0};
    auto at = std::search(bytes.begin(), bytes.end(), std::begin(owner_name), std::end(owner_name));
    REQUIRE(at != bytes.end());
    uint8_t* size_field = &*at + 12 + 8;
    uint32_t size = 0;
    std::memcpy(&size, size_field, 4);
    size += 0x1000;
    std::memcpy(size_field, &size, 4);
    options.share_data_with = owner.get();
    CHECK(LoadedImage::open_memory(bytes, err, options) == nullptr);
    CHECK(err.code == vdsoforge::LoaderErrc::invalid_argument);
    CHECK(err.message.find("differs") != std::string::npos);
  }
}
