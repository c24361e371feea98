// The data layout the detector derives from an image's code, for the tool's
// reports (`vdsoforge abi`): one text line, or a JSON object.  `note` is the
// image's own data-layout note (ElfImage::data_layout()), if it has one.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "vdsoforge/elf_image.h"
#include "vdsoforge/layout_detect.h"
#include "vdsoforge/time_layout_detect.h"

namespace vdsoforge::tools {

// {"confidence", "profile", "rng_distance", "timens_delta", "clock_mode_distance",
//  "reason", "note": {"format", "data_area_size", "rng_data_offset", "profile",
//  "timens": {"vvar_page_offset", "timens_page_offset", "clock_mode_offset"} or null}
//  or null}
nlohmann::json layout_json(const std::optional<DataLayout>& note, const DetectedLayout& layout);

// The time data facts as the time layout checks judged them: null without
// time functions, else {"time_data", "timens_page", "record_stride", "tail",
// "pvclock_page", "hvclock_page"}, each {"state": "found" | "absent" |
// "not_determined", "values": [numbers], "basis": how found or why not}.
nlohmann::json time_layout_json(bool has_time_functions, const DetectedTimeLayout& facts);

// "  image:     rng data at base - 0x4000; profile linux-6.15, certain"
// plus whether the image's own data-layout note agrees.
std::string layout_text(const std::string& label, const std::optional<DataLayout>& note,
                        const DetectedLayout& layout);

// Whether a data-layout note and the code agree on where the rng data is
// (and, for a format-2 note, on the profile and the time-namespace indirection).
// nullopt when the image has no note or the code gave no answer.
std::optional<bool> note_agrees(const std::optional<DataLayout>& note,
                                const DetectedLayout& layout);

}  // namespace vdsoforge::tools
