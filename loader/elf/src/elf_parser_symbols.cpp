// ElfParser: the two hash tables, the symbol table, and the proof that each
// hash table finds every exported symbol.
#include <elf.h>

#include <algorithm>
#include <optional>

#include "elf_hash_tables.h"
#include "elf_parser.h"
#include "vdsoforge/elf_exports.h"

namespace vdsoforge {

bool ElfParser::parse_sysv_hash() {
  const auto vaddr = image_.dynamic_value(DT_HASH);
  if (!vaddr) return true;
  uint64_t offset = 0;
  if (!locate("DT_HASH header", Errc::bad_hash_table, *vaddr, 0, 8, offset)) return false;
  const auto nbucket = in_.read<uint32_t>(offset);
  const auto nchain = in_.read<uint32_t>(offset + 4);
  if (nbucket == 0) {
    return fail(Errc::bad_hash_table, "DT_HASH at offset " + hex(offset) + " has nbucket 0");
  }
  const uint64_t size = 8 + 4 * (uint64_t{nbucket} + nchain);
  if (!locate("DT_HASH table (nbucket " + std::to_string(nbucket) + ", nchain " +
                  std::to_string(nchain) + ")",
              Errc::bad_hash_table, *vaddr, 0, size, offset)) {
    return false;
  }
  // Chains are disjoint lists ending at index 0, so all of them together
  // take fewer than nchain steps; more means an index loops or is shared.
  const uint64_t buckets = offset + 8;
  const uint64_t chains = buckets + 4 * uint64_t{nbucket};
  uint64_t steps = 0;
  for (uint32_t b = 0; b < nbucket; ++b) {
    auto index = in_.read<uint32_t>(buckets + 4 * uint64_t{b});
    while (index != 0) {
      if (index >= nchain) {
        return fail(Errc::bad_hash_table, "DT_HASH chain of bucket " + std::to_string(b) +
                                              " at offset " + hex(offset) + " reaches index " +
                                              std::to_string(index) + ", not below nchain " +
                                              std::to_string(nchain));
      }
      if (++steps >= nchain) {
        return fail(Errc::bad_hash_table, "DT_HASH chains at offset " + hex(offset) +
                                              " loop or share entries (bucket " +
                                              std::to_string(b) + ")");
      }
      index = in_.read<uint32_t>(chains + 4 * uint64_t{index});
    }
  }
  sysv_symbol_count_ = nchain;
  image_.sysv_hash_offset_ = offset;
  regions_.push_back(Region{"DT_HASH table", Errc::bad_hash_table, offset, size});
  return true;
}

bool ElfParser::parse_gnu_hash() {
  const auto vaddr = image_.dynamic_value(DT_GNU_HASH);
  if (!vaddr) return true;
  uint64_t offset = 0;
  if (!locate("DT_GNU_HASH header", Errc::bad_hash_table, *vaddr, 0, 16, offset)) return false;
  const auto nbuckets = in_.read<uint32_t>(offset);
  const auto symoffset = in_.read<uint32_t>(offset + 4);
  const auto bloom_size = in_.read<uint32_t>(offset + 8);
  const auto bloom_shift = in_.read<uint32_t>(offset + 12);
  const std::string at = " at offset " + hex(offset);
  // No buckets: every look-up through the table misses, but the table is
  // readable, so inspect mode goes on and lets the consumer models say what
  // each C library makes of it.
  if (nbuckets == 0 && !rule(Errc::bad_hash_table, "DT_GNU_HASH" + at + " has 0 buckets")) {
    return false;
  }
  // Look-ups index the bloom filter with a mask, which needs a power of two.
  if (bloom_size == 0 || (bloom_size & (bloom_size - 1)) != 0) {
    return fail(Errc::bad_hash_table, "DT_GNU_HASH" + at + " bloom filter size " +
                                          std::to_string(bloom_size) + " is not a power of two");
  }
  if (bloom_shift >= 64) {
    return fail(Errc::bad_hash_table, "DT_GNU_HASH" + at + " bloom shift " +
                                          std::to_string(bloom_shift) + " is not below 64");
  }
  uint64_t part = 0;
  if (!locate("DT_GNU_HASH bloom filter", Errc::bad_hash_table, *vaddr, 16,
              8 * uint64_t{bloom_size}, part)) {
    return false;
  }
  const uint64_t buckets_delta = 16 + 8 * uint64_t{bloom_size};
  uint64_t buckets = 0;
  if (!locate("DT_GNU_HASH buckets", Errc::bad_hash_table, *vaddr, buckets_delta,
              4 * uint64_t{nbuckets}, buckets)) {
    return false;
  }
  const uint64_t chain_delta = buckets_delta + 4 * uint64_t{nbuckets};

  // The table does not store how many symbols it covers: the highest bucket
  // start, followed to its chain's end marker, is the last hashed symbol.
  uint32_t highest = 0;
  for (uint32_t b = 0; b < nbuckets; ++b) {
    const auto start = in_.read<uint32_t>(buckets + 4 * uint64_t{b});
    if (start != 0 && start < symoffset) {
      return fail(Errc::bad_hash_table, "DT_GNU_HASH bucket " + std::to_string(b) + at +
                                            " starts at symbol " + std::to_string(start) +
                                            ", below symoffset " + std::to_string(symoffset));
    }
    highest = std::max(highest, start);
  }
  uint64_t chain = 0;
  if (!locate("DT_GNU_HASH chain", Errc::bad_hash_table, *vaddr, chain_delta, 0, chain)) {
    return false;
  }
  uint64_t count = symoffset;
  if (highest != 0) {
    for (uint64_t index = highest;; ++index) {
      const uint64_t word = chain + 4 * (index - symoffset);
      if (!in_.contains(word, 4)) {
        return fail(Errc::bad_hash_table, "DT_GNU_HASH chain from bucket start " +
                                              std::to_string(highest) +
                                              " has no end marker before the end of the " +
                                              hex(in_.size()) + "-byte image");
      }
      if (in_.read<uint32_t>(word) & 1) {
        count = index + 1;
        break;
      }
    }
  }
  const uint64_t chain_size = 4 * (count - symoffset);
  if (!locate("DT_GNU_HASH chain (" + std::to_string(count - symoffset) + " entries)",
              Errc::bad_hash_table, *vaddr, chain_delta, chain_size, chain)) {
    return false;
  }
  if (!walk_gnu_hash_chains(chain, count, nbuckets, symoffset, buckets)) return false;
  // A table without buckets hashes no symbol, so it says nothing about how
  // many there are; DT_HASH, when present, does.
  if (nbuckets != 0 || !sysv_symbol_count_) gnu_symbol_count_ = count;
  image_.gnu_hash_offset_ = offset;
  regions_.push_back(
      Region{"DT_GNU_HASH table", Errc::bad_hash_table, offset, chain_delta + chain_size});
  return true;
}

bool ElfParser::walk_gnu_hash_chains(uint64_t chain_offset, uint64_t count, uint32_t nbuckets,
                                     uint32_t symoffset, uint64_t buckets_offset) {
  // Chains are disjoint runs of the chain array, each ending at an entry with
  // the low bit set; together they take at most one step per entry, so more
  // steps mean two buckets share a chain.  The last entry ends every run, so
  // no walk can leave the array.
  const uint64_t entries = count - symoffset;
  uint64_t steps = 0;
  for (uint32_t b = 0; b < nbuckets; ++b) {
    const auto start = in_.read<uint32_t>(buckets_offset + 4 * uint64_t{b});
    if (start == 0) continue;
    for (uint64_t index = start; index < count; ++index) {
      if (++steps > entries) {
        return fail(Errc::bad_hash_table, "DT_GNU_HASH chains at offset " + hex(chain_offset) +
                                              " overlap (bucket " + std::to_string(b) +
                                              " starts inside another bucket's chain)");
      }
      if (in_.read<uint32_t>(chain_offset + 4 * (index - symoffset)) & 1) break;
    }
  }
  return true;
}

bool ElfParser::settle_symbol_count() {
  if (!sysv_symbol_count_ && !gnu_symbol_count_) {
    return fail(Errc::bad_hash_table,
                "the dynamic section has neither DT_HASH nor DT_GNU_HASH, so the number of "
                "symbols is unknown");
  }
  symbol_count_ = sysv_symbol_count_ ? *sysv_symbol_count_ : *gnu_symbol_count_;
  if (sysv_symbol_count_ && gnu_symbol_count_ && *sysv_symbol_count_ != *gnu_symbol_count_) {
    return rule(Errc::bad_hash_table, "DT_GNU_HASH covers " + std::to_string(*gnu_symbol_count_) +
                                          " symbols but DT_HASH nchain is " +
                                          std::to_string(*sysv_symbol_count_));
  }
  return true;
}

bool ElfParser::parse_symbols() {
  const auto vaddr = image_.dynamic_value(DT_SYMTAB);
  if (!vaddr) return fail(Errc::bad_symbol_table, "the dynamic section has no DT_SYMTAB");
  uint64_t offset = 0;
  const uint64_t size = symbol_count_ * sizeof(Elf64_Sym);
  if (!locate("DT_SYMTAB symbol table (" + std::to_string(symbol_count_) + " symbols)",
              Errc::bad_symbol_table, *vaddr, 0, size, offset)) {
    return false;
  }
  regions_.push_back(Region{"DT_SYMTAB symbol table", Errc::bad_symbol_table, offset, size});
  image_.symbols_.reserve(symbol_count_);
  for (uint64_t i = 0; i < symbol_count_; ++i) {
    const auto s = in_.read<Elf64_Sym>(offset + i * sizeof(Elf64_Sym));
    Symbol sym{};
    sym.index = static_cast<uint32_t>(i);
    if (!dynamic_string("symbol " + std::to_string(i) + " at offset " +
                            hex(offset + i * sizeof(Elf64_Sym)) + ": st_name",
                        Errc::bad_symbol_table, s.st_name, sym.name)) {
      return false;
    }
    sym.value = s.st_value;
    sym.size = s.st_size;
    sym.bind = static_cast<uint8_t>(ELF64_ST_BIND(s.st_info));
    sym.type = static_cast<uint8_t>(ELF64_ST_TYPE(s.st_info));
    sym.visibility = static_cast<uint8_t>(ELF64_ST_VISIBILITY(s.st_other));
    sym.shndx = s.st_shndx;
    sym.versym = 1;
    image_.symbols_.push_back(std::move(sym));
  }
  return true;
}

// ELF puts every STB_LOCAL symbol before the others, and a symbol table's
// section header says where the others start (sh_info).  Tools that trust
// sh_info (readelf warns, binutils skip) would misread a LOCAL symbol past
// it.  C libraries walk the hash chains and read each symbol's binding
// instead (glibc 2.41 and Go 1.24 use an image whose getrandom alias is LOCAL
// after __vdso_getrandom), so the table is still readable: a broken rule.
bool ElfParser::check_local_symbols_first() {
  std::optional<uint32_t> first_global;  // .dynsym's sh_info, when section headers say
  for (const Section& section : image_.sections_) {
    if (section.type == SHT_DYNSYM) first_global = section.info;
  }
  const Symbol* global_seen = nullptr;
  for (const Symbol& sym : image_.symbols_) {
    if (sym.index == 0) continue;
    if (sym.bind != STB_LOCAL) {
      if (global_seen == nullptr) global_seen = &sym;
      continue;
    }
    // One violation per symbol: the first rule it breaks.
    if (global_seen != nullptr) {
      if (!rule(Errc::bad_symbol_table,
                "LOCAL symbol " + sym.name + " at .dynsym index " + std::to_string(sym.index) +
                    " follows the non-LOCAL symbol " + global_seen->name + " (index " +
                    std::to_string(global_seen->index) + "): LOCAL symbols must come first")) {
        return false;
      }
    } else if (first_global && sym.index >= *first_global) {
      if (!rule(Errc::bad_symbol_table, "LOCAL symbol " + sym.name + " at .dynsym index " +
                                            std::to_string(sym.index) + " is at or past sh_info " +
                                            std::to_string(*first_global) +
                                            " (the first non-LOCAL index)")) {
        return false;
      }
    }
  }
  return true;
}

// The structural half of "each hash table finds every export": every visible
// definition (the version symbol too, which GNU ld hashes) sits on its name's
// chain.  Whether a C library's look-up by name and version then lands on it
// is hash_table_finds() (elf_exports.h), which check and abi ask.
bool ElfParser::check_hash_tables_find_exports() {
  const auto& symbols = image_.symbols_;
  for (const Symbol& sym : symbols) {
    if (!is_visible_definition(sym)) continue;
    const auto is_this = [&](uint32_t index) { return index == sym.index; };
    if (image_.gnu_hash_offset_ &&
        !elf_detail::find_in_gnu_hash(in_, *image_.gnu_hash_offset_, symbols.size(),
                                      elf_gnu_hash(sym.name), is_this)) {
      if (!rule(Errc::bad_hash_table, "DT_GNU_HASH at offset " + hex(*image_.gnu_hash_offset_) +
                                          " does not find exported symbol " + sym.name +
                                          " (index " + std::to_string(sym.index) + ")")) {
        return false;
      }
    }
    if (image_.sysv_hash_offset_ &&
        !elf_detail::find_in_sysv_hash(in_, *image_.sysv_hash_offset_, symbols.size(),
                                       elf_sysv_hash(sym.name), is_this)) {
      if (!rule(Errc::bad_hash_table, "DT_HASH at offset " + hex(*image_.sysv_hash_offset_) +
                                          " does not find exported symbol " + sym.name +
                                          " (index " + std::to_string(sym.index) + ")")) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace vdsoforge
