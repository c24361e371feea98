#include "exec_harness.h"

#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "skip.h"
#include "tool_runner.h"

namespace exec_test {

namespace fs = std::filesystem;

Consumers require_consumers(bool need_go) {
  Consumers consumers;
  consumers.root = VDSOFORGE_CONSUMER_ROOT;
  consumers.glibc_dir = consumers.root / "usr/lib/x86_64-linux-gnu";
  consumers.ld_so = consumers.glibc_dir / "ld-linux-x86-64.so.2";
  consumers.go_probe = VDSOFORGE_GO_PROBE;
  static std::string reason;
  if (!fs::exists(consumers.ld_so)) {
    reason = "no Debian 13 glibc at " + consumers.ld_so.string() +
             " (scripts/test.sh fetches it with scripts/fetch-consumers.sh)";
    vdsoforge_skip(reason.c_str());
  }
  if (need_go && !fs::exists(consumers.go_probe)) {
    reason = "no Go probe at " + consumers.go_probe.string() +
             " (built by the exec_build_go_probe test from the fetched Go 1.24)";
    vdsoforge_skip(reason.c_str());
  }
  std::ifstream packages(consumers.root / ".packages");
  consumers.packages.assign(std::istreambuf_iterator<char>(packages), {});
  return consumers;
}

Probe glibc_probe(const Consumers& consumers, const ProbeWorkload& w, const fs::path& samples) {
  Probe probe;
  probe.program = consumers.ld_so.string();
  probe.samples = samples;
  probe.command = {consumers.ld_so.string(), "--library-path",        consumers.glibc_dir.string(),
                   VDSOFORGE_GLIBC_PROBE,    samples.string(),        std::to_string(w.threads),
                   std::to_string(w.calls),  std::to_string(w.steps), std::to_string(w.children)};
  if (!w.between_steps.empty()) probe.command.push_back(w.between_steps);
  return probe;
}

Probe go_probe(const Consumers& consumers, const ProbeWorkload& w, const fs::path& samples) {
  Probe probe;
  probe.program = consumers.go_probe.string();
  probe.samples = samples;
  probe.command = {consumers.go_probe.string(), samples.string(), std::to_string(w.threads + 1),
                   std::to_string(w.calls), std::to_string(w.steps)};
  if (!w.between_steps.empty()) probe.command.push_back(w.between_steps);
  return probe;
}

Probe go_locked_probe(const Consumers& consumers, long calls, int steps,
                      const std::string& between_steps, const fs::path& samples) {
  Probe probe;
  probe.program = consumers.go_probe.string();
  probe.samples = samples;
  probe.command = {consumers.go_probe.string(), "locked", samples.string(), std::to_string(calls),
                   std::to_string(steps)};
  if (!between_steps.empty()) probe.command.push_back(between_steps);
  return probe;
}

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::used_vdso:
      return "used the vDSO";
    case Outcome::fell_back:
      return "fell back to the system call";
    case Outcome::partial:
      return "partly used the vDSO";
    case Outcome::aborted:
      return "aborted";
  }
  return "?";
}

std::string ProbeRun::describe() const {
  std::ostringstream text;
  text << outcome_name(outcome) << ": exit " << exit_status << ", " << calls << " calls, " << states
       << " states, " << reseeds << " reseeds, " << syscalls << " getrandom syscalls, "
       << samples.size() << " samples";
  if (!err.empty()) text << "; stderr: " << err.substr(0, 600);
  return text.str();
}

namespace {

std::vector<std::array<uint8_t, 16>> read_samples(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(std::istreambuf_iterator<char>(in), {});
  std::vector<std::array<uint8_t, 16>> samples(bytes.size() / 16);
  for (size_t i = 0; i < samples.size(); ++i)
    std::copy_n(bytes.begin() + static_cast<long>(16 * i), 16, samples[i].begin());
  return samples;
}

uint64_t field(const std::string& out, const std::string& name) {
  const size_t at = out.find(name + "=");
  return at == std::string::npos ? 0 : std::stoull(out.substr(at + name.size() + 1));
}

}  // namespace

