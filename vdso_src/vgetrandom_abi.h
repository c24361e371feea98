// The vgetrandom ABI shared by the image, the loader and the tests.
//
// Every layout here is fixed by the kernel (Linux 6.11+): a state written by the
// kernel's vDSO must be usable by this image and the other way round, so the
// static_asserts below pin each field to its offset.  The header is freestanding
// (no libc) because it is compiled into the image.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace vdsoforge::abi {

inline constexpr unsigned long kPageSize = 4096;
inline constexpr unsigned long kPageMask = ~(kPageSize - 1);

// getrandom(2) flags the vDSO accepts; any other bit goes to the syscall, which
// rejects it.
inline constexpr unsigned kGrndNonblock = 0x1;
inline constexpr unsigned kGrndRandom = 0x2;
inline constexpr unsigned kGrndInsecure = 0x4;
inline constexpr unsigned kGrndKnownFlags = kGrndNonblock | kGrndRandom | kGrndInsecure;

// Largest single read the kernel performs: INT_MAX rounded down to a page.
inline constexpr size_t kMaxRwCount = 0x7fffffffUL & kPageMask;

inline constexpr long kSysGetrandom = 318;  // x86-64 syscall number
inline constexpr long kEfault = 14;

inline constexpr unsigned kProtRead = 0x1;
inline constexpr unsigned kProtWrite = 0x2;
inline constexpr unsigned kMapAnonymous = 0x20;
inline constexpr unsigned kMapDroppable = 0x08;

// The parameter query (`opaque_len == ~0UL`) fills one of these.
struct VgetrandomOpaqueParams {
  uint32_t size_of_opaque_state;
  uint32_t mmap_prot;
  uint32_t mmap_flags;
  uint32_t reserved[13];
};
static_assert(sizeof(VgetrandomOpaqueParams) == 64);

inline constexpr size_t kChachaBlockSize = 64;
inline constexpr size_t kChachaKeySize = 32;
inline constexpr size_t kBatchSize = 96;

// One per thread, in memory the kernel may wipe at any moment (MAP_DROPPABLE).
// A wiped state reads as generation 0, which never equals a live generation, so
// the next call reseeds.
struct VgetrandomState {
  // batch[0..96) is the unused tail of the last refill; key[96..128) is the
  // ChaCha20 key.  They are one array because the refill writes two blocks
  // over both at once, which is what erases the key that produced them.
  uint8_t batch_key[kBatchSize + kChachaKeySize];
  uint64_t generation;
  uint8_t pos;  // next unserved batch byte; kBatchSize means empty
  bool in_use;  // set while a call runs on this state (signal re-entry guard)
};
inline constexpr size_t kStateKeyOffset = kBatchSize;
static_assert(sizeof(VgetrandomState) == 144);
static_assert(offsetof(VgetrandomState, generation) == 128);
static_assert(offsetof(VgetrandomState, pos) == 136);
static_assert(offsetof(VgetrandomState, in_use) == 137);
static_assert(sizeof(VgetrandomState::batch_key) % kChachaBlockSize == 0);

// What the kernel publishes in its data pages and the image reads.
struct VdsoRngData {
  uint64_t generation;
  uint8_t is_ready;
};
static_assert(offsetof(VdsoRngData, is_ready) == 8);

// The project's own ELF note (owner "vdsoforge", type kNoteTypeDataLayout)
// telling a loader which data pages the image expects below its first byte.
// All fields are little-endian u32 so the note never needs 8-byte alignment.
// Format 1 is the data area alone; format 2 (images built for a kernel's
// profile) starts with the same four fields and adds the profile and the
// pre-6.15 time-namespace indirection.  Readers take both.
inline constexpr char kNoteOwner[] = "vdsoforge";
inline constexpr uint32_t kNoteTypeDataLayout = 1;
inline constexpr uint32_t kDataLayoutFormat = 1;
inline constexpr uint32_t kDataLayoutFormatProfile = 2;

struct DataLayoutDesc {
  uint32_t format;           // kDataLayoutFormat (or kDataLayoutFormatProfile, below)
  uint32_t page_size;        // page size the layout assumes (4096)
  uint32_t data_area_size;   // bytes of data pages directly below the image
  uint32_t rng_data_offset;  // offset of VdsoRngData from the data area's start
};
static_assert(sizeof(DataLayoutDesc) == 16);

// DataLayoutProfileDesc::flags: the image reads its rng data through the
// timens page when the clock mode at clock_mode_offset is
// VDSO_CLOCKMODE_TIMENS (layout_profiles.h), as kernels before 6.15 do.
inline constexpr uint32_t kDataLayoutTimensIndirection = 0x1;

struct DataLayoutProfileDesc {
  DataLayoutDesc area;  // format = kDataLayoutFormatProfile
  uint32_t profile;     // layout::ProfileId (0: none, an explicit area)
  uint32_t flags;       // kDataLayoutTimensIndirection or 0
  // With the indirection (else 0), offsets from the data area's start: the
  // page holding the rng data and the clock mode, the page read instead
  // inside a time namespace, and the s32 clock mode the code checks.
  uint32_t vvar_page_offset;
  uint32_t timens_page_offset;
  uint32_t clock_mode_offset;
};
static_assert(sizeof(DataLayoutProfileDesc) == 36);
static_assert(offsetof(DataLayoutProfileDesc, profile) == 16);
static_assert(offsetof(DataLayoutProfileDesc, flags) == 20);
static_assert(offsetof(DataLayoutProfileDesc, vvar_page_offset) == 24);
static_assert(offsetof(DataLayoutProfileDesc, timens_page_offset) == 28);
static_assert(offsetof(DataLayoutProfileDesc, clock_mode_offset) == 32);

}  // namespace vdsoforge::abi
