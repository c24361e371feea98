#include "check/not_a_vdso.h"

#include <elf.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "vdsoforge/elf_outline.h"

namespace vdsoforge::tools {

std::optional<std::string> not_a_vdso_message(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  const std::optional<ElfOutline> outline = read_elf_outline(bytes);
  if (!outline) return std::nullopt;

  const size_t loads = outline->loads.size();
  const bool program = outline->type == ET_EXEC || !outline->interpreter.empty();
  if (loads <= 1 && outline->needed.empty() && !program) return std::nullopt;

  std::string evidence = path + " is not a vDSO: " + std::to_string(outline->program_header_count) +
                         " program headers, " + std::to_string(loads) + " loadable segment" +
                         (loads == 1 ? "" : "s") + " (a vDSO has one)";
  if (outline->type == ET_EXEC) evidence += ", e_type ET_EXEC";
  if (!outline->interpreter.empty()) evidence += ", PT_INTERP " + outline->interpreter;
  if (!outline->needed.empty()) {
    evidence += ", DT_NEEDED";
    for (const std::string& name : outline->needed)
      evidence += " " + (name.empty() ? "(unnamed)" : name);
  }
  return evidence;
}

RefusedInput why_refused(const std::string& path, RefusedInput refusal) {
  if (auto evidence = not_a_vdso_message(path)) return {kNotAVdsoCode, std::move(*evidence)};
  return refusal;
}

std::optional<ElfImage> inspect_file(const std::string& path, RefusedInput& refused) {
  ElfError err;
  auto image = ElfImage::parse_file(path, ParseMode::inspect, err);
  if (!image) {
    refused = why_refused(path, {std::string(errc_name(err.code)), err.message});
    return std::nullopt;
  }
  // A position-independent executable's tables may all read within bounds;
  // it is still a program, as its interpreter and DF_1_PIE say.
  const bool interpreted = std::any_of(image->segments().begin(), image->segments().end(),
                                       [](const Segment& s) { return s.type == PT_INTERP; });
  const bool pie = (image->dynamic_value(DT_FLAGS_1).value_or(0) & DF_1_PIE) != 0;
  if (interpreted && pie) {
    if (auto evidence = not_a_vdso_message(path)) {
      refused = {kNotAVdsoCode, std::move(*evidence)};
      return std::nullopt;
    }
  }
  return image;
}

}  // namespace vdsoforge::tools
