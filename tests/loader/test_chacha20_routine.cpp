// The loader's load-time choice of the image's ChaCha20 routine: the note it
// reads, the jump it patches, what forces a routine, and that every routine
// gives the same bytes from the same state.
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "loader_test_support.h"
#include "vdsoforge/loader.h"

namespace {

using namespace loader_test;
using vdsoforge::Chacha20Routine;

constexpr std::array kRoutines = {Chacha20Routine::sse2, Chacha20Routine::avx2,
                                  Chacha20Routine::avx512};

// States are 256-aligned below: 144 bytes that never straddle a page (the
// image refuses those with -EFAULT).

Chacha20Routine best_supported() {
  Chacha20Routine best = Chacha20Routine::sse2;
  for (Chacha20Routine r : kRoutines)
    if (vdsoforge::cpu_supports(r)) best = r;
  return best;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::unique_ptr<vdsoforge::LoadedImage> open_with(Chacha20Routine routine, vdsoforge::Error& err) {
  vdsoforge::OpenOptions options = manual_options();
  options.chacha20 = routine;
  // Only the ChaCha20 jump may differ from the file: the time functions'
  // rdtscp/rdpid patches (tests/time) stay off here.
  options.cpu_patches = false;
  return vdsoforge::LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, options);
}

}  // namespace

TEST_CASE("the image's note lists the three routines and a jump to SSE2") {
  const auto file = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  vdsoforge::ElfError err;
  auto elf = vdsoforge::ElfImage::parse(file, vdsoforge::ParseMode::strict, err);
  REQUIRE(elf);
  const auto table = vdsoforge::read_chacha20_routines(*elf, err);
  INFO(err.message);
  REQUIRE(table);
  REQUIRE(table->routines.size() == 3);
  CHECK(table->routines[0].routine == Chacha20Routine::sse2);
  CHECK(table->routines[1].routine == Chacha20Routine::avx2);
  CHECK(table->routines[2].routine == Chacha20Routine::avx512);
  CHECK(file[table->site] == 0xe9);
}

TEST_CASE("without being told the loader patches in the best routine the CPU runs") {
  ScopedEnv no_env(vdsoforge::kChachaEnvVar, nullptr);
  auto image = open_built_image();
  REQUIRE(image->chacha20_routine() == best_supported());
}

TEST_CASE("a forced routine changes exactly the jump's rel32 and reaches the routine") {
  const auto file = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  vdsoforge::ElfError parse_err;
  vdsoforge::Error err;
  auto elf = vdsoforge::ElfImage::parse(file, vdsoforge::ParseMode::strict, parse_err);
  REQUIRE(elf);
  const auto table = vdsoforge::read_chacha20_routines(*elf, parse_err);
  REQUIRE(table);
  for (Chacha20Routine routine : kRoutines) {
    if (!vdsoforge::cpu_supports(routine)) continue;
    INFO("routine " << vdsoforge::chacha20_routine_name(routine));
    auto image = open_with(routine, err);
    INFO(err.message);
    REQUIRE(image);
    CHECK(image->chacha20_routine() == routine);
    const auto* text = reinterpret_cast<const uint8_t*>(image->base());
    const size_t size = image->elf().load_segment().filesz;
    for (size_t i = 0; i < size; ++i) {
      if (i > table->site && i < table->site + 5) continue;
      if (text[i] != file[i]) FAIL("byte " << i << " differs from the file");
    }
    int32_t rel32;
    std::memcpy(&rel32, text + table->site + 1, sizeof rel32);
    CHECK(static_cast<int64_t>(table->site) + 5 + rel32 ==
          static_cast<int64_t>(table->find(routine)->entry));
  }
}

TEST_CASE("every routine produces the same bytes and state from the same state") {
  // One state, copied: each routine's image serves the same requests from its
  // own copy; outputs and final states must agree byte for byte.
  vdsoforge::Error err;
  std::vector<std::unique_ptr<vdsoforge::LoadedImage>> images;
  for (Chacha20Routine routine : kRoutines) {
    if (!vdsoforge::cpu_supports(routine)) continue;
    images.push_back(open_with(routine, err));
    REQUIRE(images.back());
    images.back()->data_page()->set_generation(7);
    images.back()->data_page()->set_ready(true);
  }
  REQUIRE(!images.empty());
  alignas(256) std::array<uint8_t, 144> seed_state{};
  REQUIRE(images[0]->getrandom()(nullptr, 0, 0, nullptr, 144) == 0);  // len 0: no state touched
  std::vector<uint8_t> scratch(1);
  REQUIRE(images[0]->getrandom()(scratch.data(), 1, 0, seed_state.data(), 144) == 1);  // reseed
  for (size_t len : {1u, 4u, 95u, 96u, 97u, 128u, 200u, 1000u, 4096u, 5000u, 65536u, 100003u}) {
    INFO("len " << len);
    std::vector<uint8_t> first_output;
    alignas(256) std::array<uint8_t, 144> first_state{};
    for (auto& image : images) {
      alignas(256) std::array<uint8_t, 144> state = seed_state;
      std::vector<uint8_t> out(len + 7);
      // An odd destination offset as well.
      REQUIRE(image->getrandom()(out.data() + 7, len, 0, state.data(), 144) ==
              static_cast<long>(len));
      out.erase(out.begin(), out.begin() + 7);
      if (first_output.empty()) {
        first_output = out;
        first_state = state;
        continue;
      }
      INFO("routine " << vdsoforge::chacha20_routine_name(*image->chacha20_routine()));
      CHECK(out == first_output);
      CHECK(state == first_state);
    }
    // Continue the next length from where SSE2 left the state.
    seed_state = first_state;
  }
}

