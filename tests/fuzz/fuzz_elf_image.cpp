// libFuzzer target: ElfImage::parse in both modes, then every look-up, on
// arbitrary bytes.  Besides crashes and sanitizer reports it fails on broken
// promises: a refusal without a code or message, a strict parse that records
// violations, a data layout that breaks the rules the parser enforces, or a
// look-up that returns a symbol which does not match the request.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "vdsoforge/elf_image.h"

namespace {

[[noreturn]] void broken(const char* promise) {
  std::fprintf(stderr, "fuzz_elf_image: broken promise: %s\n", promise);
  std::abort();
}

void exercise_lookups(const vdsoforge::ElfImage& image) {
  size_t looked_up = 0;
  for (const auto& sym : image.symbols()) {
    if (++looked_up > 64) break;  // bounded work per input
    for (const std::string_view version :
         {std::string_view(sym.version), std::string_view(""), std::string_view("LINUX_2.6")}) {
      for (const auto* found :
           {image.lookup(sym.name, version), image.lookup_gnu_hash(sym.name, version),
            image.lookup_sysv_hash(sym.name, version)}) {
        if (found == nullptr) continue;
        if (found->name != sym.name) broken("look-up returned a symbol of another name");
        if (found->shndx == 0) broken("look-up returned an undefined symbol");
        if (!version.empty() && image.dynamic_value(0x6ffffff0) && found->version != version) {
          broken("look-up returned a symbol of another version");
        }
      }
    }
  }
  (void)image.lookup("__vdso_getrandom", "LINUX_2.6");
  (void)image.soname();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  for (const auto mode : {vdsoforge::ParseMode::strict, vdsoforge::ParseMode::inspect}) {
    vdsoforge::ElfError err;
    const auto image = vdsoforge::ElfImage::parse(bytes, mode, err);
    if (!image) {
      if (err.code == vdsoforge::Errc::ok || err.message.empty())
        broken("refusal without a reason");
      continue;
    }
    if (err.code != vdsoforge::Errc::ok) broken("success with an error set");
    if (mode == vdsoforge::ParseMode::strict && !image->violations().empty()) {
      broken("strict parse recorded violations instead of failing");
    }
    if (image->bytes().size() != size) broken("the image does not hold the whole input");
    if (const auto& layout = image->data_layout()) {
      if (layout->page_size != 4096 || layout->data_area_size == 0 ||
          layout->data_area_size % 4096 != 0 || layout->rng_data_offset % 8 != 0 ||
          layout->rng_data_offset + 16 > layout->data_area_size) {
        broken("an inconsistent data layout was accepted");
      }
    }
    exercise_lookups(*image);
  }
  return 0;
}
