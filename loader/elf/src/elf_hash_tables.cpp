// The hash functions and chain walks of the two ELF symbol hash tables.
#include "elf_hash_tables.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "vdsoforge/elf_image.h"

namespace vdsoforge {

// The System V ABI's ELF hash: 4 bits per character, high nibble folded back.
uint32_t elf_sysv_hash(std::string_view name) {
  uint32_t h = 0;
  for (const char c : name) {
    h = (h << 4) + static_cast<uint8_t>(c);
    const uint32_t high = h & 0xf0000000u;
    h ^= high >> 24;
    h &= ~high;
  }
  return h;
}

// The GNU hash (Bernstein's h * 33 + c, starting at 5381).
uint32_t elf_gnu_hash(std::string_view name) {
  uint32_t h = 5381;
  for (const char c : name) h = h * 33 + static_cast<uint8_t>(c);
  return h;
}

std::string_view hash_miss_name(HashMiss miss) {
  switch (miss) {
    case HashMiss::none:
      return "none";
    case HashMiss::no_table:
      return "no_table";
    case HashMiss::empty_table:
      return "empty_table";
    case HashMiss::bloom_miss:
      return "bloom_miss";
    case HashMiss::empty_bucket:
      return "empty_bucket";
    case HashMiss::chain_end:
      return "chain_end";
    case HashMiss::unreadable:
      return "unreadable";
  }
  return "unknown";
}

}  // namespace vdsoforge

namespace vdsoforge::elf_detail {

namespace {

HashProbe missed(HashMiss why, std::vector<uint32_t> refused = {}) {
  return HashProbe{.index = std::nullopt, .miss = why, .refused = std::move(refused)};
}

}  // namespace

HashProbe walk_gnu_hash(const InputBytes& in, uint64_t table_offset, uint64_t symbol_count,
                        uint32_t name_hash, bool check_bloom, const AcceptIndex& accept) {
  std::array<uint32_t, 4> header{};
  if (!in.try_read(table_offset, header)) return missed(HashMiss::unreadable);
  const auto [nbuckets, symoffset, bloom_size, bloom_shift] = header;
  if (nbuckets == 0) return missed(HashMiss::empty_table);

  // One 64-bit bloom word holds two bits of every hash that maps to it; if
  // either is clear the name is certainly absent (this is what glibc tests).
  const uint64_t bloom_offset = table_offset + 16;
  if (check_bloom) {
    if (bloom_size == 0 || bloom_shift >= 64) return missed(HashMiss::empty_table);
    uint64_t word = 0;
    if (!in.try_read(bloom_offset + 8 * ((name_hash / 64) % bloom_size), word)) {
      return missed(HashMiss::unreadable);
    }
    const uint64_t h = name_hash;
    const uint64_t mask = (uint64_t{1} << (h % 64)) | (uint64_t{1} << ((h >> bloom_shift) % 64));
    if ((word & mask) != mask) return missed(HashMiss::bloom_miss);
  }

  const uint64_t buckets_offset = bloom_offset + 8 * uint64_t{bloom_size};
  const uint64_t chain_offset = buckets_offset + 4 * uint64_t{nbuckets};
  uint32_t index = 0;
  if (!in.try_read(buckets_offset + 4 * uint64_t{name_hash % nbuckets}, index)) {
    return missed(HashMiss::unreadable);
  }
  if (index == 0 || index < symoffset) return missed(HashMiss::empty_bucket);

  std::vector<uint32_t> refused;
  for (uint64_t steps = 0; index < symbol_count && steps < symbol_count; ++index, ++steps) {
    uint32_t chain_hash = 0;
    if (!in.try_read(chain_offset + 4 * uint64_t{index - symoffset}, chain_hash)) {
      return missed(HashMiss::unreadable, std::move(refused));
    }
    // The low bit marks the chain's last entry; the other bits are the hash.
    if ((chain_hash | 1) == (name_hash | 1)) {
      if (accept(index))
        return HashProbe{.index = index, .miss = HashMiss::none, .refused = refused};
      refused.push_back(index);
    }
    if (chain_hash & 1) break;
  }
  return missed(HashMiss::chain_end, std::move(refused));
}

HashProbe walk_sysv_hash(const InputBytes& in, uint64_t table_offset, uint64_t symbol_count,
                         uint32_t name_hash, const AcceptIndex& accept) {
  uint32_t nbucket = 0, nchain = 0;
  if (!in.try_read(table_offset, nbucket) || !in.try_read(table_offset + 4, nchain)) {
    return missed(HashMiss::unreadable);
  }
  if (nbucket == 0) return missed(HashMiss::empty_table);
  const uint64_t buckets_offset = table_offset + 8;
  const uint64_t chains_offset = buckets_offset + 4 * uint64_t{nbucket};
  const uint64_t limit = std::min<uint64_t>(symbol_count, nchain);

  uint32_t index = 0;
  if (!in.try_read(buckets_offset + 4 * uint64_t{name_hash % nbucket}, index)) {
    return missed(HashMiss::unreadable);
  }
  if (index == 0) return missed(HashMiss::empty_bucket);
  std::vector<uint32_t> refused;
  // Index 0 (the null symbol) ends every chain.
  for (uint64_t steps = 0; index != 0 && index < limit && steps < limit; ++steps) {
    if (accept(index)) return HashProbe{.index = index, .miss = HashMiss::none, .refused = refused};
    refused.push_back(index);
    if (!in.try_read(chains_offset + 4 * uint64_t{index}, index)) {
      return missed(HashMiss::unreadable, std::move(refused));
    }
  }
  return missed(HashMiss::chain_end, std::move(refused));
}

std::optional<uint32_t> find_in_gnu_hash(const InputBytes& in, uint64_t table_offset,
                                         uint64_t symbol_count, uint32_t name_hash,
                                         const AcceptIndex& accept) {
  return walk_gnu_hash(in, table_offset, symbol_count, name_hash, true, accept).index;
}

std::optional<uint32_t> find_in_sysv_hash(const InputBytes& in, uint64_t table_offset,
                                          uint64_t symbol_count, uint32_t name_hash,
                                          const AcceptIndex& accept) {
  return walk_sysv_hash(in, table_offset, symbol_count, name_hash, accept).index;
}

}  // namespace vdsoforge::elf_detail
