// The emulated data page under manual control, as the image observes it.
#include <climits>
#include <cstring>

#include "loader_test_support.h"

using namespace loader_test;
using vdsoforge::GenerationMode;
using vdsoforge::abi::VgetrandomState;

namespace {

struct ImageCall {
  long result;
  std::vector<uint8_t> bytes;
};

ImageCall draw(vdsoforge::LoadedImage& image, VgetrandomState& state, size_t len = 32) {
  ImageCall call{0, std::vector<uint8_t>(len)};
  call.result = image.getrandom()(call.bytes.data(), len, 0, &state, sizeof(state));
  return call;
}

}  // namespace

TEST_CASE("a fresh page is ready, in the asked mode, with a nonzero generation") {
  auto image = open_built_image();
  auto* page = image->data_page();
  REQUIRE(page != nullptr);
  CHECK(page->is_ready());
  CHECK(page->generation() != 0);
  CHECK(page->mode() == GenerationMode::manual);
  CHECK(page->image_view()->is_ready == 1);
  CHECK(page->image_view()->generation == page->generation());
}

TEST_CASE("the image's view of the page is read-only memory") {
  auto image = open_built_image();
  const auto view = mapping_at(image->data_page()->image_view());
  REQUIRE(view.has_value());
  CHECK(view->perms == "r--s");
}

TEST_CASE("a new generation makes the image reseed its state") {
  auto image = open_built_image();
  auto* page = image->data_page();
  alignas(256) VgetrandomState state{};  // never straddles a page
  REQUIRE(draw(*image, state).result == 32);
  CHECK(state.generation == page->generation());

  // Without a change the key stays until the batch runs out; with one, the
  // state takes the new generation and a fresh key at once.
  uint8_t key_before[32];
  std::memcpy(key_before, state.batch_key + 96, 32);
  page->set_generation(424242);
  REQUIRE(draw(*image, state, 1).result == 1);
  CHECK(state.generation == 424242);
  CHECK(std::memcmp(key_before, state.batch_key + 96, 32) != 0);
  CHECK(state.pos == 1);  // a reseed empties the batch, refilled for this byte
}

TEST_CASE("bump_generation advances by one and never yields 0") {
  auto image = open_built_image();
  auto* page = image->data_page();
  page->set_generation(41);
  CHECK(page->bump_generation() == 42);
  CHECK(page->generation() == 42);
  page->set_generation(ULLONG_MAX);
  CHECK(page->bump_generation() == 1);
  CHECK(page->image_view()->generation == 1);

  alignas(256) VgetrandomState state{};  // never straddles a page
  REQUIRE(draw(*image, state).result == 32);
  const uint64_t seen = state.generation;
  page->bump_generation();
  REQUIRE(draw(*image, state).result == 32);
  CHECK(state.generation == seen + 1);
}

TEST_CASE("with is_ready = 0 the image leaves its state alone and uses the syscall") {
  auto image = open_built_image();
  auto* page = image->data_page();
  alignas(256) VgetrandomState state{};  // never straddles a page
  REQUIRE(draw(*image, state).result == 32);
  VgetrandomState before;
  std::memcpy(&before, &state, sizeof(state));

  page->set_ready(false);
  CHECK_FALSE(page->is_ready());
  CHECK(page->image_view()->is_ready == 0);
  const auto call = draw(*image, state, 64);
  CHECK(call.result == 64);
  CHECK_FALSE(all_zero(call.bytes));
  CHECK(std::memcmp(&before, &state, sizeof(state)) == 0);

  page->set_ready(true);
  REQUIRE(draw(*image, state, 64).result == 64);
  CHECK(std::memcmp(&before, &state, sizeof(state)) != 0);
}

TEST_CASE("the kernel vDSO has no emulated page to control") {
  auto kernel = open_kernel_or_skip();
  CHECK(kernel->data_page() == nullptr);
}
