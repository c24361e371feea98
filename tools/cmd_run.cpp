// vdsoforge run [IMAGE] [-n BYTES] [--raw | --hex] [--mode MODE] [--timens]
//
// The main job: load an image the way the kernel would map it, show where
// everything went and what data page it was given, draw random bytes through
// its own getrandom, and set it beside the kernel's vDSO when there is one.
#include <elf.h>
#include <unistd.h>

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "clock_report.h"
#include "command.h"
#include "default_files.h"
#include "input_error.h"
#include "open_options_from_flags.h"
#include "vdsoforge/elf_exports.h"
#include "vdsoforge/elf_names.h"
#include "vdsoforge/layout_detect.h"
#include "vdsoforge/loader.h"
#include "vdsoforge/thread_getrandom.h"

namespace vdsoforge::tools {
namespace {

// One run draws at most this much: more is almost always a typo, and a
// stream of random bytes is what the loader library is for.
constexpr uint64_t kMaxBytes = uint64_t{1} << 30;
// From this size on, run says on stderr how much it is about to write.
constexpr uint64_t kAnnouncedBytes = uint64_t{16} << 20;

std::string in_binary_units(uint64_t bytes) {
  char text[32];
  if (bytes >= (uint64_t{1} << 30)) {
    std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  } else {
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  }
  return text;
}

// A decimal count of bytes, digits only; nullopt for anything else.
std::optional<uint64_t> byte_count(const std::string& text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

struct RunOptions {
  std::string image_path = default_image_path();
  uint64_t count = 32;
  bool count_given = false;
  bool raw = false;
  bool hex = false;
  std::string mode = "follow_kernel";
  std::string chacha = "auto";
  bool timens = false;
};

void print_notes(FILE* out, const ElfImage& elf) {
  std::fprintf(out, "  notes:\n");
  for (const Note& note : elf.notes()) {
    if (const auto code = linux_version_code(note)) {
      std::fprintf(out, "    Linux      version code %s\n", linux_version_text(*code).c_str());
    } else if (note.owner == "GNU" && note.type == NT_GNU_BUILD_ID) {
      std::fprintf(out, "    GNU        build-id %s\n", hex_bytes(note.desc).c_str());
    } else if (note.owner == abi::kNoteOwner && note.type == abi::kNoteTypeDataLayout &&
               elf.data_layout()) {
      const DataLayout& layout = *elf.data_layout();
      std::fprintf(out,
                   "    vdsoforge  data layout: page size %u, data area %s bytes, rng data at +%s",
                   layout.page_size, hex(layout.data_area_size).c_str(),
                   hex(layout.rng_data_offset).c_str());
      if (layout.profile) std::fprintf(out, ", profile %s", layout.profile->name);
      if (layout.timens)
        std::fprintf(out, ", in a time namespace through +%s (clock mode at +%s)",
                     hex(layout.timens->timens_page_offset + layout.rng_data_offset -
                         layout.timens->vvar_page_offset)
                         .c_str(),
                     hex(layout.timens->clock_mode_offset).c_str());
      std::fprintf(out, "\n");
    } else {
      std::fprintf(out, "    %-10s type %u, %zu bytes\n", note.owner.c_str(), note.type,
                   note.desc.size());
    }
  }
}

void print_layout(FILE* out, const std::string& path, LoadedImage& image) {
  const ElfImage& elf = image.elf();
  std::fprintf(out, "image %s\n", path.c_str());
  std::fprintf(out, "  soname     %s\n", elf.soname().c_str());
  std::fprintf(out, "  text       %s-%s (%zu bytes, r-x)\n", hex(image.base()).c_str(),
               hex(image.base() + image.image_size()).c_str(), image.image_size());
  std::fprintf(out, "  data area  %s-%s (%zu bytes, read-only to the image)\n",
               hex(image.data_area_base()).c_str(), hex(image.base()).c_str(),
               image.data_area_size());
  if (!elf.data_layout())
    std::fprintf(out, "  layout     no data-layout note; from its code: %s\n",
                 describe(detect_data_layout(elf)).c_str());
  if (const layout::Profile* profile = image.layout_profile())
    std::fprintf(out, "  profile    %s (the data area that kernel maps)\n", profile->name);
  if (DataPage* page = image.data_page()) {
    const auto rng = reinterpret_cast<uintptr_t>(page->image_view());
    std::fprintf(out, "  rng data   %s (image base - %s)\n", hex(rng).c_str(),
                 hex(image.base() - rng).c_str());
    if (page->in_time_namespace())
      std::fprintf(out,
                   "  timens     inside an emulated time namespace: the namespace's page (clock "
                   "mode VDSO_CLOCKMODE_TIMENS) at the vvar slot, the vvar page at the timens "
                   "slot\n");
  }
  if (const auto routine = image.chacha20_routine()) {
    std::string supported;
    for (Chacha20Routine r :
         {Chacha20Routine::sse2, Chacha20Routine::avx2, Chacha20Routine::avx512})
      if (cpu_supports(r))
        supported += (supported.empty() ? "" : " ") + std::string(chacha20_routine_name(r));
    std::fprintf(out, "  chacha20   %s (patched in at load; this CPU runs: %s)\n",
                 std::string(chacha20_routine_name(*routine)).c_str(), supported.c_str());
  }
  std::fprintf(out, "  exports:\n");
  for (const Symbol* symbol : exported_symbols(elf)) {
    const std::string versioned = symbol->name + symbol_version_text(*symbol);
    std::fprintf(out, "    %-32s %-6s %-6s %s\n", versioned.c_str(),
                 symbol_bind_name(symbol->bind).c_str(), symbol_type_name(symbol->type).c_str(),
                 hex(image.base() + symbol->value).c_str());
  }
  print_notes(out, elf);
  if (DataPage* page = image.data_page())
    std::fprintf(out, "data page\n  generation %" PRIu64 ", is_ready %d, mode %s\n",
                 page->generation(), page->is_ready() ? 1 : 0,
                 std::string(generation_mode_name(page->mode())).c_str());
}

// Draws `count` bytes through the image and hands them to `sink` in chunks.
template <typename Sink>
bool draw(LoadedImage& image, uint64_t count, Sink sink) {
  std::vector<uint8_t> chunk(64 * 1024);
  while (count > 0) {
    const size_t want = count < chunk.size() ? static_cast<size_t>(count) : chunk.size();
    const long served = vdsoforge::getrandom(image, chunk.data(), want, 0);
    if (served <= 0) {
      std::fprintf(stderr, "vdsoforge run: the image's getrandom returned %ld (%s)\n", served,
                   served < 0 ? std::strerror(static_cast<int>(-served)) : "no bytes");
      return false;
    }
    if (!sink(chunk.data(), static_cast<size_t>(served))) return false;
    count -= static_cast<uint64_t>(served);
  }
  return true;
}

void compare_with_kernel(FILE* out, LoadedImage& image) {
  Error err;
  auto kernel = LoadedImage::open_kernel(err);
  std::fprintf(out, "kernel vDSO\n");
  if (!kernel) {
    std::fprintf(out, "  not available: %s\n", err.message.c_str());
    return;
  }
  std::fprintf(out, "  at %s (%zu bytes), data area %zu bytes below it\n",
               hex(kernel->base()).c_str(), kernel->image_size(), kernel->data_area_size());
  for (const Symbol* symbol : exported_symbols(image.elf())) {
    const Symbol* twin = kernel->elf().lookup(symbol->name, symbol->version);
    const std::string versioned = symbol->name + symbol_version_text(*symbol);
    std::fprintf(out, "  %-32s %s\n", versioned.c_str(),
                 twin == nullptr ? "missing from the kernel vDSO"
                 : twin->bind == symbol->bind && twin->type == symbol->type
                     ? "also in the kernel vDSO, same binding and type"
                     : "in the kernel vDSO with a different binding or type");
  }
  if (kernel->getrandom() == nullptr) {
    std::fprintf(out,
                 "  the kernel vDSO has no getrandom (Linux < 6.11): nothing to run against\n");
    return;
  }
  uint8_t from_image[16] = {}, from_kernel[16] = {};
  const long image_result = vdsoforge::getrandom(image, from_image, sizeof(from_image), 0);
  const long kernel_result = vdsoforge::getrandom(*kernel, from_kernel, sizeof(from_kernel), 0);
  std::fprintf(out, "  16 bytes: image returned %ld (%s), kernel returned %ld (%s)\n", image_result,
               hex_bytes(from_image).c_str(), kernel_result, hex_bytes(from_kernel).c_str());
}

std::optional<GenerationMode> parse_mode(const std::string& name) {
  for (GenerationMode mode :
       {GenerationMode::manual, GenerationMode::follow_kernel, GenerationMode::schedule})
    if (generation_mode_name(mode) == name) return mode;
  return std::nullopt;
}

int run(const RunOptions& options) {
  if (options.count > kMaxBytes) {
    std::fprintf(stderr,
                 "vdsoforge run: -n %" PRIu64
                 " (%s) is more than run draws at once (at most "
                 "%" PRIu64
                 " bytes, 1 GiB); run it several times, or call the image through "
                 "the loader library for a stream\n",
                 options.count, in_binary_units(options.count).c_str(), kMaxBytes);
    return 2;
  }
  // Raw bytes only where they cannot garble a terminal by accident.
  const bool raw = options.raw || (!options.hex && options.count_given && !isatty(STDOUT_FILENO));
  FILE* report = raw ? stderr : stdout;

  const OpenOptions open_options = open_options_from_flags({.chacha = options.chacha,
                                                            .mode = parse_mode(options.mode),
                                                            .time_namespace = options.timens});
  Error err;
  auto image = LoadedImage::open_file(options.image_path, err, open_options);
  if (!image) {
    std::fprintf(stderr, "vdsoforge run: %s\n",
                 refused_input(options.image_path, err).text(options.image_path).c_str());
    return 2;
  }
  if (image->getrandom() == nullptr) {
    const InputError no_getrandom{"no_getrandom", "exports no __vdso_getrandom@LINUX_2.6"};
    std::fprintf(stderr, "vdsoforge run: %s\n", no_getrandom.text(options.image_path).c_str());
    return 2;
  }
  print_layout(report, options.image_path, *image);
  print_clocks(report, *image);
  if (const StateAllocator* pool = thread_state_pool(*image))
    std::fprintf(report, "  states: %u bytes each, backing %s\n",
                 pool->params().size_of_opaque_state,
                 std::string(backing_name(pool->backing())).c_str());

  std::fprintf(report, "random bytes (%" PRIu64 ", from the image's getrandom)%s\n", options.count,
               raw ? ": raw on stdout" : "");
  if (options.count >= kAnnouncedBytes) {
    std::fprintf(stderr, "vdsoforge run: drawing %" PRIu64 " bytes (%s), written %s to stdout\n",
                 options.count, in_binary_units(options.count).c_str(),
                 raw ? "raw" : "as hex (2 characters a byte)");
  }
  bool drawn = false;
  if (raw) {
    drawn = draw(*image, options.count, [](const uint8_t* bytes, size_t size) {
      if (std::fwrite(bytes, 1, size, stdout) == size) return true;
      std::fprintf(stderr, "vdsoforge run: writing to stdout failed: %s\n", std::strerror(errno));
      return false;
    });
    drawn = std::fflush(stdout) == 0 && drawn;
  } else {
    drawn = draw(*image, options.count, [](const uint8_t* bytes, size_t size) {
      for (size_t line = 0; line < size; line += 32)
        std::printf("  %s\n", hex_bytes({bytes + line, std::min<size_t>(32, size - line)}).c_str());
      return true;
    });
  }
  if (!drawn) return 1;
  compare_with_kernel(report, *image);
  return 0;
}

const CommandRegistration registration{Command{
    [](CLI::App& sub) -> std::function<int()> {
      auto options = std::make_shared<RunOptions>();
      sub.footer(
          "Output: the layout report and hex bytes go to stdout; with --raw, or when -n is given\n"
          "and stdout is not a terminal (a pipe or file) unless --hex is given, the raw bytes go\n"
          "to stdout and the report to stderr.\n"
          "Exit status: 0 done, 1 the image's getrandom failed, 2 bad arguments or an image\n"
          "that cannot be loaded (not found, not a vDSO, broken, no __vdso_getrandom).\n"
          "Timings of the image against the kernel's vDSO and the system call: scripts/bench.sh\n"
          "in the source tree (docs/performance.md).\n");
      sub.add_option("image", options->image_path,
                     std::string("vDSO image to load (default: ") + kDefaultImageHelp + ")");
      // Taken as text: CLI11 would turn "-1" into 2^64 - 1 for an unsigned type.
      sub.add_option_function<std::string>(
             "-n,--bytes",
             [options](const std::string& text) {
               options->count = *byte_count(text);
               options->count_given = true;
             },
             "number of random bytes to draw (default 32, at most 1 GiB; from 16 MiB on, the "
             "size is announced on stderr)")
          ->type_name("BYTES")
          ->check(CLI::Validator(
              [](const std::string& text) -> std::string {
                if (byte_count(text)) return "";
                // Digits only, yet no count: more than 64 bits hold.
                if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos)
                  return "'" + text + "' is more than run draws at once (at most " +
                         std::to_string(kMaxBytes) + " bytes, 1 GiB)";
                return "'" + text + "' is not a byte count (digits only)";
              },
              ""));
      auto* raw = sub.add_flag("--raw", options->raw, "write the bytes raw to stdout");
      auto* hex = sub.add_flag("--hex", options->hex, "write the bytes as hex even to a pipe");
      raw->excludes(hex);
      sub.add_option("--mode", options->mode,
                     "how the emulated generation moves: follow_kernel (default; falls back to "
                     "schedule without a kernel vDSO getrandom), schedule (every 60 s) or manual")
          ->check(CLI::IsMember({"follow_kernel", "schedule", "manual"}));
      sub.add_option("--chacha", options->chacha,
                     "ChaCha20 routine to patch in: auto (default: $VDSOFORGE_CHACHA if set, else "
                     "the best this CPU runs), sse2, avx2 or avx512")
          ->check(CLI::IsMember({"auto", "sse2", "avx2", "avx512"}));
      sub.add_flag("--timens", options->timens,
                   "run inside an emulated time namespace: the pages a kernel before 6.15 swaps "
                   "(images of the linux-6.11 and linux-6.13 layouts only)");
      return [options] { return run(*options); };
    },
    "run",
    "load an image, show its layout and data page, draw random bytes, compare with the kernel"}};

}  // namespace
}  // namespace vdsoforge::tools
