// What both of `embed`'s outputs (the C header, Linux 6.12's
// vdso-image-64.c) need from an image before they write a byte: its PT_LOAD
// is the file as it is (offset 0 == vaddr 0, filesz == memsz), so the bytes
// can be copied or mapped as one blob, and its chacha20-routines note, if it
// has one, can be read.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "vdsoforge/chacha20_note.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools {

// Returns false with `error` set if the image cannot be embedded: `why_one_blob`
// is the message for a PT_LOAD that is not the file as it is, in the words of
// the caller's output.  Otherwise fills `routines` (nullopt: no note).
bool check_embeddable(const ElfImage& elf, std::string_view why_one_blob,
                      std::optional<Chacha20Routines>& routines, std::string& error);

}  // namespace vdsoforge::tools
