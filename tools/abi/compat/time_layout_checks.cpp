#include "compat/time_layout_checks.h"

#include <algorithm>

#include "time_layout.h"
#include "vdsoforge/hex.h"

namespace vdsoforge::tools::compat {
namespace {

using State = TimeFact::State;

TimeFact found(std::vector<uint64_t> values, std::string basis) {
  return TimeFact{.state = State::found, .values = std::move(values), .basis = std::move(basis)};
}
TimeFact absent(std::string basis) {
  return TimeFact{.state = State::absent, .values = {}, .basis = std::move(basis)};
}
TimeFact not_determined(std::string why) {
  return TimeFact{.state = State::not_determined, .values = {}, .basis = std::move(why)};
}

// What a profile's kernel keeps where (time_layout.h), in the detector's
// terms.  `tail_known`: whether the tail's place follows from the profile;
// linux-6.15 covers 6.15/6.16 (+ 464) and 6.17+ (+ 2320), so for a kernel it
// does not, while an image of that profile reads both.
DetectedTimeLayout profile_facts(const layout::Profile* profile, uint64_t area,
                                 bool reads_both_tails, const std::string& basis) {
  const layout::TimeLayout& t = layout::time_layout_of(profile);
  DetectedTimeLayout facts;
  facts.has_time_functions = true;
  facts.time_data = found({area - t.time_data_offset}, basis);
  facts.timens_page = found({area - t.timens_page_offset}, basis);
  facts.record_stride = found({t.clock_stride}, basis);
  if (t.shape == layout::TimeDataShape::legacy_vdso_data)
    facts.tail = found({t.tail_offset}, basis);
  else if (reads_both_tails)
    facts.tail = found({t.short_tail_offset, t.tail_offset}, basis + ", read at either");
  else
    facts.tail = not_determined(basis + " covers Linux 6.15/6.16 (tail at record 0 + " +
                                std::to_string(t.short_tail_offset) + ") and 6.17+ (+ " +
                                std::to_string(t.tail_offset) + ")");
  const auto page = [&](uint32_t offset, const char* what) {
    return offset ? found({area - offset}, basis)
                  : absent(basis + " maps no " + std::string(what) + " page");
  };
  facts.pvclock_page = page(t.pvclock_page_offset, "pvclock");
  facts.hvclock_page = page(t.hvclock_page_offset, "hvclock");
  return facts;
}

// Each fact the code does not show, from `fallback` (when that has it).
void fill_from(DetectedTimeLayout& code, const DetectedTimeLayout& fallback) {
  const auto fill = [](TimeFact& fact, const TimeFact& other) {
    if (fact.determined()) return;
    if (!other.determined()) {
      fact.basis += "; " + other.basis;
      return;
    }
    const std::string why = fact.basis;
    fact = other;
    fact.basis += " (its code: " + why + ")";
  };
  fill(code.time_data, fallback.time_data);
  fill(code.timens_page, fallback.timens_page);
  fill(code.record_stride, fallback.record_stride);
  fill(code.tail, fallback.tail);
  fill(code.pvclock_page, fallback.pvclock_page);
  fill(code.hvclock_page, fallback.hvclock_page);
}

std::string below(uint64_t distance) { return "base - " + hex(distance); }

std::string distance_text(const TimeFact& fact, const char* none) {
  if (fact.state == State::not_determined) return "unknown";
  if (fact.state == State::absent) return std::string("none (") + none + ")";
  std::string text;
  for (uint64_t v : fact.values) text += (text.empty() ? "" : " or ") + below(v);
  return text;
}

std::string stride_text(const TimeFact& fact) {
  if (fact.state != State::found || fact.values.size() != 1) return "unknown";
  const uint64_t stride = fact.values[0];
  if (stride == sizeof(abi::VdsoDataLegacy))
    return std::to_string(stride) + " bytes apart (struct vdso_data[2], Linux 6.11-6.14)";
  if (stride == sizeof(abi::VdsoClock))
    return std::to_string(stride) +
           " bytes apart (struct vdso_clock in struct vdso_time_data, "
           "Linux 6.15+)";
  return std::to_string(stride) + " bytes apart";
}

std::string tail_text(const TimeFact& fact) {
  if (fact.state != State::found) return "unknown";
  std::string text = "record 0";
  for (size_t i = 0; i < fact.values.size(); ++i)
    text += (i == 0 ? " + " : " or + ") + std::to_string(fact.values[i]);
  if (fact.values.size() > 1) text += " (picked at run time)";
  return text;
}

bool contains_all(const std::vector<uint64_t>& values, const std::vector<uint64_t>& wanted) {
  return std::all_of(wanted.begin(), wanted.end(), [&](uint64_t v) {
    return std::find(values.begin(), values.end(), v) != values.end();
  });
}

bool same(const TimeFact& a, const TimeFact& b) {
  return a.state == b.state && a.values == b.values;
}

struct TimeCheck {
  const char* id;
  const char* title;
  const TimeFact& image;
  const TimeFact& reference;
  std::string image_text, reference_text;
  bool pass;              // when both are determined
  std::string detail;     // why a failure matters
  std::string pass_note;  // what a pass leaves open, if anything
};

report::Check to_check(const TimeCheck& c) {
  const bool determined = c.image.determined() && c.reference.determined();
  report::Check check{.id = c.id,
                      .group = "layout",
                      .title = c.title,
                      .pass = determined && c.pass,
                      .determined = determined,
                      .expected = c.reference_text,
                      .actual = c.image_text};
  if (!c.reference.determined())
    check.detail = "the reference kernel's " + std::string(c.title) +
                   " cannot be determined from its code (" + c.reference.basis +
                   "); name its layout with --reference-profile";
  else if (!c.image.determined())
    check.detail =
        "the image's " + std::string(c.title) + " cannot be determined (" + c.image.basis + ")";
  else
    check.detail = check.pass ? c.pass_note : c.detail;
  return check;
}

}  // namespace

TimeSide image_time_side(const ElfImage& image, const DetectedTimeLayout& code) {
  TimeSide side{.has_time_functions = code.has_time_functions, .facts = code};
  if (!side.has_time_functions) return side;
  if (const auto& note = image.data_layout())
    fill_from(side.facts,
              profile_facts(note->profile, note->data_area_size, true, "its data-layout note"));
  return side;
}

TimeSide reference_time_side(const DetectedTimeLayout& code, const layout::Profile* named) {
  TimeSide side{.has_time_functions = code.has_time_functions, .facts = code};
  if (side.has_time_functions && named)
    fill_from(side.facts, profile_facts(named, named->data_area_size, false,
                                        std::string("--reference-profile ") + named->name));
  return side;
}

std::string describe_time(const TimeSide& side) {
  if (!side.has_time_functions) return "no time functions";
  const DetectedTimeLayout& t = side.facts;
  std::string stride = stride_text(t.record_stride);
  stride = stride.substr(0, stride.find(" ("));
  return "clock records at " + distance_text(t.time_data, "") + ", " + stride + "; tail at " +
         tail_text(t.tail) + "; in a time namespace through " +
         distance_text(t.timens_page, "no namespace check") + "; pvclock page " +
         distance_text(t.pvclock_page, "never read") + "; hvclock page " +
         distance_text(t.hvclock_page, "never read");
}

void add_time_layout_checks(const TimeSide& image, const TimeSide& reference,
                            std::vector<report::Check>& checks) {
  if (!image.has_time_functions || !reference.has_time_functions) return;
  const DetectedTimeLayout& i = image.facts;
  const DetectedTimeLayout& r = reference.facts;

  const std::string data_image = distance_text(i.time_data, "");
  const std::string data_reference = distance_text(r.time_data, "");
  checks.push_back(to_check(
      {"layout.time_data", "clock records (the time data)", i.time_data, r.time_data, data_image,
       data_reference, same(i.time_data, r.time_data),
       "the image's time functions read clock record 0 at " + data_image +
           ", this kernel keeps it at " + data_reference +
           ": clock_gettime, gettimeofday and time compute their results from other bytes (a "
           "wrong clock with no error, or a spin on a sequence count that never turns even)",
       ""}));

  checks.push_back(to_check({"layout.time_record_shape", "clock record layout", i.record_stride,
                             r.record_stride, stride_text(i.record_stride),
                             stride_text(r.record_stride), same(i.record_stride, r.record_stride),
                             "the image reads clock records " + stride_text(i.record_stride) +
                                 ", this kernel's are " + stride_text(r.record_stride) +
                                 ": CLOCK_MONOTONIC_RAW is computed from the wrong fields",
                             ""}));

  const bool tail_pass = i.tail.determined() && r.tail.determined() &&
                         r.tail.state == State::found && i.tail.state == State::found &&
                         contains_all(i.tail.values, r.tail.values);
  const std::string tail_detail =
      "clock_getres and gettimeofday read hrtimer_res and the timezone at " + tail_text(i.tail) +
      ", this kernel keeps them at " + tail_text(r.tail) +
      ": the resolution and timezone returned are other bytes";
  std::string tail_note;
  if (i.tail.values.size() > 1)
    tail_note =
        "the kernel's tail is among the places the image's code reads; which one it takes is "
        "decided at run time from the data (a zero hrtimer_res at record 0 + 2328 means "
        "6.15/6.16 data), which reading the code does not judge";
  checks.push_back(
      to_check({"layout.time_tail", "timezone and resolution (the time data's tail)", i.tail,
                r.tail, tail_text(i.tail), tail_text(r.tail), tail_pass, tail_detail, tail_note}));

  // An image with a namespace path on a kernel without time namespaces never
  // takes it: that kernel never writes VDSO_CLOCKMODE_TIMENS.
  const bool timens_unused =
      i.timens_page.state == State::found && r.timens_page.state == State::absent;
  const std::string timens_image = distance_text(i.timens_page, "no time-namespace check");
  const std::string timens_reference = distance_text(r.timens_page, "no time-namespace check");
  checks.push_back(to_check(
      {"layout.time_timens_page", "page the time data is read through in a time namespace",
       i.timens_page, r.timens_page, timens_image, timens_reference,
       same(i.timens_page, r.timens_page) || timens_unused,
       i.timens_page.state == State::absent
           ? "the image has no time-namespace path: inside a namespace it reads the namespace's "
             "offsets page as the clock records"
           : "inside a time namespace the image reads the real clock records through " +
                 timens_image + ", this kernel puts them at " + timens_reference +
                 ": every clock read in a namespace is computed from other bytes",
       timens_unused ? "this kernel's code has no time namespaces, so the image's namespace "
                       "path is never taken"
                     : ""}));

  // A paravirtual page one side never reads cannot be misread: a kernel
  // whose code reads none never selects that clock mode, and an image that
  // reads none takes the system call in it (right, only slower).
  const auto paravirt = [&](const char* id, const char* title, const TimeFact& a, const TimeFact& b,
                            const char* mode) {
    const bool unused = a.state == State::absent || b.state == State::absent;
    const std::string image_text = distance_text(a, "never read");
    const std::string reference_text = distance_text(b, "never read");
    std::string note;
    if (b.state == State::absent)
      note = std::string("this kernel's code never reads one, so it never selects ") + mode;
    else if (a.state == State::absent)
      note = std::string("the image takes the system call in ") + mode + " (right, slower)";
    const std::string detail = std::string("in ") + mode + " the image reads its counter at " +
                               image_text + ", this kernel maps the page at " + reference_text +
                               ": the clock is computed from other bytes (in a VM, the usual case)";
    checks.push_back(to_check(
        {id, title, a, b, image_text, reference_text, unused || same(a, b), detail, note}));
  };
  paravirt("layout.pvclock_page", "pvclock page (kvmclock, Xen)", i.pvclock_page, r.pvclock_page,
           "VDSO_CLOCKMODE_PVCLOCK");
  paravirt("layout.hvclock_page", "Hyper-V TSC page", i.hvclock_page, r.hvclock_page,
           "VDSO_CLOCKMODE_HVCLOCK");
}

}  // namespace vdsoforge::tools::compat
