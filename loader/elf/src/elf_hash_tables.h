// Walking DT_HASH and DT_GNU_HASH chains (private to the loader).
//
// Shared by the parser (which proves each table finds every export) and by
// ElfImage's look-ups.  The walks re-check every read against the input and
// never take more steps than there are symbols, so even a table the parser
// has not validated cannot make them fault or loop.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "elf_bytes.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge::elf_detail {

// Called with each candidate symbol index; returns true to stop the walk.
using AcceptIndex = std::function<bool(uint32_t index)>;

// Walks the chain for `name_hash` (GNU hash of the name): the bloom filter
// first (unless `check_bloom` is false), then each index whose chain hash
// matches, until one is accepted; says where the walk stopped if none was.
HashProbe walk_gnu_hash(const InputBytes& in, uint64_t table_offset, uint64_t symbol_count,
                        uint32_t name_hash, bool check_bloom, const AcceptIndex& accept);

// Walks the chain for `name_hash` (SysV hash of the name) until an index is
// accepted.
HashProbe walk_sysv_hash(const InputBytes& in, uint64_t table_offset, uint64_t symbol_count,
                         uint32_t name_hash, const AcceptIndex& accept);

// The accepted index of a walk with the bloom filter, or nullopt.
std::optional<uint32_t> find_in_gnu_hash(const InputBytes& in, uint64_t table_offset,
                                         uint64_t symbol_count, uint32_t name_hash,
                                         const AcceptIndex& accept);
std::optional<uint32_t> find_in_sysv_hash(const InputBytes& in, uint64_t table_offset,
                                          uint64_t symbol_count, uint32_t name_hash,
                                          const AcceptIndex& accept);

}  // namespace vdsoforge::elf_detail
