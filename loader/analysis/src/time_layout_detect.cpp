// Time-data layout detection from the time functions' code (see
// time_layout_detect.h).
#include "vdsoforge/time_layout_detect.h"

#include <elf.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <set>

#include "data_address_flow.h"
#include "vdso_time_abi.h"
#include "vdsoforge/hex.h"
#include "x86_decoder.h"

namespace vdsoforge {
namespace {

constexpr uint64_t kPage = 0x1000;
// Offsets inside one clock record, the same in struct vdso_data (6.11-6.14)
// and struct vdso_clock (6.15+), and of the paravirtual pages' fields the
// detector recognises them by: the kernel's structures (vdso_time_abi.h).
constexpr uint64_t kClockModeOffset = offsetof(abi::VdsoClock, clock_mode);
constexpr uint64_t kRealtimeSecondsOffset = offsetof(abi::VdsoClock, basetime);  // [0].sec
constexpr uint64_t kRecordSize = sizeof(abi::VdsoClock);             // 6.15+: the records' stride
constexpr uint64_t kLegacyRecordSize = sizeof(abi::VdsoDataLegacy);  // 6.11-6.14
constexpr uint64_t kHrtimerResInTail = offsetof(abi::VdsoTimeTail, hrtimer_res);
constexpr uint64_t kPvclockShift = offsetof(abi::PvclockVcpuTimeInfo, tsc_shift);
constexpr uint64_t kPvclockFlags = offsetof(abi::PvclockVcpuTimeInfo, flags);
constexpr uint64_t kHvScale = offsetof(abi::HvTscPage, tsc_scale);
constexpr uint64_t kHvOffset = offsetof(abi::HvTscPage, tsc_offset);
// Enough for any vDSO's time functions with their callees; a bound on the
// work a hostile image can cause.
constexpr size_t kMaxInstructions = 20'000;

// Distance of the first byte of the page holding the byte at `distance`.
uint64_t page_start(uint64_t distance) { return (distance + kPage - 1) / kPage * kPage; }

std::string below(uint64_t distance) { return "base - " + hex(distance); }

// What one time function's code reaches.
struct FunctionFlow {
  std::string name;
  bool present = false;
  std::string failure;  // set when present but not analysed
  std::vector<DataReference> references;
  std::set<uint64_t> clock_mode_compares;  // distances compared with VDSO_CLOCKMODE_TIMENS

  bool analysed() const { return present && failure.empty(); }
  // Distances of accesses of `width` bytes (0: lea).
  std::set<uint64_t> accessed(unsigned width) const {
    std::set<uint64_t> out;
    for (const DataReference& r : references)
      if (r.width == width) out.insert(r.distance);
    return out;
  }
  std::string why_not() const {
    return present ? name + ": " + failure : "the image has no " + name + " function";
  }
};

const Symbol* find_function(const ElfImage& elf, std::string_view name) {
  for (const Symbol& s : elf.symbols())
    if (s.name == name && s.shndx != SHN_UNDEF && s.type == STT_FUNC) return &s;
  return nullptr;
}

// Decodes a function's bytes and, by following direct calls and jumps, the
// local code it reaches outside them (the kernel's and the image's
// out-of-line clock readers).
class FunctionDecoder {
 public:
  FunctionDecoder(const ElfImage& elf, const X86Decoder& decoder) : elf_(elf), decoder_(decoder) {}

  uint64_t image_base() const { return elf_.load_segment().vaddr - elf_.load_segment().offset; }

