// The live kernel vDSO through the same API as the built image.
#include <sys/auxv.h>

#include <cstring>

#include "loader_test_support.h"
#include "vdsoforge/kernel_vdso.h"

using namespace loader_test;
using vdsoforge::LoadedImage;

namespace {

// Two draws of 32 bytes through the image's getrandom on a fresh state.
std::pair<std::vector<uint8_t>, std::vector<uint8_t>> two_draws(LoadedImage& image) {
  vdsoforge::Error err;
  auto states = vdsoforge::StateAllocator::create(image.getrandom(), err);
  INFO(err.message);
  REQUIRE(states != nullptr);
  void* state = states->allocate(err);
  REQUIRE(state != nullptr);
  const size_t state_size = states->params().size_of_opaque_state;
  std::vector<uint8_t> first(32), second(32);
  CHECK(image.getrandom()(first.data(), first.size(), 0, state, state_size) == 32);
  CHECK(image.getrandom()(second.data(), second.size(), 0, state, state_size) == 32);
  states->release(state);
  return {first, second};
}

}  // namespace

TEST_CASE("the kernel vDSO opens read-only, without a data page, with its data area below") {
  auto kernel = open_kernel_or_skip();
  CHECK(kernel->is_kernel());
  CHECK(kernel->data_page() == nullptr);
  CHECK(kernel->base() == getauxval(AT_SYSINFO_EHDR));

  const auto text = mapping_at(kernel->base());
  REQUIRE(text.has_value());
  CHECK(text->name == "[vdso]");
  CHECK(text->start == kernel->base());
  CHECK(text->end == kernel->base() + kernel->image_size());

  REQUIRE(kernel->data_area_size() > 0);
  CHECK(kernel->data_area_base() + kernel->data_area_size() == kernel->base());
  for (uintptr_t page = kernel->data_area_base(); page < kernel->base(); page += 4096) {
    const auto data = mapping_at(page);
    REQUIRE(data.has_value());
    CHECK((data->name == "[vvar]" || data->name == "[vvar_vclock]"));
    CHECK(data->perms.substr(0, 3) == "r--");
  }
  // Nothing of the kernel's below the data area: the walk found all of it.
  const auto below = mapping_at(kernel->data_area_base() - 1);
  CHECK_FALSE((below && (below->name == "[vvar]" || below->name == "[vvar_vclock]")));
}

TEST_CASE("find_kernel_vdso reports the kernel's mappings as /proc/self/maps shows them") {
  vdsoforge::Error err;
  const auto vdso = vdsoforge::find_kernel_vdso(err);
  if (!vdso && getauxval(AT_SYSINFO_EHDR) == 0) vdsoforge_skip("the kernel maps no vDSO");
  INFO(err.message);
  REQUIRE(vdso.has_value());
  CHECK(vdso->base == getauxval(AT_SYSINFO_EHDR));
  CHECK(reinterpret_cast<uintptr_t>(vdso->bytes.data()) == vdso->base);

  const auto text = mapping_at(vdso->base);
  REQUIRE(text.has_value());
  CHECK(vdso->bytes.size() == text->end - text->start);
  CHECK(vdso->permissions == text->perms);

  // Every kernel mapping the independent reader sees is reported, exactly.
  size_t kernel_mappings = 0;
  for (const auto& expected : own_mappings()) {
    if (expected.name != "[vdso]" && expected.name.rfind("[vvar", 0) != 0) continue;
    ++kernel_mappings;
    INFO(expected.name);
    bool found = false;
    for (const auto& reported : vdso->mappings) {
      if (reported.start != expected.start) continue;
      found = true;
      CHECK(reported.name == expected.name);
      CHECK(reported.end == expected.end);
      CHECK(reported.permissions == expected.perms);
    }
    CHECK(found);
  }
  CHECK(kernel_mappings >= 1);
  for (const auto& reported : vdso->mappings) {
    CHECK(reported.name != "[heap]");
    CHECK(reported.name.rfind("[stack", 0) != 0);
  }
}

TEST_CASE("closing the kernel vDSO leaves the kernel's mapping alone") {
  const uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  open_kernel_or_skip().reset();
  const auto text = mapping_at(base);
  REQUIRE(text.has_value());
  CHECK(text->name == "[vdso]");
  // And it still opens and works afterwards.
  auto again = open_kernel_or_skip();
  CHECK(again->symbol("__vdso_clock_gettime", "LINUX_2.6") != nullptr);
}

TEST_CASE("the kernel vDSO exports getrandom twice at one address, at LINUX_2.6") {
  auto kernel = open_kernel_getrandom_or_skip();
  void* strong = kernel->symbol("__vdso_getrandom", "LINUX_2.6");
  CHECK(strong != nullptr);
  CHECK(strong == kernel->symbol("getrandom", "LINUX_2.6"));
  CHECK(kernel->symbol("__vdso_getrandom", "LINUX_2.5") == nullptr);
  CHECK(kernel->symbol("no_such_function", "LINUX_2.6") == nullptr);
}

TEST_CASE("the built image and the kernel vDSO both serve random bytes through one API") {
  auto built = open_built_image();
  auto kernel = open_kernel_getrandom_or_skip();
  for (LoadedImage* image : {built.get(), kernel.get()}) {
    INFO((image->is_kernel() ? "kernel vDSO" : "built image"));
    const auto [first, second] = two_draws(*image);
    CHECK_FALSE(all_zero(first));
    CHECK_FALSE(all_zero(second));
    CHECK(first != second);

    std::vector<uint8_t> helper_bytes(48);
    CHECK(vdsoforge::getrandom(*image, helper_bytes.data(), helper_bytes.size(), 0) == 48);
    CHECK_FALSE(all_zero(helper_bytes));
  }
}

TEST_CASE("both images answer the parameter query the same way") {
  auto built = open_built_image();
  auto kernel = open_kernel_getrandom_or_skip();
  vdsoforge::abi::VgetrandomOpaqueParams from_built{}, from_kernel{};
  CHECK(built->getrandom()(nullptr, 0, 0, &from_built, ~0UL) == 0);
  CHECK(kernel->getrandom()(nullptr, 0, 0, &from_kernel, ~0UL) == 0);
  CHECK(std::memcmp(&from_built, &from_kernel, sizeof(from_built)) == 0);
  CHECK(from_built.size_of_opaque_state == 144);
}
