// The report and header generators never crash or misbehave on damaged
// images: every byte of the image's metadata is flipped in turn, and
// whatever still parses is compared, rendered and embedded (in-process, so
// the sanitizer build sees every access).
#include <elf.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "abi_compare.h"
#include "abi_report.h"
#include "embed_header.h"
#include "tool_runner.h"
#include "vdsoforge/elf_image.h"

using namespace vdsoforge;

TEST_CASE("abi and embed survive every single-byte corruption of the image's metadata") {
  const auto pristine = abi_test::read_bytes(VDSOFORGE_TEST_IMAGE);
  Error err;
  const auto reference = ElfImage::parse(pristine, ParseMode::inspect, err);
  REQUIRE(reference);
  // Everything before .text: headers, hash tables, symbols, versions,
  // dynamic section, notes and unwind tables.
  const auto text = std::find_if(reference->sections().begin(), reference->sections().end(),
                                 [](const Section& s) { return s.name == ".text"; });
  REQUIRE(text != reference->sections().end());
  const size_t metadata_end = text->offset;
  REQUIRE(metadata_end > sizeof(Elf64_Ehdr));

  size_t parsed = 0, incompatible = 0;
  for (size_t offset = 0; offset < metadata_end; ++offset) {
    for (uint8_t flip : {uint8_t{0xff}, uint8_t{0x01}}) {
      auto bytes = pristine;
      bytes[offset] ^= flip;
      Error inspect_err;
      const auto image = ElfImage::parse(bytes, ParseMode::inspect, inspect_err);
      if (!image) {
        CHECK(!inspect_err.message.empty());  // a refusal always says why
        continue;
      }
      ++parsed;
      tools::abi::Report report;
      tools::abi::compare(*image, *reference, report);
      CHECK(!report.checks.empty());
      if (!report.compatible()) ++incompatible;
      CHECK(!tools::abi::render_text(report).empty());
      CHECK(tools::abi::to_json(report).at("summary").at("checks") == report.checks.size());

      Error strict_err;
      if (const auto strict = ElfImage::parse(bytes, ParseMode::strict, strict_err)) {
        std::string header, error;
        if (!tools::generate_embed_header(*strict, {.source_name = "x.so", .prefix = "x"}, header,
                                          error)) {
          CHECK(!error.empty());
        }
      }
    }
  }
  // Sanity: the loop really exercised both outcomes.
  CHECK(parsed > 0);
  CHECK(incompatible > 0);
}