  // Empty on success, else why not.
  std::string decode(const Symbol& symbol, std::vector<DecodedInstruction>& out) {
    const Segment& load = elf_.load_segment();
    if (symbol.size == 0) return "it has size 0, so its code cannot be delimited";
    if (!inside(symbol.value) || symbol.size > load.vaddr + load.filesz - symbol.value)
      return "its code at " + hex(symbol.value) + " lies outside the loadable segment's bytes";
    std::map<uint64_t, DecodedInstruction> decoded;
    for (uint64_t address = symbol.value; address < symbol.value + symbol.size;) {
      DecodedInstruction d;
      if (!decode_at(address, d))
        return "the byte at " + hex(address) + " does not decode as an x86-64 instruction";
      address += d.instruction.length;
      decoded.emplace(d.address, d);
    }
    std::vector<uint64_t> work;
    for (const auto& [address, d] : decoded) add_target(d, decoded, work);
    while (!work.empty()) {
      const uint64_t address = work.back();
      work.pop_back();
      if (decoded.count(address)) continue;
      if (decoded.size() >= kMaxInstructions)
        return "it reaches more than " + std::to_string(kMaxInstructions) + " instructions";
      DecodedInstruction d;
      // Code outside the symbol that does not decode is not followed; what
      // was decoded still counts.
      if (!decode_at(address, d)) continue;
      decoded.emplace(address, d);
      add_target(d, decoded, work);
      if (falls_through(d)) work.push_back(address + d.instruction.length);
    }
    for (auto& [address, d] : decoded) out.push_back(d);
    return "";
  }

 private:
  bool inside(uint64_t address) const {
    const Segment& load = elf_.load_segment();
    return address >= load.vaddr && address - load.vaddr < load.filesz &&
           load.offset + (address - load.vaddr) < elf_.bytes().size();
  }

  bool decode_at(uint64_t address, DecodedInstruction& d) const {
    if (!inside(address)) return false;
    const Segment& load = elf_.load_segment();
    return decoder_.decode(elf_.bytes(), load.offset + (address - load.vaddr), address, d);
  }

  static bool falls_through(const DecodedInstruction& d) {
    const auto category = d.instruction.meta.category;
    const auto mnemonic = d.instruction.mnemonic;
    return category != ZYDIS_CATEGORY_UNCOND_BR && category != ZYDIS_CATEGORY_RET &&
           mnemonic != ZYDIS_MNEMONIC_INT3 && mnemonic != ZYDIS_MNEMONIC_UD2 &&
           mnemonic != ZYDIS_MNEMONIC_HLT;
  }

  void add_target(const DecodedInstruction& d, const std::map<uint64_t, DecodedInstruction>& seen,
                  std::vector<uint64_t>& work) const {
    const auto category = d.instruction.meta.category;
    if (category != ZYDIS_CATEGORY_CALL && category != ZYDIS_CATEGORY_COND_BR &&
        category != ZYDIS_CATEGORY_UNCOND_BR)
      return;
    const ZydisDecodedOperand& op = d.operands[0];
    ZyanU64 target = 0;
    if (op.type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !op.imm.is_relative ||
        !ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&d.instruction, &op, d.address, &target)))
      return;
    if (!seen.count(target) && inside(target)) work.push_back(target);
  }

  const ElfImage& elf_;
  const X86Decoder& decoder_;
};

FunctionFlow analyse(const ElfImage& elf, const X86Decoder& decoder, const char* name) {
  FunctionFlow flow{.name = name};
  const Symbol* symbol = find_function(elf, name);
  if (!symbol) return flow;
  flow.present = true;
  FunctionDecoder functions(elf, decoder);
  std::vector<DecodedInstruction> code;
  flow.failure = functions.decode(*symbol, code);
  if (!flow.failure.empty()) return flow;
  detail::DataFlowResult result = detail::follow_data_addresses(
      decoder, code, functions.image_base(), {.follow_calls = true, .image_addresses = true});
  if (!result.failure.empty()) {
    flow.failure = result.failure;
    return flow;
  }
  flow.references = std::move(result.references);
  flow.clock_mode_compares = std::move(result.clock_mode_distances);
  return flow;
}

TimeFact not_determined(std::string why) {
  return TimeFact{.state = TimeFact::State::not_determined, .values = {}, .basis = std::move(why)};
}
TimeFact found(std::vector<uint64_t> values, std::string basis) {
  std::sort(values.begin(), values.end());
  return TimeFact{.state = TimeFact::State::found, .values = values, .basis = std::move(basis)};
}
TimeFact absent(std::string basis) {
  return TimeFact{.state = TimeFact::State::absent, .values = {}, .basis = std::move(basis)};
}

