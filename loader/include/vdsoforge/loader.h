// Mapping vDSO images in user space, the way the kernel maps its own.
//
//   data area (read-only to the image, size from the image's note)
//   image     (one PT_LOAD, read+execute)
//
// For images built by this project the data area is backed by a memfd that is
// mapped twice: read-only directly below the image, and read-write somewhere
// else for the loader (DataPage), so the emulated vdso_rng_data can change
// while no mapping is ever writable and executable.  The live kernel vDSO
// opens through the same API, read-only and without a DataPage.
//
// Errors: every call here that can fail says why through an Error
// (error.h).  The two interfaces that mirror the kernel's keep the kernel's
// convention, each in a header of its own: thread_getrandom.h (negative
// errno, as the vDSO function returns) and vgetrandom_alloc.h (-1 and errno,
// as the proposed system call did).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vdsoforge/chacha20_routine.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/emulated_time.h"
#include "vdsoforge/error.h"
#include "vdsoforge/vgetrandom_abi.h"

namespace vdsoforge {

using GetrandomFn = long (*)(void* buffer, size_t len, unsigned flags, void* opaque_state,
                             size_t opaque_len);

// How the emulated generation moves on its own.
enum class GenerationMode {
  manual,         // only set_generation()/bump_generation() change it (tests)
  follow_kernel,  // tracks the kernel's own rng generation via its vDSO getrandom
  schedule,       // bumps every reseed_interval (kernel-like 60 s) on its own
};
std::string_view generation_mode_name(GenerationMode mode);

namespace detail {
class EmulatedDataPage;
struct ImageMapping;
class ThreadStatePoolSlot;
struct LoaderAccess;  // how the library's own files reach the private parts
}  // namespace detail

// The emulated vdso_rng_data of an image this library mapped: what the
// image's getrandom reads, changed only through here (and by the worker of
// the generation mode).  Owned by its LoadedImage; not for other
// implementations: the loader maps the memory it writes.
class DataPage {
 public:
  ~DataPage();
  DataPage(const DataPage&) = delete;
  DataPage& operator=(const DataPage&) = delete;

  uint64_t generation() const;
  void set_generation(uint64_t generation);
  uint64_t bump_generation();  // returns the new generation (never 0)
  bool is_ready() const;
  void set_ready(bool ready);
  GenerationMode mode() const;
  // LoaderErrc::not_supported if follow_kernel is asked for and the kernel vDSO has no getrandom.
  Error set_mode(GenerationMode mode);
  // Address the image reads (inside the read-only data area below it); in an
  // emulated time namespace, the rng data seen through the timens slot.
  const abi::VdsoRngData* image_view() const;
  // The emulated time namespace (see OpenOptions::time_namespace): whether
  // it is on, and switching it for every image over this page.
  // LoaderErrc::not_supported for layouts with neither the pre-6.15 indirection
  // nor emulated time data.
  bool in_time_namespace() const;
  Error set_time_namespace(bool inside);

  // ---- The time data (emulated_time.h) ----
  // Emulated for images that export __vdso_clock_gettime and whose data area
  // holds the time records apart from the rng data (every profile; an
  // explicit area with the rng data at 0x2000 or above); every call below
  // returns LoaderErrc::not_supported (has_time_data() false) otherwise.
  bool has_time_data() const;
  TimeMode time_mode() const;
  // follow_kernel: LoaderErrc::not_supported (or kernel_vdso_unavailable) when
  // this process's own kernel time data cannot be found; manual keeps the
  // page as it is.
  Error set_time_mode(TimeMode mode);
  // One copy of the kernel's time data now, in either mode.
  Error sync_time_with_kernel();
  // What the page shows (with the realtime offset applied).
  std::optional<TimeSnapshot> time() const;
  // Writes a whole snapshot under the seqcount (the next mirror overwrites
  // it in follow_kernel mode); set_clock_mode() changes only both records'
  // clock mode (VDSO_CLOCKMODE_NONE sends the image to the system calls).
  Error set_time(const TimeSnapshot& snapshot);
  Error set_clock_mode(int32_t clock_mode);
  // Shifts CLOCK_REALTIME, CLOCK_REALTIME_COARSE and CLOCK_TAI (and so
  // gettimeofday and time) by `offset` from now on, mirrored data included.
  Error set_realtime_offset(std::chrono::nanoseconds offset);
  std::chrono::nanoseconds realtime_offset() const;  // 0 without time data
  // The emulated time namespace's offset for one clock id (0-11, nsec below
  // one second; LoaderErrc::invalid_argument otherwise), in the namespace's page
  // whether or not the namespace is on.
  Error set_time_namespace_offset(int clock, int64_t sec, uint64_t nsec);
  // Starts TimeMode::schedule: the page follows the kernel's time data as in
  // follow_kernel and applies each step at its time, checked for every
  // follow interval, so a step lands at most about one interval late (more
  // on a loaded machine; steps due together apply in one update).  Refused
  // before anything changes: steps out of order or before 0
  // (invalid_argument), namespace steps on a layout without the emulated
  // namespace (not_supported), as the step would be.  After the last step
  // the page keeps following with the changes in place; set_time_mode()
  // ends the schedule (the forced clock mode goes, the realtime offset and
  // the namespace stay).  set_time_mode(schedule) is refused: a schedule
  // needs its steps.
  Error set_time_schedule(std::vector<TimeStep> steps);
  // How many steps of the current schedule have been begun and how many are
  // wholly on the page (both 0 outside the schedule mode).  A reader that
  // finds done = k before its reads and started = k after them saw exactly
  // the state after the first k steps.  Steps due at 0 ms are done when
  // set_time_schedule() returns.
  size_t time_schedule_steps_started() const;
  size_t time_schedule_steps_done() const;