ProbeRun run_probe(const ExecRun& request) {
  const fs::path report = request.probe.samples.string() + ".report.json";
  std::vector<std::string> args = {"exec", "--quiet", "--count-syscalls", "--report",
                                   report.string()};
  if (!request.image.empty()) args.insert(args.end(), {"--image", request.image});
  args.insert(args.end(), request.exec_options.begin(), request.exec_options.end());
  args.push_back("--");
  args.insert(args.end(), request.probe.command.begin(), request.probe.command.end());

  const test_support::ToolResult tool = test_support::run_tool(args);
  ProbeRun run;
  run.exit_status = tool.exit_code;
  run.out = tool.out;
  run.err = tool.err;
  std::ifstream in(report);
  if (in) run.report = nlohmann::json::parse(in, nullptr, false);
  if (run.report.is_object()) {
    run.reseeds = run.report.value("reseeds_forced", uint64_t{0});
    for (const auto& process : run.report["processes"])
      if (process.value("program", std::string()) == request.probe.program)
        run.syscalls += process.value("getrandom_syscalls", uint64_t{0});
  }
  run.calls = field(run.out, "calls");
  run.states = field(run.out, "states");
  run.samples = read_samples(request.probe.samples);

  if (run.exit_status != 0 || !run.report.is_object() || run.calls == 0)
    run.outcome = Outcome::aborted;
  else if (run.syscalls >= run.calls)
    run.outcome = Outcome::fell_back;
  else if (run.syscalls <= run.states * (run.reseeds + 1) + kSyscallSlack)
    run.outcome = Outcome::used_vdso;
  else
    run.outcome = Outcome::partial;
  return run;
}

std::string output_problem(const std::vector<std::array<uint8_t, 16>>& samples) {
  if (samples.size() < 256) return "only " + std::to_string(samples.size()) + " samples";
  std::set<std::array<uint8_t, 16>> seen;
  size_t repeats = 0;
  for (const auto& s : samples) repeats += !seen.insert(s).second;
  if (repeats) return std::to_string(repeats) + " repeated 16-byte blocks";

  uint64_t counts[256] = {};
  uint64_t ones = 0;
  for (const auto& s : samples)
    for (uint8_t b : s) {
      ++counts[b];
      ones += static_cast<uint64_t>(__builtin_popcount(b));
    }
  const double bytes = 16.0 * static_cast<double>(samples.size());
  const double bits = 8 * bytes;
  // Monobit: ones within 6 standard deviations of half the bits.
  const double z = (static_cast<double>(ones) - bits / 2) / std::sqrt(bits / 4);
  if (std::fabs(z) > 6) return "monobit check failed (z = " + std::to_string(z) + ")";
  // Byte frequencies: chi-square with 255 degrees of freedom; 400 is far in
  // the tail (p < 1e-8), so a good generator essentially never fails.
  double chi2 = 0;
  const double expected = bytes / 256;
  for (uint64_t c : counts)
    chi2 += (static_cast<double>(c) - expected) * (static_cast<double>(c) - expected) / expected;
  if (chi2 > 400) return "byte frequencies fail chi-square (" + std::to_string(chi2) + " > 400)";
  return {};
}

void summary(const std::string& line) {
  std::printf("[exec] %s\n", line.c_str());
  std::fflush(stdout);
}

void require_fanotify_gate() {
  std::ifstream status("/proc/self/status");
  std::string line;
  bool admin = false;  // CAP_SYS_ADMIN: bit 21 of CapEff
  while (std::getline(status, line))
    if (line.starts_with("CapEff:")) admin = (std::stoull(line.substr(7), nullptr, 16) >> 21) & 1;
  if (!admin) vdsoforge_skip("exec's fanotify gate needs CAP_SYS_ADMIN");
  const int group = fanotify_init(FAN_CLASS_CONTENT, O_RDONLY);
  if (group < 0) vdsoforge_skip("this kernel has no fanotify permission events");
  close(group);
}

void require_gate(const std::string& gate) {
  if (gate == "fanotify") require_fanotify_gate();
}

}  // namespace exec_test
