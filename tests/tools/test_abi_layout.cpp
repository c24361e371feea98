// `vdsoforge dump` and `vdsoforge abi` report the data layout each vDSO's
// code reads, and cross-check it: with the mapped [vvar*] sizes (dump) and
// with the image's own data-layout note (abi).
#include <catch2/catch.hpp>
#include <cstring>

#include "abi_fixtures.h"
#include "image_bytes.h"
#include "skip.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/image_defaults.h"
#include "vdsoforge/kernel_vdso.h"
#include "vdsoforge/layout_detect.h"

using namespace abi_test;
using namespace test_support;

namespace {

// The profile the detector library derives from the live kernel's vDSO,
// independently of the tool's process.
std::string live_kernel_profile() {
  vdsoforge::ElfError parse_err;
  vdsoforge::Error err;
  const auto bytes = vdsoforge::kernel_vdso_bytes(err);
  REQUIRE_FALSE(bytes.empty());
  const auto elf = vdsoforge::ElfImage::parse(bytes, vdsoforge::ParseMode::inspect, parse_err);
  REQUIRE(elf);
  return vdsoforge::detect_data_layout(*elf).profile_name();
}

}  // namespace

TEST_CASE("dump names the kernel's profile and finds it matches the mapped data pages") {
  require_kernel_getrandom();
  TempDir dir;
  const ToolResult result = run_tool({"dump", "-o", dir.path("vdso.so").string()});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const std::string profile = live_kernel_profile();
  REQUIRE(profile.starts_with("linux-"));
  CHECK(result.out.find("profile " + profile + ", certain") != std::string::npos);
  CHECK(result.out.find(profile + "-style mappings") != std::string::npos);
  CHECK(result.out.find(": match\n") != std::string::npos);
  CHECK(result.out.find("MISMATCH") == std::string::npos);
}

TEST_CASE("abi --json reports both sides' detected layouts and the note's agreement") {
  require_kernel_getrandom();
  TempDir dir;
  const std::string dump = dir.path("vdso.so").string();
  REQUIRE(run_tool({"dump", "-o", dump}).exit_code == 0);
  const ToolResult result = run_tool({"abi", "--json", VDSOFORGE_TEST_IMAGE, "--reference", dump});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.out);
  const auto& image = report.at("data_layout").at("image");
  const auto& reference = report.at("data_layout").at("reference");
  // The default build's area is a kernel's (Linux 6.15+ maps the same): the
  // detector names the profile that reads the rng data at the same distance.
  const vdsoforge::layout::Profile* same_distance = nullptr;
  for (const vdsoforge::layout::Profile* p : vdsoforge::layout::kProfiles)
    if (!p->has_timens_indirection &&
        vdsoforge::layout::rng_distance(*p) == vdsoforge::default_image::kRngDataBelowImage)
      same_distance = p;
  REQUIRE(same_distance != nullptr);
  CHECK(image.at("profile") == same_distance->name);
  CHECK(image.at("confidence") == "certain");
  CHECK(image.at("note_agrees") == true);
  CHECK(image.at("rng_distance") == vdsoforge::default_image::kRngDataBelowImage);
  CHECK(reference.at("profile") == live_kernel_profile());
  CHECK(reference.at("note").is_null());
  CHECK(reference.at("note_agrees").is_null());
  // The time data as its checks judged it: the default image keeps its
  // records at its area's first byte, and reads no paravirtual page.
  const auto& image_time = image.at("time");
  CHECK(image_time.at("time_data").at("state") == "found");
  CHECK(image_time.at("time_data").at("values") ==
        nlohmann::json::array({image.at("note").at("data_area_size")}));
  CHECK(image_time.at("pvclock_page").at("state") == "absent");
  CHECK(image_time.at("tail").at("values").size() == 2);
  CHECK(reference.at("time").at("time_data").at("values") ==
        image_time.at("time_data").at("values"));
  CHECK(reference.at("time").at("tail").at("values").size() == 1);
  // An image without time functions has none to describe.
  const ToolResult only =
      run_tool({"abi", "--json", VDSOFORGE_TEST_GETRANDOM_ONLY_IMAGE, "--reference", dump});
  CHECK(nlohmann::json::parse(only.out).at("data_layout").at("image").at("time").is_null());
}

TEST_CASE("abi says when an image's note and its code disagree") {
  TempDir dir;
  // Move the note's rng offset one page up: the code still reads base - 0x4000.
  const std::string image = broken_image(dir, "lying-note.so", [](Bytes& bytes) {
    vdsoforge::ElfError err;
    const auto elf = vdsoforge::ElfImage::parse(bytes, vdsoforge::ParseMode::strict, err);
    REQUIRE(elf);
    for (const vdsoforge::Note& note : elf->notes()) {
      if (note.owner != "vdsoforge") continue;
      // Record header (12) + "vdsoforge\0" padded to 12, then the descriptor:
      // format, page_size, data_area_size, rng_data_offset.
      const uint64_t rng_offset_at = note.offset + 12 + 12 + 12;
      uint32_t offset = 0;
      std::memcpy(&offset, bytes.data() + rng_offset_at, sizeof offset);
      offset += 0x1000;
      std::memcpy(bytes.data() + rng_offset_at, &offset, sizeof offset);
    }
  });
  const ToolResult result = run_tool({"abi", image, "--reference", VDSOFORGE_TEST_IMAGE});
  INFO(result.out << result.err);
  CHECK(result.out.find("its data-layout note says base - 0x3000: DISAGREES") != std::string::npos);
}