 private:
  friend struct detail::LoaderAccess;
  explicit DataPage(std::unique_ptr<detail::EmulatedDataPage> emulation);
  std::unique_ptr<detail::EmulatedDataPage> emulation_;
};

struct OpenOptions {
  GenerationMode mode = GenerationMode::follow_kernel;  // falls back to schedule if unavailable
  // Period of GenerationMode::schedule; the kernel reseeds its CRNG every
  // CRNG_RESEED_INTERVAL = 60 s once booted.  Tests shorten it.
  std::chrono::milliseconds reseed_interval{60'000};
  // How often GenerationMode::follow_kernel samples the kernel's generation.
  std::chrono::milliseconds follow_poll_interval{1'000};
  // How the emulated time data starts (images with time data only):
  // follow_kernel falls back to manual if the kernel's cannot be mirrored.
  TimeMode time_mode = TimeMode::follow_kernel;
  // How often TimeMode::follow_kernel copies the kernel's time data: the
  // coarse clocks lag the kernel's by at most this.
  std::chrono::milliseconds time_follow_interval{1};
  // The ChaCha20 routine to patch in (images with a chacha20-routines note):
  // automatic takes $VDSOFORGE_CHACHA, else the best this CPU supports.
  Chacha20Routine chacha20 = Chacha20Routine::automatic;
  // Apply the image's cpu-patches note (rdtscp, rdpid where the CPU has
  // them, as the kernel's alternatives do); false runs the instructions as
  // linked, which every x86-64 CPU runs.
  bool cpu_patches = true;
  // An image without a vdsoforge data-layout note (the kernel's own vDSO as
  // `vdsoforge dump` saved it) is refused unless this is set; then its data
  // area is derived from its code (detect_data_layout(), layout_detect.h)
  // and the image is refused only if the code gives no rng-data address.
  bool layout_from_code = false;
  // Map the image over the emulated data area of `share_data_with` (an
  // image opened by open_file/open_memory, whose data area has the same size,
  // rng-data offset and time-namespace indirection) instead of a new one: one
  // DataPage then drives both, so two images can be compared under the very
  // same data (and the same emulated time namespace).  The other image must
  // outlive this one; this one's data_page() is the other's, and `mode` and
  // `time_namespace` are ignored.
  class LoadedImage* share_data_with = nullptr;
  // Start inside an emulated time namespace, as the kernel maps one: the
  // namespace's page (clock mode VDSO_CLOCKMODE_TIMENS, seq 1, the offsets;
  // rng slot zero) at the vvar/time slot and the real page at the timens
  // slot.  The pre-6.15 profiles swap their vvar page (rng data included);
  // 6.15+ layouts with emulated time data swap only the time page.
  // LoaderErrc::not_supported for layouts with neither.  Outside a namespace the
  // timens slot is inaccessible, as the kernel faults on it.
  bool time_namespace = false;
  // Where the data area lies for an image without the vdsoforge data-layout
  // note, given explicitly (for example as `vdsoforge dump` reported it);
  // takes precedence over layout_from_code.  Ignored when the image carries
  // the note.
  std::optional<DataLayout> data_layout;
  // Map an image that breaks the parser's rules: it is parsed in
  // ParseMode::inspect, so every bounds check still holds and only rule
  // violations (a zeroed bloom filter, a wrong vd_hash, ...) are let
  // through.  For tools that study how programs react to a damaged vDSO
  // (`vdsoforge exec --allow-damaged`); symbol() may then find nothing.
  bool accept_rule_violations = false;
};

// One mapped vDSO image: the parsed ELF, what is mapped where (the data
// area and its DataPage for images of this library, the kernel's pages for
// its own vDSO), and the per-thread states of vdsoforge::getrandom()
// (thread_getrandom.h), each kept by a part of its own.
class LoadedImage {
 public:
  static std::unique_ptr<LoadedImage> open_file(const std::string& path, Error& err,
                                                const OpenOptions& options = {});
  static std::unique_ptr<LoadedImage> open_memory(std::span<const uint8_t> bytes, Error& err,
                                                  const OpenOptions& options = {});
  // The kernel's own vDSO (AT_SYSINFO_EHDR), read-only, no DataPage.
  static std::unique_ptr<LoadedImage> open_kernel(Error& err);

  ~LoadedImage();  // unmaps everything it mapped
  LoadedImage(const LoadedImage&) = delete;
  LoadedImage& operator=(const LoadedImage&) = delete;

  // dlsym-style look-up (version "" = any).  nullptr if not found.
  void* symbol(std::string_view name, std::string_view version = "LINUX_2.6") const;
  GetrandomFn getrandom() const {
    return reinterpret_cast<GetrandomFn>(symbol("__vdso_getrandom"));
  }

  bool is_kernel() const;
  const ElfImage& elf() const { return elf_; }
  uintptr_t base() const;  // address of the image's ELF header
  size_t image_size() const;
  uintptr_t data_area_base() const;  // lowest data address (base - data size)
  size_t data_area_size() const;
  DataPage* data_page();  // nullptr for the kernel vDSO
  // The kernel profile whose data area the loader emulates (from the note,
  // or the code with layout_from_code); nullptr for an explicit area and for
  // the kernel vDSO itself.
  const layout::Profile* layout_profile() const;
  // The ChaCha20 routine the loader patched in; nullopt for the kernel vDSO
  // and for images without a chacha20-routines note.
  std::optional<Chacha20Routine> chacha20_routine() const;
  // How many sites of the image's cpu-patches note the loader rewrote (0 for
  // the kernel vDSO, images without the note, and OpenOptions::cpu_patches off).
  size_t cpu_patches_applied() const;
  // The sealed memfd behind the data area (owned by the image, close-on-exec),
  // so another process can map the same data pages; -1 for the kernel vDSO.
  int data_fd() const;

 private:
  friend struct detail::LoaderAccess;
  LoadedImage(ElfImage elf, std::unique_ptr<detail::ImageMapping> mapping);

  ElfImage elf_;
  std::unique_ptr<detail::ImageMapping> mapping_;
  std::unique_ptr<detail::ThreadStatePoolSlot> thread_states_;
};

// ---- States -----------------------------------------------------------------

enum class StateBacking {
  droppable,     // MAP_DROPPABLE, as the image asked
  wipe_on_fork,  // private anonymous + MADV_WIPEONFORK + MADV_DONTDUMP (older kernels)
};
std::string_view backing_name(StateBacking backing);

// Hands out page-contained states for one getrandom, allocated the way the
// image's parameter query says.  Thread safe.
class StateAllocator {
 public:
  static std::unique_ptr<StateAllocator> create(GetrandomFn getrandom, Error& err);
  ~StateAllocator();
  StateAllocator(const StateAllocator&) = delete;
  StateAllocator& operator=(const StateAllocator&) = delete;

  void* allocate(Error& err);  // nullptr on failure
  void release(void* state);   // back to the pool (not unmapped)
  StateBacking backing() const;
  const abi::VgetrandomOpaqueParams& params() const;
  size_t capacity() const;  // states carved from mapped pages so far
  size_t in_use() const;    // states handed out and not released

 private:
  struct Pool;
  explicit StateAllocator(std::unique_ptr<Pool> pool);
  std::unique_ptr<Pool> pool_;
};

}  // namespace vdsoforge
