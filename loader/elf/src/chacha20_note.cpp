// Reading the chacha20-routines note.
#include "vdsoforge/chacha20_note.h"

#include <cstring>
#include <string>

#include "chacha20_routines.h"
#include "vgetrandom_abi.h"

namespace vdsoforge {
namespace {

constexpr uint32_t kMaxRoutines = 16;

uint32_t read_u32(const std::vector<uint8_t>& bytes, size_t at) {
  uint32_t value;
  std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;
}

std::optional<Chacha20Routine> routine_of_id(uint32_t id) {
  switch (static_cast<abi::ChachaRoutineId>(id)) {
    case abi::ChachaRoutineId::sse2:
      return Chacha20Routine::sse2;
    case abi::ChachaRoutineId::avx2:
      return Chacha20Routine::avx2;
    case abi::ChachaRoutineId::avx512:
      return Chacha20Routine::avx512;
  }
  return std::nullopt;  // a routine of a newer image: not ours to pick
}

}  // namespace

std::string_view chacha20_routine_name(Chacha20Routine routine) {
  switch (routine) {
    case Chacha20Routine::automatic:
      return "auto";
    case Chacha20Routine::sse2:
      return "sse2";
    case Chacha20Routine::avx2:
      return "avx2";
    case Chacha20Routine::avx512:
      return "avx512";
  }
  return "?";
}

std::optional<Chacha20Routine> parse_chacha20_routine(std::string_view name) {
  for (Chacha20Routine r : {Chacha20Routine::automatic, Chacha20Routine::sse2,
                            Chacha20Routine::avx2, Chacha20Routine::avx512}) {
    if (name == chacha20_routine_name(r)) return r;
  }
  return std::nullopt;
}

const Chacha20RoutineEntry* Chacha20Routines::find(Chacha20Routine routine) const {
  for (const auto& entry : routines) {
    if (entry.routine == routine) return &entry;
  }
  return nullptr;
}

std::optional<Chacha20Routines> read_chacha20_routines(const ElfImage& elf, ElfError& err) {
  const Note* found = nullptr;
  for (const Note& note : elf.notes()) {
    if (note.owner == abi::kNoteOwner && note.type == abi::kNoteTypeChachaRoutines) found = &note;
  }
  if (!found) return std::nullopt;
  const auto fail = [&](const std::string& what) {
    err = {Errc::bad_note,
           "chacha20-routines note at offset " + std::to_string(found->offset) + ": " + what};
    return std::nullopt;
  };
  const std::vector<uint8_t>& desc = found->desc;
  if (desc.size() < 12) return fail("descriptor of " + std::to_string(desc.size()) + " bytes");
  if (read_u32(desc, 0) != abi::kChachaRoutinesFormat)
    return fail("format " + std::to_string(read_u32(desc, 0)) + ", expected " +
                std::to_string(abi::kChachaRoutinesFormat));
  const uint32_t count = read_u32(desc, 4);
  if (count == 0 || count > kMaxRoutines || desc.size() != 12 + size_t{count} * 12)
    return fail(std::to_string(count) + " routines in a " + std::to_string(desc.size()) +
                "-byte descriptor");
  const Segment& load = elf.load_segment();
  // Offsets are signed, from the note record; they must land in the file.
  const auto locate = [&](size_t at, uint64_t size, uint64_t& out) {
    const int64_t relative = static_cast<int32_t>(read_u32(desc, at));
    const int64_t offset = static_cast<int64_t>(found->offset) + relative;
    if (offset < 0 || static_cast<uint64_t>(offset) + size > load.filesz) return false;
    out = static_cast<uint64_t>(offset);
    return true;
  };
  Chacha20Routines table;
  if (!locate(8, abi::kJmpRel32Size, table.site))
    return fail("the dispatch jump lies outside the loadable segment");
  for (uint32_t i = 0; i < count; ++i) {
    const size_t at = 12 + size_t{i} * 12;
    const auto routine = routine_of_id(read_u32(desc, at));
    uint64_t entry = 0;
    if (!locate(at + 8, 1, entry))
      return fail("routine " + std::to_string(i) + " starts outside the loadable segment");
    if (routine) table.routines.push_back({*routine, read_u32(desc, at + 4), entry});
  }
  // As linked, the jump must be a rel32 jump to the SSE2 routine: anything
  // else means the note does not describe this text.
  const Chacha20RoutineEntry* baseline = table.find(Chacha20Routine::sse2);
  if (!baseline) return fail("no SSE2 routine, which the unpatched jump must reach");
  const uint8_t* site = elf.bytes().data() + load.offset + table.site;
  int32_t rel32;
  std::memcpy(&rel32, site + 1, sizeof rel32);
  const int64_t target = static_cast<int64_t>(table.site) + abi::kJmpRel32Size + rel32;
  if (site[0] != abi::kJmpRel32Opcode || target != static_cast<int64_t>(baseline->entry))
    return fail("the bytes at the dispatch site are not a rel32 jump to the SSE2 routine");
  return table;
}

}  // namespace vdsoforge