std::string list(const std::set<uint64_t>& distances) {
  std::string text;
  for (uint64_t d : distances) text += (text.empty() ? "" : ", ") + below(d);
  return text.empty() ? "none" : text;
}

// Offsets from a record at `record` (a distance) of the accesses in the
// same page at or above it.
std::set<uint64_t> offsets_from(uint64_t record, const std::set<uint64_t>& distances) {
  std::set<uint64_t> out;
  for (uint64_t d : distances)
    if (d <= record && page_start(d) == page_start(record)) out.insert(record - d);
  return out;
}

// time(): record 0 and, inside a namespace, the page it is read through.
void find_time_data(const FunctionFlow& time, DetectedTimeLayout& out,
                    std::optional<uint64_t>& real, std::optional<uint64_t>& other) {
  if (!time.analysed()) {
    out.time_data = not_determined(time.why_not());
    out.timens_page = not_determined(time.why_not());
    return;
  }
  const std::set<uint64_t> seconds = time.accessed(8);
  const std::set<uint64_t>& modes = time.clock_mode_compares;
  if (modes.size() > 1) {
    out.time_data = not_determined("time() compares clock modes at " + list(modes));
    out.timens_page = out.time_data;
    return;
  }
  if (modes.empty()) {
    if (seconds.size() != 1) {
      out.time_data = not_determined("time() has no time-namespace check and reads u64 words at " +
                                     list(seconds) + ", not one basetime");
      out.timens_page = out.time_data;
      return;
    }
    real = *seconds.begin() + kRealtimeSecondsOffset;
    out.time_data = found({*real}, "time() reads basetime[CLOCK_REALTIME] at " +
                                       below(*seconds.begin()) + " (record + 40)");
    out.timens_page = absent("time() has no time-namespace check");
    return;
  }
  const uint64_t mode = *modes.begin();
  real = mode + kClockModeOffset;
  if (*real <= kRealtimeSecondsOffset || !seconds.count(*real - kRealtimeSecondsOffset)) {
    out.time_data = not_determined(
        "time() compares the clock mode at " + below(mode) +
        " but reads no basetime 36 bytes above it (its u64 reads: " + list(seconds) + ")");
    out.timens_page = out.time_data;
    real.reset();
    return;
  }
  out.time_data = found({*real}, "time() compares the clock mode at " + below(mode) +
                                     " with VDSO_CLOCKMODE_TIMENS and reads basetime at " +
                                     below(*real - kRealtimeSecondsOffset));
  std::set<uint64_t> namespace_reads = seconds;
  namespace_reads.erase(*real - kRealtimeSecondsOffset);
  if (namespace_reads.size() != 1) {
    out.timens_page =
        not_determined("time() checks for a time namespace, but its other basetime reads are " +
                       list(namespace_reads) + ", not one");
    return;
  }
  other = *namespace_reads.begin() + kRealtimeSecondsOffset;
  out.timens_page =
      found({page_start(*other)}, "time() reads basetime at " + below(*namespace_reads.begin()) +
                                      " inside a time namespace");
}

// clock_gettime() must read the clock mode (a u32 read or the TIMENS
// compare at record + 4) of the same records, in its own page and, inside a
// namespace, in the timens page; one that reads others is a conflict.
void confirm_with_clock_gettime(const FunctionFlow& gettime, DetectedTimeLayout& out,
                                std::optional<uint64_t>& real, std::optional<uint64_t>& other) {
  if (!gettime.analysed()) {
    out.time_data.basis += "; " + gettime.why_not();
    return;
  }
  std::set<uint64_t> modes = gettime.accessed(4);
  modes.insert(gettime.clock_mode_compares.begin(), gettime.clock_mode_compares.end());
  std::set<uint64_t> missing;
  for (const std::optional<uint64_t>& record : {real, other})
    if (record && !modes.count(*record - kClockModeOffset))
      missing.insert(*record - kClockModeOffset);
  if (missing.empty()) {
    out.time_data.basis += "; clock_gettime() reads that record's clock mode too";
    return;
  }
  out.time_data = not_determined("time() reads clock record 0 at " + below(*real) +
                                 ", but clock_gettime() reads no clock mode at " + list(missing));
  out.timens_page = out.time_data;
  real.reset();
  other.reset();
}

