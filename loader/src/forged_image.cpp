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
#include <typeinfo>

#include "emulated_data_page.h"
#include "image_base.h"
#include "time_namespace_views.h"
#include "unique_mapping.h"
#include "vdsoforge/layout_detect.h"

namespace vdsoforge {
namespace {

// Generous for a vDSO (the kernel's is two pages) yet far from overflowing
// the address arithmetic below.
constexpr uint64_t kMaxImageSize = 64ull << 20;

// Where the data area goes and what it holds, from the note or the code.
struct AreaLayout {
  uint64_t data_size = 0;
  uint64_t rng_offset = 0;
  const layout::Profile* profile = nullptr;
  std::optional<TimensIndirection> timens;  // the pre-6.15 indirection, if any

  // Bytes of the data memfd: the area, plus the namespace's page if needed.
  uint64_t memfd_size() const {
    return timens ? detail::TimeNamespaceViews::memfd_size(data_size) : data_size;
  }
};

bool same_timens(const std::optional<TimensIndirection>& a,
                 const std::optional<TimensIndirection>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return a->vvar_page_offset == b->vvar_page_offset &&
         a->timens_page_offset == b->timens_page_offset &&
         a->clock_mode_offset == b->clock_mode_offset;
}

class ForgedImage final : public detail::ImageBase {
 public:
  // An image with a data area (and DataPage) of its own.
  ForgedImage(ElfImage elf, detail::UniqueMapping reservation, AreaLayout layout,
              detail::UniqueFd data, detail::UniqueMapping writable_view,
              const OpenOptions& options, std::optional<Chacha20Routine> chacha20)
      : ImageBase(std::move(elf), reservation.address() + layout.data_size),
        reservation_(std::move(reservation)),
        writable_view_(std::move(writable_view)),
        data_(std::move(data)),
        layout_(layout),
        page_(std::make_unique<detail::EmulatedDataPage>(
            reinterpret_cast<abi::VdsoRngData*>(writable_view_.bytes() + layout.rng_offset),
            reinterpret_cast<const abi::VdsoRngData*>(reservation_.bytes() + layout.rng_offset),
            options)),
        chacha20_(chacha20) {
    page_->start_default_mode(options.mode);
  }
  // Second step of construction for layouts with the time-namespace
  // indirection: the views switch from now on (and may fail to map).
  Error attach_time_namespace(const OpenOptions& options) {
    page_->attach_time_namespace(std::make_unique<detail::TimeNamespaceViews>(
        data_.get(), layout_.data_size, *layout_.timens, writable_view_.bytes()));
    if (Error e = page_->time_namespace_views()->add_view(reservation_.bytes()); e) return e;
    return options.time_namespace ? page_->set_time_namespace(true) : Error{};
  }
  // An image over this one's data area shows the same time-namespace state.
  Error add_sharer_view(uint8_t* area) {
    detail::TimeNamespaceViews* views = page_->time_namespace_views();
    return views ? views->add_view(area) : Error{};
  }
  void remove_sharer_view(uint8_t* area) {
    if (detail::TimeNamespaceViews* views = page_->time_namespace_views()) views->remove_view(area);
  }
  // An image over another one's data area: that image's DataPage drives it.
  ForgedImage(ElfImage elf, detail::UniqueMapping reservation, AreaLayout layout,
              ForgedImage& owner, std::optional<Chacha20Routine> chacha20)
      : ImageBase(std::move(elf), reservation.address() + layout.data_size),
        reservation_(std::move(reservation)),
        layout_(layout),
        owner_(&owner),
        chacha20_(chacha20) {}
  ~ForgedImage() override {
    if (owner_) owner_->remove_sharer_view(reservation_.bytes());
  }

  bool is_kernel() const override { return false; }
  size_t image_size() const override { return reservation_.size() - layout_.data_size; }
  uintptr_t data_area_base() const override { return reservation_.address(); }
  size_t data_area_size() const override { return layout_.data_size; }
  DataPage* data_page() override { return owner_ ? owner_->data_page() : page_.get(); }
  std::optional<Chacha20Routine> chacha20_routine() const override { return chacha20_; }
  const layout::Profile* layout_profile() const override { return layout_.profile; }

  const AreaLayout& layout() const { return layout_; }
  bool shares_data() const { return owner_ != nullptr; }
  // An image sharing another's data area shares its memfd too.
  int data_fd() const override { return owner_ ? owner_->data_fd() : data_.get(); }

