// The file `vdsoforge ctl SOCKET snapshot --to FILE` writes and `restore
// --from FILE` reads: a process tree's vgetrandom state pages, described by
// shape (process order, mapping order, sizes) rather than by address, so a
// second run of the same program, placed elsewhere by ASLR, can take them.
//
// Layout (every integer little-endian; docs/exec.md, "Cloning a program's
// states", is the reference):
//
//   offset 0   8 bytes   magic "VFSTATE\n"
//          8   u32       format version, 1
//         12   u32       processes P (1..kMaxProcesses)
//         16   u64       the data page's generation when the snapshot was taken
//         24   P times:  u32 mappings M (1..kMaxMappings), then M times u64 size
//                        (a whole number of pages, 4096..kMaxMappingBytes)
//   then the bytes of every mapping, process by process, mapping by mapping
//
// and nothing after them.  Whoever holds the file can compute the program's
// next random bytes: it is written mode 0600.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vdsoforge::exec {

struct SavedStates {
  static constexpr uint32_t kVersion = 1;
  static constexpr uint32_t kMaxProcesses = 4096;
  static constexpr uint32_t kMaxMappings = 4096;
  static constexpr uint64_t kMaxMappingBytes = uint64_t{1} << 30;
  static constexpr uint64_t kPageBytes = 4096;

  uint64_t generation = 0;
  // processes[p][m]: the bytes of mapping m of process p, in tree order.
  std::vector<std::vector<std::vector<uint8_t>>> processes;

  // "2 process(es): [4096], [4096 8192]"
  std::string shape() const;
};

std::string encode_saved_states(const SavedStates& states);
// nullopt with `error` saying what is wrong and where (byte offset).
std::optional<SavedStates> decode_saved_states(const std::string& bytes, std::string& error);

// Written to a temporary name beside `path`, then renamed: a reader never
// sees half a file.  false with `error` set.
bool write_saved_states(const std::string& path, const SavedStates& states, std::string& error);
std::optional<SavedStates> read_saved_states(const std::string& path, std::string& error);

}  // namespace vdsoforge::exec
