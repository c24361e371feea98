// Mapping an image built by this project: its data area from one memfd,
// mapped read-only right below the image and read-write elsewhere for the
// loader, then the image's one PT_LOAD copied in and made read+execute.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>

#include "cpu_patch_sites.h"
#include "loader_access.h"
#include "vdsoforge/layout_detect.h"

namespace vdsoforge {
namespace {

using detail::AreaLayout;
using detail::ImageMapping;
using detail::LoaderAccess;

// Generous for a vDSO (the kernel's is two pages) yet far from overflowing
// the address arithmetic below.
constexpr uint64_t kMaxImageSize = 64ull << 20;

bool same_timens(const std::optional<TimensIndirection>& a,
                 const std::optional<TimensIndirection>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return a->vvar_page_offset == b->vvar_page_offset &&
         a->timens_page_offset == b->timens_page_offset &&
         a->clock_mode_offset == b->clock_mode_offset;
}

Error errno_error(const char* what) {
  return {LoaderErrc::map_failed, std::string(what) + " failed: " + std::strerror(errno)};
}

// Whether the image carries the time functions that read the time data.
// The answer comes from .dynsym by name, not from a hash look-up: an image
// whose tables or entries are damaged (`exec --allow-damaged`) still has the
// code, and a program that binds it regardless must find a live clock there,
// not zeros that send each read to the kernel.
bool carries_time_functions(const ElfImage& elf) {
  constexpr std::string_view kReaders[] = {"__vdso_clock_gettime", "__vdso_gettimeofday",
                                           "__vdso_time", "__vdso_clock_getres"};
  for (const Symbol& symbol : elf.symbols())
    for (const std::string_view name : kReaders)
      if (symbol.name == name) return true;
  return false;
}

// Where the image's time data lies in its data area, if the loader is to
// emulate it: an image that carries the time functions, with the time
// records clear of the rng data.
std::optional<layout::TimeLayout> emulated_time_layout(const ElfImage& elf,
                                                       const AreaLayout& area) {
  if (!carries_time_functions(elf)) return std::nullopt;
  const layout::TimeLayout& time = layout::time_layout_of(area.profile);
  const uint64_t start = time.time_data_offset;
  const uint64_t end = start + time.tail_offset + sizeof(abi::VdsoTimeTail);
  const uint64_t rng_end = area.rng_offset + sizeof(abi::VdsoRngData);
  if (end > area.data_size || (area.rng_offset < end && rng_end > start)) return std::nullopt;
  return time;
}

// The note is checked again here, not only by the parser: the mapping code
// must be safe on its own terms whatever the parser accepts.  Without a note
// the layout may come from the code, if the caller asked for that.
Error resolve_layout(const ElfImage& elf, const OpenOptions& options, AreaLayout& out) {
  const auto& layout = elf.data_layout() ? elf.data_layout() : options.data_layout;
  if (!layout && options.layout_from_code) {
    const DetectedLayout detected = detect_data_layout(elf);
    if (!detected.known())
      return {Errc::missing_data_layout_note,
              "the image has no vdsoforge data-layout note and its code gives no data layout: " +
                  detected.reason};
    out = {detected.data_area_size(), detected.rng_data_offset(), detected.profile, std::nullopt,
           std::nullopt};
    // The indirection is emulated only for a profile the code matched in
    // full; a partial match gives the rng data's place and nothing more.
    if (const layout::Profile* p = detected.profile; p && p->has_timens_indirection)
      out.timens = TimensIndirection{p->vvar_page_offset, p->timens_page_offset,
                                     p->vvar_page_offset + p->clock_mode_offset};
  } else if (!layout) {
    return {Errc::missing_data_layout_note,
            "the image has no vdsoforge data-layout note (owner \"vdsoforge\", type 1), so the "
            "loader cannot know where its data pages go; the kernel's own vDSO opens with "
            "open_kernel(), a saved copy of it with OpenOptions::data_layout or layout_from_code"};
  } else {
    if (layout->page_size != abi::kPageSize)
      return {
          Errc::bad_data_layout_note,
          "data-layout note: page_size " + std::to_string(layout->page_size) + ", expected 4096"};
    out = {layout->data_area_size, layout->rng_data_offset, layout->profile, layout->timens,
           std::nullopt};
  }
  if (out.data_size == 0 || out.data_size % abi::kPageSize != 0 || out.data_size > kMaxImageSize)
    return {Errc::bad_data_layout_note, "data-layout note: data_area_size " +
                                            std::to_string(out.data_size) +
                                            " is not a whole number of pages up to 64 MiB"};
  if (out.rng_offset % alignof(abi::VdsoRngData) != 0 ||
      out.rng_offset > out.data_size - sizeof(abi::VdsoRngData))
    return {Errc::bad_data_layout_note,
            "data-layout note: rng_data_offset " + std::to_string(out.rng_offset) +
                " is misaligned or leaves no room for vdso_rng_data in the data area"};
  if (out.timens) {
    const TimensIndirection& t = *out.timens;
    if (t.vvar_page_offset % abi::kPageSize || t.timens_page_offset % abi::kPageSize ||
        t.timens_page_offset <= t.vvar_page_offset ||
        t.timens_page_offset > out.data_size - abi::kPageSize ||
        out.rng_offset < t.vvar_page_offset ||
        out.rng_offset - t.vvar_page_offset > abi::kPageSize - sizeof(abi::VdsoRngData) ||
        t.clock_mode_offset < t.vvar_page_offset ||
        t.clock_mode_offset - t.vvar_page_offset > abi::kPageSize - sizeof(int32_t))
      return {Errc::bad_data_layout_note,
              "data-layout note: the time-namespace pages, rng data and clock mode do not fit "
              "one vvar page and one timens page above it in the data area"};
  }
  // 6.15+ layouts: a namespace swaps the time page and the timens page
  // above it, if both lie in the area apart from the rng data.
  if (!out.timens) {
    if (const auto time = emulated_time_layout(elf, out)) {
      const uint64_t ns_page = time->timens_page_offset;
      const bool rng_clear = out.rng_offset + sizeof(abi::VdsoRngData) <= ns_page ||
                             out.rng_offset >= ns_page + abi::kPageSize;
      if (ns_page + abi::kPageSize <= out.data_size && rng_clear && ns_page > time->page_offset)
        out.time_namespace = TimensIndirection{
            time->page_offset, ns_page, time->time_data_offset + 4};  // record 0's clock mode
    }
  }
  if (options.time_namespace && !out.namespace_pages() && !options.share_data_with)
    return {LoaderErrc::not_supported,
            "OpenOptions::time_namespace: the image's data layout has no time-namespace "
            "indirection and no emulated time data (the pre-6.15 profiles have the one, images "
            "exporting the time functions the other)"};
  const Segment& load = elf.load_segment();
  if (load.offset != 0 || load.vaddr != 0 || load.memsz == 0 || load.filesz > load.memsz ||
      load.memsz > kMaxImageSize || load.filesz > elf.bytes().size())
    return {Errc::bad_segment,
            "PT_LOAD must map file offset 0 at address 0 with 0 < filesz <= "
            "memsz <= 64 MiB (offset " +
                std::to_string(load.offset) + ", vaddr " + std::to_string(load.vaddr) +
                ", filesz " + std::to_string(load.filesz) + ", memsz " +
                std::to_string(load.memsz) + ")"};
  return {};
}

// The mapping whose data area another image is to share, checked to fit.
Error sharing_owner(const OpenOptions& options, const AreaLayout& layout, ImageMapping*& owner) {
  owner = nullptr;
  if (!options.share_data_with) return {};
  ImageMapping& other = LoaderAccess::mapping(*options.share_data_with);
  if (other.kernel)
    return {LoaderErrc::invalid_argument,
            "OpenOptions::share_data_with must be an image opened by open_file/open_memory, "
            "not the kernel's vDSO (its data pages belong to the kernel)"};
  if (other.owner)
    return {LoaderErrc::invalid_argument,
            "OpenOptions::share_data_with names an image that itself shares a data area"};
  if (other.layout.data_size != layout.data_size || other.layout.rng_offset != layout.rng_offset ||
      !same_timens(other.layout.timens, layout.timens))
    return {LoaderErrc::invalid_argument,
            "OpenOptions::share_data_with: that image's data area (" +
                std::to_string(other.layout.data_size) + " bytes, rng data at +" +
                std::to_string(other.layout.rng_offset) + ") differs from this one's (" +
                std::to_string(layout.data_size) + " bytes, +" + std::to_string(layout.rng_offset) +
                ")" +
                (same_timens(other.layout.timens, layout.timens)
                     ? ""
                     : ", or only one of them has the time-namespace indirection")};
  owner = &other;
  return {};
}

// A zero or negative period would turn the data-page worker into a busy loop.
Error check_options(const OpenOptions& options) {
  if (options.reseed_interval.count() <= 0)
    return {LoaderErrc::invalid_argument, "OpenOptions::reseed_interval must be positive, not " +
                                              std::to_string(options.reseed_interval.count()) +
                                              " ms"};
  if (options.time_follow_interval.count() <= 0)
    return {LoaderErrc::invalid_argument,
            "OpenOptions::time_follow_interval must be positive, not " +
                std::to_string(options.time_follow_interval.count()) + " ms"};
  if (options.time_mode == TimeMode::schedule)
    return {LoaderErrc::invalid_argument,
            "OpenOptions::time_mode cannot be schedule: a schedule needs its steps; open in "
            "follow_kernel or manual and call DataPage::set_time_schedule()"};
  if (options.follow_poll_interval.count() <= 0)
    return {LoaderErrc::invalid_argument,
            "OpenOptions::follow_poll_interval must be positive, not " +
                std::to_string(options.follow_poll_interval.count()) + " ms"};
  return {};
}

// Copies the PT_LOAD into `text` (read+write), then makes it read+execute:
// no moment in which the text is writable and executable at once.
// Like the kernel's alternatives, the ChaCha20 routine is patched in before
// the text becomes executable, so the call path never tests the CPU.
Error map_text(const ElfImage& elf, uint8_t* text, size_t image_size,
               const std::optional<Chacha20Routines>& routines,
               std::optional<Chacha20Routine> chacha20, bool cpu_patches,
               size_t& cpu_patches_applied) {
  const Segment load = elf.load_segment();
  if (mmap(text, image_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
           0) == MAP_FAILED)
    return errno_error("mapping the image's text");
  std::memcpy(text, elf.bytes().data() + load.offset, load.filesz);
  if (routines) {
    if (Error patch_error = patch_chacha20_routine(*routines, *chacha20, text, load.filesz))
      return patch_error;
  }
  // The time functions' rdtscp and rdpid, where the CPU has them.
  if (Error patch_error = detail::apply_cpu_patches(elf, text, load.filesz,
                                                    cpu_patches ? detail::cpu_patch_features() : 0,
                                                    cpu_patches_applied))
    return patch_error;
  if (mprotect(text, image_size, PROT_READ | PROT_EXEC) != 0)
    return errno_error("making the image text read+execute (mprotect)");
  // Best effort: names the text in /proc/self/maps where the kernel allows it.
  prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, reinterpret_cast<unsigned long>(text), image_size,
        reinterpret_cast<unsigned long>("vdsoforge-image"));
  return {};
}

std::unique_ptr<LoadedImage> map_forged_image(ElfImage elf, Error& err,
                                              const OpenOptions& options) {
  AreaLayout layout;
  ImageMapping* owner = nullptr;
  if (Error e = check_options(options); e) return err = std::move(e), nullptr;
  if (Error e = resolve_layout(elf, options, layout); e) return err = std::move(e), nullptr;
  if (Error e = sharing_owner(options, layout, owner); e) return err = std::move(e), nullptr;
  // The ChaCha20 routine is chosen before anything is mapped, so a bad
  // request fails cleanly.
  ElfError note_error;
  auto routines = read_chacha20_routines(elf, note_error);
  if (note_error) return err = std::move(note_error), nullptr;
  Error routine_error;
  std::optional<Chacha20Routine> chacha20;
  if (routines) chacha20 = choose_chacha20_routine(*routines, options.chacha20, routine_error);
  if (routine_error) return err = std::move(routine_error), nullptr;
  if (!routines && options.chacha20 != Chacha20Routine::automatic) {
    err = {LoaderErrc::not_supported,
           "OpenOptions::chacha20 asks for the " +
               std::string(chacha20_routine_name(options.chacha20)) +
               " ChaCha20 routine, but the image has no chacha20-routines note"};
    return nullptr;
  }
  const size_t data_size = layout.data_size;
  const size_t image_size = detail::round_up_to_page(elf.load_segment().memsz, abi::kPageSize);

  // One reservation first, so data area and image are adjacent by
  // construction and nothing else can be placed between them.
  void* reserved = mmap(nullptr, data_size + image_size, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reserved == MAP_FAILED) {
    err = errno_error("reserving address space (mmap PROT_NONE)");
    return nullptr;
  }
  detail::UniqueMapping reservation(reserved, data_size + image_size);
  uint8_t* text = reservation.bytes() + data_size;

  auto mapping = std::make_unique<ImageMapping>();
  mapping->data_area_base = reservation.address();
  mapping->image_size = image_size;
  mapping->layout = layout;
  mapping->chacha20 = chacha20;

  if (owner) {
    if (mmap(reserved, data_size, PROT_READ, MAP_SHARED | MAP_FIXED, owner->data_fd(), 0) ==
        MAP_FAILED) {
      err = errno_error("mapping the shared data area read-only");
      return nullptr;
    }
    if (Error e = map_text(elf, text, image_size, routines, chacha20, options.cpu_patches,
                           mapping->cpu_patches_applied);
        e)
      return err = std::move(e), nullptr;
    // Joining the owner's time-namespace views comes last: from then on the
    // mapping's destructor is what leaves them again.
    if (detail::TimeNamespaceViews* views = owner->time_namespace_views()) {
      if (Error e = views->add_view(reservation.bytes()); e) return err = std::move(e), nullptr;
    }
    mapping->reservation = std::move(reservation);
    mapping->owner = owner;
    return LoaderAccess::make_image(std::move(elf), std::move(mapping));
  }

  detail::UniqueFd data(memfd_create("vdsoforge-data", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (data.get() < 0) {
    err = errno_error("memfd_create for the data area");
    return nullptr;
  }
  if (ftruncate(data.get(), static_cast<off_t>(layout.memfd_size())) != 0) {
    err = errno_error("sizing the data memfd (ftruncate)");
    return nullptr;
  }
  // A shrunk memfd would turn the image's data reads into SIGBUS.
  if (fcntl(data.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    err = errno_error("sealing the data memfd");
    return nullptr;
  }
  if (mmap(reserved, data_size, PROT_READ, MAP_SHARED | MAP_FIXED, data.get(), 0) == MAP_FAILED) {
    err = errno_error("mapping the image's read-only data view");
    return nullptr;
  }
  void* writable =
      mmap(nullptr, layout.memfd_size(), PROT_READ | PROT_WRITE, MAP_SHARED, data.get(), 0);
  if (writable == MAP_FAILED) {
    err = errno_error("mapping the loader's writable data view");
    return nullptr;
  }
  detail::UniqueMapping writable_view(writable, layout.memfd_size());
  if (Error e = map_text(elf, text, image_size, routines, chacha20, options.cpu_patches,
                         mapping->cpu_patches_applied);
      e)
    return err = std::move(e), nullptr;

  auto emulation = std::make_unique<detail::EmulatedDataPage>(
      reinterpret_cast<abi::VdsoRngData*>(writable_view.bytes() + layout.rng_offset),
      reinterpret_cast<const abi::VdsoRngData*>(reservation.bytes() + layout.rng_offset), options);
  emulation->start_default_mode(options.mode);
  detail::EmulatedDataPage& page = *emulation;
  mapping->reservation = std::move(reservation);
  mapping->writable_view = std::move(writable_view);
  mapping->data = std::move(data);
  mapping->page = LoaderAccess::make_data_page(std::move(emulation));
  // The time data, with the namespace's page where the layout has one.
  if (const auto time = emulated_time_layout(elf, layout)) {
    const layout::TimeLayout& shape = layout::time_layout_of(layout.profile);
    uint8_t* writable_area = mapping->writable_view.bytes();
    uint8_t* namespace_data =
        layout.namespace_pages()
            ? writable_area + layout.data_size + (time->time_data_offset - time->page_offset)
            : nullptr;
    auto time_data = std::make_unique<detail::EmulatedTimeData>(
        writable_area + time->time_data_offset, namespace_data, shape,
        options.time_follow_interval);
    page.attach_time_data(std::move(time_data));
  }
  // Layouts with the time-namespace indirection: the views switch from now
  // on (and may fail to map).
  if (const auto& pages = layout.namespace_pages()) {
    page.attach_time_namespace(std::make_unique<detail::TimeNamespaceViews>(
        mapping->data.get(), layout.data_size, *pages, mapping->writable_view.bytes(),
        /*shifts_rng=*/layout.timens.has_value()));
    if (Error e = page.time_namespace_views()->add_view(mapping->reservation.bytes()); e)
      return err = std::move(e), nullptr;
    if (options.time_namespace) {
      if (Error e = page.set_time_namespace(true); e) return err = std::move(e), nullptr;
    }
  }
  // Last, because inside a real time namespace following the kernel enters
  // the emulated namespace, which needs the views above.  A kernel whose time
  // data cannot be mirrored leaves the page in manual mode (OpenOptions).
  if (auto* time = page.time_data(); time && options.time_mode == TimeMode::follow_kernel)
    (void)time->set_mode(TimeMode::follow_kernel);
  return LoaderAccess::make_image(std::move(elf), std::move(mapping));
}

// Rule violations stop the open unless the caller asked to study them.
ParseMode parse_mode(const OpenOptions& options) {
  return options.accept_rule_violations ? ParseMode::inspect : ParseMode::strict;
}

}  // namespace

std::unique_ptr<LoadedImage> LoadedImage::open_memory(std::span<const uint8_t> bytes, Error& err,
                                                      const OpenOptions& options) {
  ElfError refusal;
  auto elf = ElfImage::parse(bytes, parse_mode(options), refusal);
  if (!elf) return err = std::move(refusal), nullptr;
  return map_forged_image(std::move(*elf), err, options);
}

std::unique_ptr<LoadedImage> LoadedImage::open_file(const std::string& path, Error& err,
                                                    const OpenOptions& options) {
  ElfError refusal;
  auto elf = ElfImage::parse_file(path, parse_mode(options), refusal);
  if (!elf) return err = std::move(refusal), nullptr;
  return map_forged_image(std::move(*elf), err, options);
}

}  // namespace vdsoforge