 private:
  // Declared before page_ so the page's worker is joined before the memory
  // it writes is unmapped.
  detail::UniqueMapping reservation_;  // data area + image, one range
  detail::UniqueMapping writable_view_;
  detail::UniqueFd data_;
  AreaLayout layout_;
  std::unique_ptr<detail::EmulatedDataPage> page_;
  ForgedImage* owner_ = nullptr;
  std::optional<Chacha20Routine> chacha20_;
};

Error errno_error(const char* what) {
  return {Errc::map_failed, std::string(what) + " failed: " + std::strerror(errno)};
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
    out = {detected.data_area_size(), detected.rng_data_offset(), detected.profile, std::nullopt};
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
    out = {layout->data_area_size, layout->rng_data_offset, layout->profile, layout->timens};
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
  if (options.time_namespace && !out.timens && !options.share_data_with)
    return {Errc::not_supported,
            "OpenOptions::time_namespace: the image's data layout has no time-namespace "
            "indirection (only the pre-6.15 profiles, linux-6.11 and linux-6.13, have one)"};
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

// The image whose data area another is to share, checked to fit.
Error sharing_owner(const OpenOptions& options, const AreaLayout& layout, ForgedImage*& owner) {
  owner = nullptr;
  if (!options.share_data_with) return {};
  LoadedImage& other = *options.share_data_with;
  if (!detail::is_forged_image(other))
    return {Errc::invalid_argument,
            "OpenOptions::share_data_with must be an image opened by open_file/open_memory"};
  auto& forged = static_cast<ForgedImage&>(other);
  if (forged.shares_data())
    return {Errc::invalid_argument,
            "OpenOptions::share_data_with names an image that itself shares a data area"};
  if (forged.layout().data_size != layout.data_size ||
      forged.layout().rng_offset != layout.rng_offset ||
      !same_timens(forged.layout().timens, layout.timens))
    return {Errc::invalid_argument,
            "OpenOptions::share_data_with: that image's data area (" +
                std::to_string(forged.layout().data_size) + " bytes, rng data at +" +
                std::to_string(forged.layout().rng_offset) + ") differs from this one's (" +
                std::to_string(layout.data_size) + " bytes, +" + std::to_string(layout.rng_offset) +
                ")" +
                (same_timens(forged.layout().timens, layout.timens)
                     ? ""
                     : ", or only one of them has the time-namespace indirection")};
  owner = &forged;
  return {};
}

// A zero or negative period would turn the data-page worker into a busy loop.
Error check_options(const OpenOptions& options) {
  if (options.reseed_interval.count() <= 0)
    return {Errc::invalid_argument, "OpenOptions::reseed_interval must be positive, not " +
                                        std::to_string(options.reseed_interval.count()) + " ms"};
  if (options.follow_poll_interval.count() <= 0)
    return {Errc::invalid_argument, "OpenOptions::follow_poll_interval must be positive, not " +
                                        std::to_string(options.follow_poll_interval.count()) +
                                        " ms"};
  return {};
}

// Copies the PT_LOAD into `text` (read+write), then makes it read+execute:
// no moment in which the text is writable and executable at once.
// Like the kernel's alternatives, the ChaCha20 routine is patched in before
// the text becomes executable, so the call path never tests the CPU.
Error map_text(const ElfImage& elf, uint8_t* text, size_t image_size,
               const std::optional<Chacha20Routines>& routines,
               std::optional<Chacha20Routine> chacha20) {
  const Segment load = elf.load_segment();
  if (mmap(text, image_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
           0) == MAP_FAILED)
    return errno_error("mapping the image's text");
  std::memcpy(text, elf.bytes().data() + load.offset, load.filesz);
  if (routines) {
    if (Error patch_error = patch_chacha20_routine(*routines, *chacha20, text, load.filesz))
      return patch_error;
  }
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
  ForgedImage* owner = nullptr;
  if (Error e = check_options(options); e) return err = std::move(e), nullptr;
  if (Error e = resolve_layout(elf, options, layout); e) return err = std::move(e), nullptr;
  if (Error e = sharing_owner(options, layout, owner); e) return err = std::move(e), nullptr;
  // The ChaCha20 routine is chosen before anything is mapped, so a bad
  // request fails cleanly.
  Error routine_error;
  auto routines = read_chacha20_routines(elf, routine_error);
  std::optional<Chacha20Routine> chacha20;
  if (routines) chacha20 = choose_chacha20_routine(*routines, options.chacha20, routine_error);
  if (routine_error) return err = std::move(routine_error), nullptr;
  if (!routines && options.chacha20 != Chacha20Routine::automatic) {
    err = {Errc::not_supported,
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

  if (owner) {
    if (mmap(reserved, data_size, PROT_READ, MAP_SHARED | MAP_FIXED, owner->data_fd(), 0) ==
        MAP_FAILED) {
      err = errno_error("mapping the shared data area read-only");
      return nullptr;
    }
    if (Error e = map_text(elf, text, image_size, routines, chacha20); e)
      return err = std::move(e), nullptr;
    const auto data_view = reservation.bytes();
    auto image = std::make_unique<ForgedImage>(std::move(elf), std::move(reservation), layout,
                                               *owner, chacha20);
    if (Error e = owner->add_sharer_view(data_view); e) return err = std::move(e), nullptr;
    return image;
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
  if (Error e = map_text(elf, text, image_size, routines, chacha20); e)
    return err = std::move(e), nullptr;
  auto image =
      std::make_unique<ForgedImage>(std::move(elf), std::move(reservation), layout, std::move(data),
                                    std::move(writable_view), options, chacha20);
  if (layout.timens) {
    if (Error e = image->attach_time_namespace(options); e) return err = std::move(e), nullptr;
  }
  return image;
}

// Rule violations stop the open unless the caller asked to study them.
ParseMode parse_mode(const OpenOptions& options) {
  return options.accept_rule_violations ? ParseMode::inspect : ParseMode::strict;
}

}  // namespace

bool detail::is_forged_image(const LoadedImage& image) {
  return typeid(image) == typeid(ForgedImage);
}

std::unique_ptr<LoadedImage> LoadedImage::open_memory(std::span<const uint8_t> bytes, Error& err,
                                                      const OpenOptions& options) {
  auto elf = ElfImage::parse(bytes, parse_mode(options), err);
  if (!elf) return nullptr;
  return map_forged_image(std::move(*elf), err, options);
}

std::unique_ptr<LoadedImage> LoadedImage::open_file(const std::string& path, Error& err,
                                                    const OpenOptions& options) {
  auto elf = ElfImage::parse_file(path, parse_mode(options), err);
  if (!elf) return nullptr;
  return map_forged_image(std::move(*elf), err, options);
}

}  // namespace vdsoforge