// Offsets from record 0 (through either page) of one function's accesses.
std::set<uint64_t> record_offsets(const std::set<uint64_t>& distances, uint64_t real,
                                  const std::optional<uint64_t>& other) {
  std::set<uint64_t> out = offsets_from(real, distances);
  if (other) out.merge(offsets_from(*other, distances));
  return out;
}

std::string offsets_text(const std::set<uint64_t>& offsets) {
  std::string text;
  for (uint64_t o : offsets) text += (text.empty() ? "+ " : ", + ") + std::to_string(o);
  return text;
}

void find_stride(const FunctionFlow& gettime, uint64_t real, const std::optional<uint64_t>& other,
                 DetectedTimeLayout& out) {
  if (!gettime.analysed()) {
    out.record_stride = not_determined(gettime.why_not());
    return;
  }
  std::set<uint64_t> words = gettime.accessed(4);
  words.insert(gettime.clock_mode_compares.begin(), gettime.clock_mode_compares.end());
  const std::set<uint64_t> offsets = record_offsets(words, real, other);
  std::vector<uint64_t> strides;
  for (uint64_t stride : {kRecordSize, kLegacyRecordSize})
    if (offsets.count(stride + kClockModeOffset)) strides.push_back(stride);
  if (strides.size() != 1) {
    out.record_stride = not_determined(
        "clock_gettime() reads " + std::string(strides.empty() ? "no" : "both a") +
        " record-1 clock mode at record 0 + " + std::to_string(kRecordSize + kClockModeOffset) +
        " or + " + std::to_string(kLegacyRecordSize + kClockModeOffset));
    return;
  }
  out.record_stride = found(strides, "clock_gettime() reads record 1's clock mode at record 0 + " +
                                         std::to_string(strides[0] + kClockModeOffset));
}

// The tail from clock_getres()'s hrtimer_res reads; gettimeofday()'s
// timezone reads are only reported beside it.  (The image's gettimeofday
// reads beyond record 0 for other reasons too, so its accesses alone do not
// single out the tail; the kernel keeps tz and hrtimer_res in one structure.)
void find_tail(const FunctionFlow& getres, const FunctionFlow& gettimeofday, uint64_t real,
               const std::optional<uint64_t>& other, DetectedTimeLayout& out) {
  if (!getres.analysed()) {
    out.tail = not_determined(getres.why_not());
    return;
  }
  std::set<uint64_t> tails;
  for (uint64_t o : record_offsets(getres.accessed(4), real, other))
    if (o >= kRecordSize + kHrtimerResInTail) tails.insert(o - kHrtimerResInTail);
  if (tails.empty()) {
    out.tail = not_determined(
        "clock_getres() reads no hrtimer_res beyond record 0's clock fields (the kernel's "
        "build without high-resolution timers, or code not followed)");
    return;
  }
  std::string basis =
      "clock_getres() reads hrtimer_res (tail + 8) for a tail at record 0 " + offsets_text(tails);
  if (tails.size() > 1) basis += ", one picked at run time";
  if (gettimeofday.analysed()) {
    std::set<uint64_t> words = gettimeofday.accessed(4);
    words.merge(gettimeofday.accessed(8));
    const std::set<uint64_t> offsets = record_offsets(words, real, other);
    std::set<uint64_t> with_timezone;
    for (uint64_t t : tails)
      if (offsets.count(t)) with_timezone.insert(t);
    basis += with_timezone.empty()
                 ? "; gettimeofday() reads no timezone there"
                 : "; gettimeofday() reads the timezone at " + offsets_text(with_timezone);
  }
  out.tail = found({tails.begin(), tails.end()}, basis);
}