TEST_CASE("run loads a dumped kernel vDSO under the emulated data page and draws from it") {
  require_kernel_getrandom();
  TempDir dir;
  const std::string dump = dir.path("vdso.so").string();
  REQUIRE(run_tool({"dump", "-o", dump}).exit_code == 0);
  const ToolResult result = run_tool({"run", dump, "-n", "64", "--hex", "--mode", "manual"});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("no data-layout note; from its code: rng data at base - ") !=
        std::string::npos);
  CHECK(result.out.find("profile " + live_kernel_profile() + ", certain") != std::string::npos);
  CHECK(result.out.find("random bytes (64") != std::string::npos);
}

TEST_CASE("abi judges each profile image's data layout against Debian's 6.12 kernel") {
  const std::string kernel = kernel_fixture_path(kDebian612Vdso);
  const auto abi = [&](const std::string& image) {
    return run_tool({"abi", image, "--reference", kernel});
  };
  SECTION("linux-6.11: where 6.12 keeps everything") {
    const ToolResult result = abi(profile_image_path("linux-6.11"));
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("PASS layout.rng_data: image base - 0x3d80 | reference base - 0x3d80") !=
          std::string::npos);
    CHECK(
        result.out.find("PASS layout.clock_mode: image base - 0x3f7c | reference base - 0x3f7c") !=
        std::string::npos);
    CHECK(
        result.out.find("PASS layout.timens_page: image base - 0x1000 | reference base - 0x1000") !=
        std::string::npos);
    // Its time functions read where 6.12 keeps the time data, every page of it.
    for (const char* line :
         {"PASS layout.time_data: image base - 0x3f80 | reference base - 0x3f80",
          "PASS layout.time_record_shape: image 248 bytes apart (struct vdso_data[2]",
          "PASS layout.time_tail: image record 0 + 232 | reference record 0 + 232",
          "PASS layout.time_timens_page: image base - 0x1000 | reference base - 0x1000",
          "PASS layout.pvclock_page: image base - 0x3000 | reference base - 0x3000",
          "PASS layout.hvclock_page: image base - 0x2000 | reference base - 0x2000"})
      CHECK(result.out.find(line) != std::string::npos);
    CHECK(result.out.find("Result: COMPATIBLE") != std::string::npos);
  }
  SECTION("the default image: rng data one 6.15 page away") {
    const ToolResult result = abi(VDSOFORGE_TEST_IMAGE);
    INFO(result.out << result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out.find("FAIL layout.rng_data: image base - 0x4000 | reference base - 0x3d80 -- "
                          "the image reads generation and is_ready at base - 0x4000") !=
          std::string::npos);
    CHECK(result.out.find("FAIL layout.clock_mode: image none") != std::string::npos);
    CHECK(result.out.find("Result: INCOMPATIBLE") != std::string::npos);
  }
  SECTION("linux-6.13: same rng data, the clock mode and the timens page elsewhere") {
    const ToolResult result = abi(profile_image_path("linux-6.13"));
    INFO(result.out << result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out.find("PASS layout.rng_data") != std::string::npos);
    CHECK(
        result.out.find("FAIL layout.clock_mode: image base - 0x3ffc | reference base - 0x3f7c") !=
        std::string::npos);
    CHECK(
        result.out.find("FAIL layout.timens_page: image base - 0x3000 | reference base - 0x1000") !=
        std::string::npos);
    // Its time functions read 6.13's pages: the records one step up, the
    // namespace page and the paravirtual clock pages elsewhere.
    CHECK(result.out.find("FAIL layout.time_data: image base - 0x4000 | reference base - 0x3f80") !=
          std::string::npos);
    CHECK(result.out.find(
              "FAIL layout.time_timens_page: image base - 0x3000 | reference base - 0x1000") !=
          std::string::npos);
    CHECK(result.out.find("FAIL layout.pvclock_page: image base - 0x2000 | reference base - "
                          "0x3000") != std::string::npos);
    CHECK(result.out.find("FAIL layout.hvclock_page: image base - 0x1000 | reference base - "
                          "0x2000") != std::string::npos);
    CHECK(result.out.find("PASS layout.time_record_shape: image 248 bytes apart") !=
          std::string::npos);
    CHECK(result.out.find("PASS layout.time_tail: image record 0 + 232 | reference record 0 + "
                          "232") != std::string::npos);
    CHECK(result.out.find("Result: INCOMPATIBLE - 6 of") != std::string::npos);
  }
}

