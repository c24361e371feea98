#include "compat/layout_checks.h"

#include "vdsoforge/hex.h"
#include "vdsoforge/layout_profiles.h"

namespace vdsoforge::tools::compat {
namespace {

constexpr uint64_t kPage = 0x1000;

std::string below(uint64_t distance) { return "base - " + hex(distance); }

std::string below_or_none(const std::optional<uint64_t>& distance) {
  return distance ? below(*distance) : "none (no time-namespace indirection)";
}

// The start of the page holding the byte at `distance` below the image.
uint64_t page_start(uint64_t distance) { return (distance + kPage - 1) / kPage * kPage; }

LayoutSide profile_side(const layout::Profile& p, std::string basis) {
  LayoutSide side{
      .known = true, .basis = std::move(basis), .rng_distance = layout::rng_distance(p)};
  if (p.has_timens_indirection) {
    side.clock_mode_distance = layout::clock_mode_distance(p);
    side.timens_page_distance = layout::timens_page_distance(p);
  }
  return side;
}

LayoutSide unknown_side(std::string why) {
  return LayoutSide{.known = false, .why_unknown = std::move(why)};
}

std::string code_basis(const DetectedLayout& code) {
  return "its code (profile " + code.profile_name() + ", " +
         std::string(confidence_name(code.confidence)) + ")";
}

struct LayoutCheck {
  const char* id;
  const char* title;
  std::string image, reference;
  std::string consequence;  // why a difference matters, for this pair of values
};

report::Check to_check(const LayoutCheck& c, bool determined,
                       const std::string& undetermined_reason) {
  report::Check check{.id = c.id,
                      .group = "layout",
                      .title = c.title,
                      .pass = determined && c.image == c.reference,
                      .determined = determined,
                      .expected = c.reference,
                      .actual = c.image};
  if (!determined)
    check.detail = undetermined_reason;
  else if (!check.pass)
    check.detail = c.consequence;
  return check;
}

std::string rng_consequence(const LayoutSide& image, const LayoutSide& reference) {
  return "the image reads generation and is_ready at " + below(image.rng_distance) +
         ", where this kernel keeps other data (its rng data is at " +
         below(reference.rng_distance) +
         "): depending on those bytes the image goes to the system call on every call, or "
         "keeps serving from a key the kernel has retired (no reseed, not even after a VM fork)";
}

std::string clock_mode_consequence(const LayoutSide& image, const LayoutSide& reference) {
  if (!image.clock_mode_distance && !reference.clock_mode_distance) return "";
  if (!image.clock_mode_distance)
    return "the image never checks for a time namespace, but this kernel maps the namespace's "
           "page over the vvar page inside one (clock mode at " +
           below(*reference.clock_mode_distance) +
           "): in a time namespace the image reads its rng data from the wrong page";
  if (!reference.clock_mode_distance)
    return "the image checks for a time namespace at " + below(*image.clock_mode_distance) +
           ", a word this kernel does not keep there (it never swaps the rng data's page): "
           "whenever that word reads as VDSO_CLOCKMODE_TIMENS the image reads its rng data from "
           "another page";
  return "the image looks for VDSO_CLOCKMODE_TIMENS at " + below(*image.clock_mode_distance) +
         ", this kernel keeps the clock mode at " + below(*reference.clock_mode_distance) +
         ": inside a time namespace the image misses the page swap and reads the namespace's "
         "page as rng data";
}

std::string timens_consequence(const LayoutSide& image, const LayoutSide& reference) {
  if (!image.timens_page_distance && !reference.timens_page_distance) return "";
  if (!image.timens_page_distance)
    return "the image has no time-namespace path; inside a time namespace this kernel keeps the "
           "rng data's page at " +
           below(*reference.timens_page_distance) + ", which the image never reads";
  if (!reference.timens_page_distance)
    return "the image would read its rng data through " + below(*image.timens_page_distance) +
           " inside a time namespace; this kernel never moves the rng data there";
  return "inside a time namespace the image reads its rng data through " +
         below(*image.timens_page_distance) +
         ", but there this kernel moves the vvar page, and the rng data with it, to " +
         below(*reference.timens_page_distance) +
         ": the image reads another page's bytes as generation and is_ready";
}

}  // namespace

std::string judged_by(const LayoutSide& side) {
  return side.known ? side.basis : "nothing it could read (" + side.why_unknown + ")";
}

LayoutSide image_layout_side(const ElfImage& image, const DetectedLayout& code) {
  if (code.known()) {
    LayoutSide side{.known = true, .basis = code_basis(code), .rng_distance = code.rng_distance};
    side.clock_mode_distance = code.clock_mode_distance;
    if (code.timens_delta) {
      side.timens_page_distance = page_start(code.rng_distance - *code.timens_delta);
    } else if (code.profile && code.profile->has_timens_indirection) {
      // Pinned by the clock mode alone: the profile says where the page is.
      side.timens_page_distance = layout::timens_page_distance(*code.profile);
    }
    return side;
  }
  const auto& note = image.data_layout();
  if (!note) return unknown_side("its code: " + code.reason + "; and it has no data-layout note");
  LayoutSide side{.known = true,
                  .basis = "its data-layout note (its code: " + code.reason + ")",
                  .rng_distance = note->data_area_size - note->rng_data_offset};
  if (note->timens) {
    side.clock_mode_distance = note->data_area_size - note->timens->clock_mode_offset;
    side.timens_page_distance = note->data_area_size - note->timens->timens_page_offset;
  }
  return side;
}

LayoutSide reference_layout_side(const DetectedLayout& code, const layout::Profile* named) {
  if (named) return profile_side(*named, std::string("--reference-profile ") + named->name);
  if (code.confidence == LayoutConfidence::certain && code.profile)
    return profile_side(*code.profile, code_basis(code));
  // "unknown: <why>" or "partial: <why>" (the rng data found, no profile).
  return unknown_side(std::string(confidence_name(code.confidence)) + ": " + code.reason);
}

void add_layout_checks(const LayoutSide& image, const LayoutSide& reference,
                       std::vector<report::Check>& checks) {
  const bool determined = image.known && reference.known;
  std::string undetermined_reason;
  if (!reference.known)
    undetermined_reason = "the reference kernel's data layout cannot be determined (" +
                          reference.why_unknown + "); name it with --reference-profile";
  else if (!image.known)
    undetermined_reason =
        "the image's data layout cannot be determined (" + image.why_unknown + ")";
  const auto value = [](const LayoutSide& side, const std::string& known_value) {
    return side.known ? known_value : std::string("unknown");
  };

  const LayoutCheck rng{"layout.rng_data", "where the rng data (generation, is_ready) lies",
                        value(image, below(image.rng_distance)),
                        value(reference, below(reference.rng_distance)),
                        determined ? rng_consequence(image, reference) : ""};
  checks.push_back(to_check(rng, determined, undetermined_reason));

  // The clock mode and the timens page matter only where one side has the
  // pre-6.15 indirection (its code checks, or its kernel swaps, pages).
  const bool indirection = (image.known && image.clock_mode_distance) ||
                           (reference.known && reference.clock_mode_distance);
  if (!indirection) return;
  const LayoutCheck clock{"layout.clock_mode",
                          "where the clock mode checked for a time namespace lies",
                          value(image, below_or_none(image.clock_mode_distance)),
                          value(reference, below_or_none(reference.clock_mode_distance)),
                          determined ? clock_mode_consequence(image, reference) : ""};
  checks.push_back(to_check(clock, determined, undetermined_reason));
  const LayoutCheck timens{"layout.timens_page",
                           "the page the rng data is read through inside a time namespace",
                           value(image, below_or_none(image.timens_page_distance)),
                           value(reference, below_or_none(reference.timens_page_distance)),
                           determined ? timens_consequence(image, reference) : ""};
  checks.push_back(to_check(timens, determined, undetermined_reason));
}

}  // namespace vdsoforge::tools::compat