void find_paravirt_pages(const std::vector<const FunctionFlow*>& flows,
                         const std::set<uint64_t>& time_pages, DetectedTimeLayout& out) {
  std::set<uint64_t> bytes, words, quads;
  for (const FunctionFlow* flow : flows) {
    if (!flow->analysed()) {
      const std::string why = "not every time function could be read (" + flow->why_not() + ")";
      out.pvclock_page = not_determined(why);
      out.hvclock_page = not_determined(why);
      return;
    }
    bytes.merge(flow->accessed(1));
    words.merge(flow->accessed(4));
    quads.merge(flow->accessed(8));
  }
  std::set<uint64_t> pv, hv;
  const auto page_aligned = [&](uint64_t d) { return d % kPage == 0 && !time_pages.count(d); };
  for (uint64_t d : bytes) {
    for (uint64_t field : {kPvclockShift, kPvclockFlags}) {
      const uint64_t start = d + field;
      if (page_aligned(start)) pv.insert(start);
    }
  }
  for (uint64_t d : words)
    if (page_aligned(d) && !pv.count(d) && quads.count(d - kHvScale) && quads.count(d - kHvOffset))
      hv.insert(d);
  const auto judge = [](const std::set<uint64_t>& pages, const char* what) {
    if (pages.empty())
      return absent(std::string("no access in the time functions (and what they call) reads ") +
                    what);
    if (pages.size() > 1) return not_determined(std::string(what) + " read at " + list(pages));
    return found({*pages.begin()}, std::string(what) + " read at " + below(*pages.begin()));
  };
  out.pvclock_page = judge(pv, "a pvclock_vcpu_time_info (flags or tsc_shift byte)");
  out.hvclock_page = judge(hv, "a Hyper-V TSC page (u32 sequence, u64 scale and offset above it)");
}

}  // namespace

DetectedTimeLayout detect_time_layout(const ElfImage& elf) {
  DetectedTimeLayout out;
  const X86Decoder decoder;
  if (!decoder.ready()) {
    out.has_time_functions = true;
    const TimeFact none = not_determined("the Zydis disassembler failed to initialise");
    out.time_data = out.timens_page = out.record_stride = out.tail = out.pvclock_page =
        out.hvclock_page = none;
    return out;
  }
  const FunctionFlow time = analyse(elf, decoder, "__vdso_time");
  const FunctionFlow gettime = analyse(elf, decoder, "__vdso_clock_gettime");
  const FunctionFlow gettimeofday = analyse(elf, decoder, "__vdso_gettimeofday");
  const FunctionFlow getres = analyse(elf, decoder, "__vdso_clock_getres");
  out.has_time_functions =
      time.present || gettime.present || gettimeofday.present || getres.present;
  if (!out.has_time_functions) return out;

  std::optional<uint64_t> real, other;
  find_time_data(time, out, real, other);
  if (real) confirm_with_clock_gettime(gettime, out, real, other);
  if (!real) {
    const TimeFact unknown = not_determined("where record 0 lies is not known");
    out.record_stride = out.tail = unknown;
  } else {
    find_stride(gettime, *real, other, out);
    find_tail(getres, gettimeofday, *real, other, out);
  }
  std::set<uint64_t> time_pages;
  if (real) time_pages.insert(page_start(*real));
  if (other) time_pages.insert(page_start(*other));
  find_paravirt_pages({&time, &gettime, &gettimeofday, &getres}, time_pages, out);
  // A clock record at a page's start is read like a Hyper-V TSC page (u32
  // seq, then u64 words at + 8 and + 16): without record 0 the two cannot
  // be told apart.
  if (!real && out.hvclock_page.determined())
    out.hvclock_page = not_determined(
        "where the clock records lie is not known, and a record at a page's start reads like a "
        "Hyper-V TSC page");
  return out;
}

}  // namespace vdsoforge
