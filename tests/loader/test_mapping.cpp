// How the loader lays an image out in memory, checked from /proc/self/maps.
#include <cstring>

#include "loader_test_support.h"

using namespace loader_test;
using vdsoforge::Errc;
using vdsoforge::LoadedImage;

namespace {

constexpr const char* kDataMemfdName = "/memfd:vdsoforge-data (deleted)";

// A state seeded by the image carries the generation the image read from its
// data page, which is how the tests see what the image sees.
uint64_t generation_seen_by_image(LoadedImage& image) {
  auto getrandom = image.getrandom();
  REQUIRE(getrandom != nullptr);
  // 256-aligned: 144 bytes then never straddle a page (the image refuses that).
  alignas(256) vdsoforge::abi::VgetrandomState state{};
  uint8_t bytes[16];
  REQUIRE(getrandom(bytes, sizeof(bytes), 0, &state, sizeof(state)) == 16);
  return state.generation;
}

}  // namespace

TEST_CASE("the data area is read-only, shared and directly below the read+execute image") {
  auto image = open_built_image();
  const auto& layout = image->elf().data_layout();
  REQUIRE(layout.has_value());
  CHECK(image->data_area_size() == layout->data_area_size);
  CHECK(image->data_area_base() + image->data_area_size() == image->base());
  CHECK(image->base() % 4096 == 0);

  const auto text = mapping_at(image->base());
  REQUIRE(text.has_value());
  CHECK(text->perms == "r-xp");
  CHECK(text->start == image->base());
  CHECK(text->end == image->base() + image->image_size());

  // Every data page, up to the image, is a read-only view of the data memfd,
  // but for the timens page (the second, above the time page), which is
  // inaccessible outside a time namespace as the kernel faults on it.
  for (uintptr_t page = image->data_area_base(); page < image->base(); page += 4096) {
    const auto data = mapping_at(page);
    REQUIRE(data.has_value());
    const bool timens_slot = page == image->data_area_base() + 4096;
    CHECK(data->perms == (timens_slot ? "---s" : "r--s"));
    CHECK(data->name == kDataMemfdName);
  }
  const auto below = mapping_at(image->base() - 1);
  REQUIRE(below.has_value());
  CHECK(below->end == image->base());

  auto* page = image->data_page();
  REQUIRE(page != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(page->image_view()) ==
        image->data_area_base() + layout->rng_data_offset);
}

TEST_CASE("the loader's writable view of the data page is elsewhere and is the same memory") {
  auto image = open_built_image();
  std::vector<Mapping> writable_views;
  for (const auto& mapping : own_mappings())
    if (mapping.name == kDataMemfdName && mapping.perms == "rw-s")
      writable_views.push_back(mapping);
  REQUIRE(writable_views.size() == 1);
  const auto& view = writable_views.front();
  // The data area and, after it, the time namespace's own page.
  CHECK(view.end - view.start == image->data_area_size() + 4096);
  CHECK((view.end <= image->data_area_base() || view.start >= image->base() + image->image_size()));

  // A write through the loader's view shows through the image's view.
  auto* page = image->data_page();
  page->set_generation(0x1234567890abcdefULL);
  CHECK(page->image_view()->generation == 0x1234567890abcdefULL);
  CHECK(generation_seen_by_image(*image) == 0x1234567890abcdefULL);
}

TEST_CASE("no mapping is ever writable and executable") {
  auto first = open_built_image();
  auto second = open_built_image();
  for (const auto& mapping : own_mappings()) {
    INFO(std::hex << mapping.start << "-" << mapping.end << " " << mapping.perms << " "
                  << mapping.name);
    CHECK_FALSE((mapping.perms[1] == 'w' && mapping.perms[2] == 'x'));
  }
}

TEST_CASE("the mapped image holds the file's loadable bytes") {
  // With the SSE2 routine and no cpu patches the loader patches nothing: the
  // text is the file.  (test_chacha20_routine.cpp checks what patching
  // changes; tests/time the rdtscp/rdpid patches.)
  const auto file = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  vdsoforge::OpenOptions options = manual_options();
  options.chacha20 = vdsoforge::Chacha20Routine::sse2;
  options.cpu_patches = false;
  auto image = open_built_image(options);
  const auto& load = image->elf().load_segment();
  REQUIRE(load.filesz <= file.size());
  CHECK(std::memcmp(reinterpret_cast<const void*>(image->base()), file.data(), load.filesz) == 0);
}

