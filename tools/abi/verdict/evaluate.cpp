#include "verdict/evaluate.h"

#include "compat/time_layout_checks.h"
#include "consumers/consumer_report.h"

namespace vdsoforge::tools::verdict {

namespace {

// An input that could not be read.  The image is the command's own input; a
// reference file is named as such (the kernel's vDSO names itself).
Failure unreadable(const char* which, const Input& input) {
  const bool reference_file = std::string_view(which) == "reference" && !input.info.running_kernel;
  return Failure{.input = which,
                 .code = input.error_code,
                 .message = input.error_message,
                 .text = (reference_file ? "reference " : "") + input.error_message + " (" +
                         input.error_code + ")"};
}

// A named profile the reference's own code contradicts is a mistake in the
// command line, not a verdict on the image.
std::optional<Failure> contradiction(const DetectedLayout& reference_code,
                                     const layout::Profile* named) {
  if (named == nullptr || reference_code.confidence != LayoutConfidence::certain ||
      reference_code.profile == named)
    return std::nullopt;
  const std::string message = std::string("--reference-profile ") + named->name +
                              " contradicts the reference's code: " + describe(reference_code);
  return Failure{
      .input = "reference", .code = "profile_contradicted", .message = message, .text = message};
}

SideLayout side_layout(const ElfImage& elf) {
  return SideLayout{
      .code = detect_data_layout(elf), .note = elf.data_layout(), .judged = {}, .time = {}};
}

}  // namespace

Verdict evaluate(const Input& image, const Input& reference, const Options& options) {
  Verdict verdict{.image = image.info, .reference = reference.info};
  if (!image.elf) {
    verdict.failure = unreadable("image", image);
    return verdict;
  }
  if (!reference.elf) {
    verdict.failure = unreadable("reference", reference);
    return verdict;
  }

  SideLayout image_layout = side_layout(*image.elf);
  SideLayout reference_layout = side_layout(*reference.elf);
  verdict.failure = contradiction(reference_layout.code, options.reference_profile);
  if (verdict.failure) return verdict;

  compat::Comparison comparison = compat::compare(*image.elf, *reference.elf);
  verdict.checks = std::move(comparison.checks);
  verdict.not_provided = std::move(comparison.not_provided);
  image_layout.judged = compat::image_layout_side(*image.elf, image_layout.code);
  reference_layout.judged =
      compat::reference_layout_side(reference_layout.code, options.reference_profile);
  compat::add_layout_checks(image_layout.judged, reference_layout.judged, verdict.checks);
  image_layout.time = compat::image_time_side(*image.elf, detect_time_layout(*image.elf));
  reference_layout.time =
      compat::reference_time_side(detect_time_layout(*reference.elf), options.reference_profile);
  compat::add_time_layout_checks(image_layout.time, reference_layout.time, verdict.checks);
  verdict.image_layout = std::move(image_layout);
  verdict.reference_layout = std::move(reference_layout);

  if (options.consumers || !options.required_consumers.empty()) {
    verdict.consumers = consumers::evaluate_all(*image.elf);
    verdict.required_consumers = options.required_consumers;
    verdict.unmet_consumers =
        consumers::unmet_requirements(*verdict.consumers, options.required_consumers);
  }
  return verdict;
}

}  // namespace vdsoforge::tools::verdict