TEST_CASE("abi refuses a --reference-profile the reference's own code contradicts") {
  const ToolResult result =
      run_tool({"abi", profile_image_path("linux-6.13"), "--reference",
                kernel_fixture_path(kDebian612Vdso), "--reference-profile", "linux-6.13"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("--reference-profile linux-6.13 contradicts the reference's code") !=
        std::string::npos);
  CHECK(result.err.find("profile linux-6.11, certain") != std::string::npos);
}

TEST_CASE("abi against the live kernel: images of its own layout pass, the others fail by layout") {
  require_kernel_getrandom();
  const std::string live = live_kernel_profile();
  for (const vdsoforge::layout::Profile* p : vdsoforge::layout::kProfiles) {
    INFO(p->name);
    const ToolResult result = run_tool({"abi", profile_image_path(p->name)});
    INFO(result.out << result.err);
    if (live == p->name) {
      CHECK(result.exit_code == 0);
      CHECK(result.out.find("PASS layout.rng_data") != std::string::npos);
    } else {
      CHECK(result.exit_code == 1);
      CHECK(result.out.find("FAIL layout.") != std::string::npos);
      // Every profile keeps its clock records at its own distance.
      CHECK(result.out.find("FAIL layout.time_data: image base - ") != std::string::npos);
    }
  }
}

TEST_CASE("abi fails layout.time_tail of an image whose clock_getres() reads it too far") {
  TempDir dir;
  const Bytes original = built_image();
  // The default image's explicit area keeps the time data at its first byte.
  const uint64_t record0 = parse_valid(original).data_layout()->data_area_size;
  const std::string image =
      broken_image(dir, "tail-up.so", [&](Bytes& bytes) { move_getres_tail_up(bytes, record0); });
  for (const bool live : {false, true}) {
    INFO((live ? "against the running kernel" : "against the unaltered image"));
    if (live) require_kernel_getrandom();
    const ToolResult result = live ? run_tool({"abi", image})
                                   : run_tool({"abi", image, "--reference", VDSOFORGE_TEST_IMAGE});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out.find("FAIL layout.time_tail: image record 0 + 464 or + 2336 (picked at run "
                          "time) | reference record 0 + ") != std::string::npos);
    // Nothing else fails: the records themselves are read where they are.
    CHECK(result.out.find("INCOMPATIBLE - 1 of ") != std::string::npos);
    CHECK(result.out.find("\nTime data, from each side's time functions' code") !=
          std::string::npos);
    CHECK(result.out.find("\n  image:     clock records at base - 0x6000, 232 bytes apart; tail "
                          "at record 0 + 464 or + 2336 (picked at run time)") != std::string::npos);
  }
}

TEST_CASE("abi: the adaptive tail passes against 6.15/6.16 and 6.17+ kernels' code alike") {
  // The running kernel's vDSO in two versions: as it reads hrtimer_res (at
  // record 0 + 2328 on 6.17+, + 472 on 6.15/6.16) and with that read moved
  // to the other generation's place.  The default and linux-6.15 images
  // read the tail at either place; the check finds the kernel's among them.
  require_kernel_getrandom();
  Bytes kernel = kernel_vdso();
  const vdsoforge::DetectedLayout rng = vdsoforge::detect_data_layout(parse_valid(kernel));
  if (rng.profile != &vdsoforge::layout::kLinux615)
    vdsoforge_skip("the running kernel's vDSO does not have the 6.15+ time data");
  const FunctionBytes getres = function_bytes(kernel, "__vdso_clock_getres");
  Bytes other = kernel;
  const bool is_617 = replace_int32(other, getres, 2328, 472) == 1;
  if (!is_617) REQUIRE(replace_int32(other, getres, 472, 2328) == 1);
  TempDir dir;
  const std::string late = dir.path("6.17.so").string(), early = dir.path("6.16.so").string();
  write_file(late, is_617 ? kernel : other);
  write_file(early, is_617 ? other : kernel);
  for (const std::string& image :
       {std::string(VDSOFORGE_TEST_IMAGE), profile_image_path("linux-6.15")}) {
    for (const auto& [reference, tail] : {std::pair{late, "2320"}, std::pair{early, "464"}}) {
      INFO(image << " against " << reference);
      const ToolResult result = run_tool({"abi", "--json", image, "--reference", reference});
      INFO(result.out << result.err);
      CHECK(result.exit_code == 0);
      const auto report = nlohmann::json::parse(result.out);
      const auto& check = find_check(report, "layout.time_tail");
      CHECK(check.at("outcome") == "pass");
      CHECK(check.at("image") == "record 0 + 464 or + 2320 (picked at run time)");
      CHECK(check.at("reference") == std::string("record 0 + ") + tail);
      // What it cannot tell is said, not passed over.
      CHECK(check.at("detail").get<std::string>().find("decided at run time") != std::string::npos);
    }
  }
  // An image of the older layout fails against both.
  for (const std::string& reference : {late, early}) {
    const ToolResult result =
        run_tool({"abi", profile_image_path("linux-6.11"), "--reference", reference});
    CHECK(result.exit_code == 1);
    CHECK(result.out.find("FAIL layout.time_tail: image record 0 + 232 | reference") !=
          std::string::npos);
  }
}
