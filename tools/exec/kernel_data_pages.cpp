#include "kernel_data_pages.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "kernel_mappings.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/hex.h"
#include "vdsoforge/kernel_vdso.h"
#include "vdsoforge/layout_detect.h"

namespace vdsoforge::exec {

namespace {

std::string kernel_release() {
  utsname name{};
  return uname(&name) == 0 ? std::string("Linux ") + name.release : "the running kernel";
}

std::string pages(size_t bytes) { return std::to_string(bytes / 4096) + " pages"; }

// What the profile has the kernel map below [vdso], as /proc/PID/maps names it.
std::string profile_mappings(const layout::Profile& profile) {
  std::string text = "[vvar] " + pages(profile.vvar_mapping_pages * 4096ul);
  if (profile.vvar_vclock_mapping_pages != 0)
    text += " + [vvar_vclock] " + pages(profile.vvar_vclock_mapping_pages * 4096ul);
  return text;
}

// The kernel's data mappings directly below the vDSO at `vdso_start`, lowest
// first: each [vvar...] mapping whose end is the next one's start.
template <typename Mapping>
std::vector<Mapping> data_mappings_below(const std::vector<Mapping>& mappings,
                                         uintptr_t vdso_start) {
  std::vector<Mapping> below;
  uintptr_t top = vdso_start;
  for (bool found = true; found;) {
    found = false;
    for (const Mapping& m : mappings)
      if (m.end == top && m.name.starts_with("[vvar")) {
        below.insert(below.begin(), m);
        top = m.start;
        found = true;
        break;
      }
  }
  return below;
}

template <typename Mapping>
std::string describe_mappings(const std::vector<Mapping>& mappings) {
  if (mappings.empty()) return "no data mapping";
  std::string text;
  for (const Mapping& m : mappings)
    text += (text.empty() ? "" : " + ") + m.name + " " + pages(m.end - m.start);
  return text;
}

}  // namespace

std::string kernel_data_mismatch(const LoadedImage& image, const std::string& image_name) {
  Error err;
  const auto kernel = find_kernel_vdso(err);
  if (!kernel)
    return "the kernel gave this process no vDSO to take the data pages of: " + err.message;
  ElfError parse_error;
  const auto kernel_elf = ElfImage::parse(kernel->bytes, ParseMode::inspect, parse_error);
  if (!kernel_elf) return "the kernel's vDSO does not parse: " + parse_error.message;
  const DetectedLayout kernel_layout = detect_data_layout(*kernel_elf);
  if (kernel_layout.confidence != LayoutConfidence::certain || !kernel_layout.profile)
    return "the running kernel's data layout cannot be told from its vDSO code (" +
           describe(kernel_layout) + ")";
  const layout::Profile& kernel_profile = *kernel_layout.profile;

  // As `abi`'s layout checks judge an image: by its code where the detector
  // finds a profile, else by its data-layout note.
  const DetectedLayout image_layout = detect_data_layout(image.elf());
  const layout::Profile* image_profile = image_layout.profile;
  std::string basis = "its code";
  if (!image_profile) {
    image_profile = image.layout_profile();
    basis = "its data-layout note";
  }
  if (!image_profile)
    return image_name + " reads its data in no kernel's layout (" + describe(image_layout) +
           "; data area " + hex(image.data_area_size()) + " bytes), so it cannot read " +
           kernel_release() + "'s own pages (" + kernel_profile.name + ")";
  if (image_profile != &kernel_profile)
    return image_name + " is built for the " + image_profile->name + " data layout (by " + basis +
           "), but " + kernel_release() + " lays its data pages out as " + kernel_profile.name +
           ": the image would read the kernel's pages at the wrong places (use an image of the " +
           kernel_profile.name + " profile)";
  if (image.data_area_size() != kernel_profile.data_area_size)
    return image_name + " has a data area of " + hex(image.data_area_size()) + " bytes, the " +
           kernel_profile.name + " kernel's pages take " + hex(kernel_profile.data_area_size);
  const auto below = data_mappings_below(kernel->mappings, kernel->base);
  size_t total = 0;
  for (const KernelMapping& m : below) total += m.end - m.start;
  const bool shape_matches =
      total == kernel_profile.data_area_size && !below.empty() && below.front().name == "[vvar]" &&
      below.front().end - below.front().start == kernel_profile.vvar_mapping_pages * 4096ul;
  if (!shape_matches)
    return kernel_release() + " maps " + describe_mappings(below) +
           " directly below its [vdso], not the " + kernel_profile.name + " profile's " +
           profile_mappings(kernel_profile);
  return "";
}

bool move_kernel_data_below(SyscallInjector& injector, pid_t pid, uintptr_t image_text,
                            size_t data_size, std::string& error) {
  const std::vector<KernelRange> ranges = kernel_vdso_mappings(pid);
  std::optional<KernelRange> vdso;
  for (const KernelRange& r : ranges)
    if (r.name == "[vdso]") vdso = r;
  if (!vdso) {
    error = "the kernel gave the program no [vdso], so it has no data pages to move";
    return false;
  }
  const auto below = data_mappings_below(ranges, vdso->start);
  size_t total = 0;
  for (const KernelRange& r : below) total += r.end - r.start;
  if (total != data_size) {
    error = "the program's kernel data mappings below [vdso] (" + describe_mappings(below) +
            ") do not make the image's data area of " + hex(data_size) + " bytes";
    return false;
  }
  for (const KernelRange& r : below) {
    // Same distance below the image as below the kernel's vDSO.
    const uintptr_t target = image_text - (vdso->start - r.start);
    long result = 0;
    if (!injector.call(
            SYS_mremap,
            {r.start, r.end - r.start, r.end - r.start, MREMAP_MAYMOVE | MREMAP_FIXED, target, 0},
            result, error))
      return false;
    if (result != static_cast<long>(target)) {
      error = "moving the kernel's " + r.name + " from " + hex(r.start) + " to " + hex(target) +
              " (mremap in the program) failed: " +
              (result < 0 && result > -4096 ? std::strerror(static_cast<int>(-result))
                                            : "it landed at " + hex(static_cast<uint64_t>(result)));
      return false;
    }
  }
  // Its code would look for the data where it no longer is.
  long result = 0;
  if (!injector.call(SYS_munmap, {vdso->start, vdso->end - vdso->start, 0, 0, 0, 0}, result, error))
    return false;
  if (result != 0) {
    error = "unmapping the kernel's [vdso] at " + hex(vdso->start) +
            " failed: " + std::strerror(static_cast<int>(-result));
    return false;
  }
  return true;
}

}  // namespace vdsoforge::exec