TEST_CASE("VDSOFORGE_CHACHA forces a routine unless the API names one") {
  {
    ScopedEnv env(vdsoforge::kChachaEnvVar, "sse2");
    auto image = open_built_image();
    CHECK(image->chacha20_routine() == Chacha20Routine::sse2);
  }
  if (vdsoforge::cpu_supports(Chacha20Routine::avx2)) {
    ScopedEnv env(vdsoforge::kChachaEnvVar, "avx2");
    CHECK(open_built_image()->chacha20_routine() == Chacha20Routine::avx2);
    vdsoforge::Error err;
    auto image = open_with(Chacha20Routine::sse2, err);
    REQUIRE(image);
    CHECK(image->chacha20_routine() == Chacha20Routine::sse2);
  }
  {
    ScopedEnv env(vdsoforge::kChachaEnvVar, "auto");
    CHECK(open_built_image()->chacha20_routine() == best_supported());
  }
}

TEST_CASE("a bad VDSOFORGE_CHACHA fails the open and names the variable") {
  ScopedEnv env(vdsoforge::kChachaEnvVar, "avx1024");
  vdsoforge::Error err;
  auto image = vdsoforge::LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, manual_options());
  CHECK(image == nullptr);
  CHECK(err.code == vdsoforge::LoaderErrc::invalid_argument);
  CHECK(err.message.find("VDSOFORGE_CHACHA=avx1024") != std::string::npos);
}

TEST_CASE("an image without the note runs as linked and refuses a forced routine") {
  // Renaming the note's type hides it: the image runs its unpatched SSE2.
  auto bytes = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  vdsoforge::ElfError parse_err;
  vdsoforge::Error err;
  {
    auto elf = vdsoforge::ElfImage::parse(bytes, vdsoforge::ParseMode::strict, parse_err);
    REQUIRE(elf);
    bool renamed = false;
    for (const auto& note : elf->notes()) {
      if (note.owner == "vdsoforge" && note.type == 2) {
        const uint32_t other_type = 0x7f;
        std::memcpy(bytes.data() + note.offset + 8, &other_type, sizeof other_type);
        renamed = true;
      }
    }
    REQUIRE(renamed);
  }
  auto image = vdsoforge::LoadedImage::open_memory(bytes, err, manual_options());
  REQUIRE(image);
  CHECK_FALSE(image->chacha20_routine().has_value());
  image->data_page()->set_ready(true);
  alignas(256) std::array<uint8_t, 144> state{};
  std::vector<uint8_t> out(1000);
  CHECK(image->getrandom()(out.data(), out.size(), 0, state.data(), 144) == 1000);

  vdsoforge::OpenOptions options = manual_options();
  options.chacha20 = Chacha20Routine::sse2;
  CHECK(vdsoforge::LoadedImage::open_memory(bytes, err, options) == nullptr);
  CHECK(err.code == vdsoforge::LoaderErrc::not_supported);
}

TEST_CASE("a note whose jump is not where it says is refused") {
  auto bytes = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  vdsoforge::ElfError parse_err;
  vdsoforge::Error err;
  {
    auto elf = vdsoforge::ElfImage::parse(bytes, vdsoforge::ParseMode::strict, parse_err);
    REQUIRE(elf);
    const auto table = vdsoforge::read_chacha20_routines(*elf, parse_err);
    REQUIRE(table);
    bytes[table->site] = 0x90;  // no longer a jump
  }
  auto image = vdsoforge::LoadedImage::open_memory(bytes, err, manual_options());
  CHECK(image == nullptr);
  CHECK(err.code == vdsoforge::Errc::bad_note);
  CHECK(err.message.find("dispatch") != std::string::npos);
}