TEST_CASE("closing an image unmaps its data area, its image and its writable view") {
  auto image = open_built_image();
  const uintptr_t low = image->data_area_base();
  const uintptr_t high = image->base() + image->image_size();
  size_t data_views = 0;
  for (const auto& mapping : own_mappings()) data_views += mapping.name == kDataMemfdName;
  // The image's read-only view (three mappings: the time page, the closed
  // timens slot, the rest) and the loader's writable one.
  CHECK(data_views == 4);

  image.reset();
  for (const auto& mapping : own_mappings()) {
    INFO(std::hex << mapping.start << "-" << mapping.end << " " << mapping.name);
    CHECK_FALSE((mapping.start < high && low < mapping.end));
    CHECK(mapping.name != kDataMemfdName);
  }
}

TEST_CASE("two images open at once have independent data pages") {
  auto first = open_built_image();
  auto second = open_built_image();
  CHECK(first->base() != second->base());
  first->data_page()->set_generation(5);
  second->data_page()->set_generation(9);
  CHECK(generation_seen_by_image(*first) == 5);
  CHECK(generation_seen_by_image(*second) == 9);
  second->data_page()->bump_generation();
  CHECK(generation_seen_by_image(*first) == 5);
  CHECK(generation_seen_by_image(*second) == 10);

  first.reset();  // closing one leaves the other working
  CHECK(generation_seen_by_image(*second) == 10);
}

TEST_CASE("an image opens from a memory buffer as from a file") {
  const auto file = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  vdsoforge::Error err;
  auto image = LoadedImage::open_memory(file, err, manual_options());
  INFO(err.message);
  REQUIRE(image != nullptr);
  CHECK(generation_seen_by_image(*image) == image->data_page()->generation());
}

TEST_CASE("an image without the data-layout note is refused before anything is mapped") {
  auto bytes = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  // The note record: namesz 10, descsz 16, type 1, "vdsoforge\0".  Renaming
  // its owner leaves a well-formed note the loader does not know.
  const uint8_t header[] = {10, 0,   0,   0,   16,  0,   0,   0,   1,   0,   0,
                            0,  'v', 'd', 's', 'o', 'f', 'o', 'r', 'g', 'e', 0};
  auto at = std::search(bytes.begin(), bytes.end(), std::begin(header), std::end(header));
  REQUIRE(at != bytes.end());
  at[12] = 'x';  // owner "xdsoforge"
  // Counted by kind, since the allocator (ASan's in particular) may map
  // memory of its own meanwhile: no data view and no executable mapping.
  const auto executable_mappings = [] {
    size_t count = 0;
    for (const auto& mapping : own_mappings()) count += mapping.perms[2] == 'x';
    return count;
  };
  const auto data_views = [] {
    size_t count = 0;
    for (const auto& mapping : own_mappings()) count += mapping.name == kDataMemfdName;
    return count;
  };
  const size_t executable_before = executable_mappings();

  vdsoforge::Error err;
  auto image = LoadedImage::open_memory(bytes, err, manual_options());
  CHECK(image == nullptr);
  CHECK(err.code == Errc::missing_data_layout_note);
  CHECK_FALSE(err.message.empty());
  CHECK(executable_mappings() == executable_before);
  CHECK(data_views() == 0);
}

TEST_CASE("a missing file is an io error naming the path") {
  vdsoforge::Error err;
  auto image = LoadedImage::open_file("/nonexistent/vdsoforge-image.so", err, manual_options());
  CHECK(image == nullptr);
  CHECK(err.code == Errc::io);
  CHECK(err.message.find("/nonexistent/vdsoforge-image.so") != std::string::npos);
}

TEST_CASE("symbols resolve to addresses inside the mapped image") {
  auto image = open_built_image();
  void* vdso_getrandom = image->symbol("__vdso_getrandom", "LINUX_2.6");
  void* weak_getrandom = image->symbol("getrandom", "LINUX_2.6");
  REQUIRE(vdso_getrandom != nullptr);
  CHECK(vdso_getrandom == weak_getrandom);
  const auto address = reinterpret_cast<uintptr_t>(vdso_getrandom);
  CHECK(address >= image->base());
  CHECK(address < image->base() + image->image_size());
  CHECK(image->symbol("__vdso_getrandom", "") == vdso_getrandom);  // "" = any version
  CHECK(image->symbol("__vdso_getrandom", "LINUX_2.5") == nullptr);
  CHECK(image->symbol("__vdso_vdsoforge_answer", "LINUX_2.6") == nullptr);
  const auto clock_gettime =
      reinterpret_cast<uintptr_t>(image->symbol("__vdso_clock_gettime", "LINUX_2.6"));
  CHECK(clock_gettime >= image->base());
  CHECK(clock_gettime < image->base() + image->image_size());
}
