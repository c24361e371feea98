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

namespace vdsoforge::elf_detail {

// Called with each candidate symbol index; returns true to stop the walk.
using AcceptIndex = std::function<bool(uint32_t index)>;

// The first index on the chain for `name_hash` (GNU hash of the name) that
// passes the bloom filter, carries a matching hash and is accepted.
std::optional<uint32_t> find_in_gnu_hash(const InputBytes& in, uint64_t table_offset,
                                         uint64_t symbol_count, uint32_t name_hash,
                                         const AcceptIndex& accept);

// The first index on the chain for `name_hash` (SysV hash of the name) that is
// accepted.
std::optional<uint32_t> find_in_sysv_hash(const InputBytes& in, uint64_t table_offset,
                                          uint64_t symbol_count, uint32_t name_hash,
                                          const AcceptIndex& accept);

}  // namespace vdsoforge::elf_detail
