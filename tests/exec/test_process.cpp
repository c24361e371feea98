// The life of programs under `vdsoforge exec`: what they are given from their
// first instruction, fork and exec chains, exit codes and signals, programs
// that cannot start, refusals (nothing left running), the control channel
// and the report.
#include <elf.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "each_gate.h"
#include "exec_harness.h"
#include "files.h"
#include "tool_runner.h"
#include "vdsoforge/hex.h"
#include "vdsoforge/image_defaults.h"

using test_support::run_tool;
using test_support::TempDir;
using test_support::ToolResult;

namespace {

struct ProbeLine {
  std::map<std::string, std::string> fields;
  uint64_t ehdr() const { return std::stoull(fields.at("ehdr"), nullptr, 16); }
};

std::vector<ProbeLine> probe_lines(const std::string& out) {
  std::vector<ProbeLine> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("pid=")) continue;
    ProbeLine parsed;
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      const size_t eq = word.find('=');
      parsed.fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
    lines.push_back(parsed);
  }
  return lines;
}

nlohmann::json read_report(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Whether this process may use PR_SET_MM_AUXV (CAP_SYS_RESOURCE, bit 24 of
// CapEff): the programs exec starts here inherit that.
bool have_cap_sys_resource() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("CapEff:")) return (std::stoull(line.substr(7), nullptr, 16) >> 24) & 1;
  return false;
}

void write_executable(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                std::filesystem::perms::others_exec);
}

void check_forged(const ProbeLine& line) {
  INFO("probe line: ehdr " << line.fields.at("ehdr") << " text " << line.fields.at("text")
                           << " data " << line.fields.at("data"));
  CHECK(line.ehdr() != 0);
  CHECK(line.fields.at("text").starts_with("r-xp:"));
  CHECK(line.fields.at("text").find("memfd:vdsoforge-image") != std::string::npos);
  CHECK(line.fields.at("data").starts_with("r--s:"));
  CHECK(line.fields.at("data").find("memfd:vdsoforge-data") != std::string::npos);
}

// The smallest i386 program: exit(0) through int 0x80.
std::vector<uint8_t> i386_program() {
  constexpr uint32_t kBase = 0x08048000;
  const uint8_t code[] = {0xb8, 0x01, 0, 0, 0, 0x31, 0xdb, 0xcd, 0x80};
  Elf32_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS32;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_386;
  eh.e_version = EV_CURRENT;
  eh.e_entry = kBase + sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr);
  eh.e_phoff = sizeof(Elf32_Ehdr);
  eh.e_ehsize = sizeof(Elf32_Ehdr);
  eh.e_phentsize = sizeof(Elf32_Phdr);
  eh.e_phnum = 1;
  Elf32_Phdr ph{};
  ph.p_type = PT_LOAD;
  ph.p_vaddr = ph.p_paddr = kBase;
  ph.p_filesz = ph.p_memsz = sizeof eh + sizeof ph + sizeof code;
  ph.p_flags = PF_R | PF_X;
  ph.p_align = 0x1000;
  std::vector<uint8_t> bytes(sizeof eh + sizeof ph + sizeof code);
  std::memcpy(bytes.data(), &eh, sizeof eh);
  std::memcpy(bytes.data() + sizeof eh, &ph, sizeof ph);
  std::memcpy(bytes.data() + sizeof eh + sizeof ph, code, sizeof code);
  return bytes;
}

}  // namespace

TEST_CASE("the program sees the image from its first instruction, mapped as the loader maps it") {
  TempDir dir;
  const auto report = dir.path("report.json");
  const ToolResult r = run_tool({"exec", "--report", report.string(), "--", VDSOFORGE_VDSO_PROBE});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 1);
  check_forged(lines[0]);
  CHECK(lines[0].fields.at("kernel_vdso") == "1");  // still mapped, only unadvertised
  // The kernel's saved copy (/proc/self/auxv) names the image too.
  CHECK(std::stoull(lines[0].fields.at("proc_auxv_ehdr"), nullptr, 16) == lines[0].ehdr());
  const nlohmann::json json = read_report(report);
  REQUIRE(json["processes"].size() == 1);
  CHECK(json["processes"][0]["image_base"].get<uint64_t>() == lines[0].ehdr());
  // PR_SET_MM_AUXV where the program has CAP_SYS_RESOURCE, else PR_SET_MM_MAP.
  CHECK(json["processes"][0]["proc_auxv"] ==
        (have_cap_sys_resource() ? "prctl_auxv" : "prctl_mm_map"));
  CHECK(json["notes"].empty());
  CHECK(json["outcome"]["exit_code"] == 0);
  CHECK(json["layout"]["data_area_size"] == vdsoforge::default_image::kDataAreaSize);
  CHECK(json["layout"]["rng_data_below_image"] == vdsoforge::default_image::kRngDataBelowImage);
}

TEST_CASE("hiding the kernel vDSO (--hide-kernel-vdso) unmaps it") {
  const ToolResult r = run_tool({"exec", "--hide-kernel-vdso", "--", VDSOFORGE_VDSO_PROBE});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 1);
  check_forged(lines[0]);
  CHECK(lines[0].fields.at("kernel_vdso") == "0");
}

TEST_CASE("/proc/self/auxv names the image, by PR_SET_MM_MAP without CAP_SYS_RESOURCE") {
  TempDir dir;
  const auto report = dir.path("report.json");
  const ToolResult r =
      run_tool({"exec", "--report", report.string(), "--", "setpriv", "--inh-caps=-sys_resource",
                "--bounding-set=-sys_resource", VDSOFORGE_VDSO_PROBE, "fork"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 2);
  for (const auto& line : lines)  // the forked child shares the parent's saved copy
    CHECK(std::stoull(line.fields.at("proc_auxv_ehdr"), nullptr, 16) == line.ehdr());
  const nlohmann::json json = read_report(report);
  bool probe_seen = false;
  for (const auto& process : json["processes"])
    if (process["program"] == VDSOFORGE_VDSO_PROBE) {
      probe_seen = true;
      CHECK(process["proc_auxv"] == "prctl_mm_map");
    }
  CHECK(probe_seen);
  CHECK(json["notes"].empty());
}

TEST_CASE("when the kernel allows neither prctl, exec says so once, on stderr and in the report") {
  // Without CAP_SYS_RESOURCE PR_SET_MM_AUXV is refused; with a soft
  // RLIMIT_DATA of 0 the kernel's data-limit check refuses PR_SET_MM_MAP
  // (while mmap still works: a zero soft limit lets mappings through).
  TempDir dir;
  const auto report = dir.path("report.json");
  const std::string probe = VDSOFORGE_VDSO_PROBE;
  const ToolResult r =
      run_tool({"exec", "--report", report.string(), "--", "setpriv", "--inh-caps=-sys_resource",
                "--bounding-set=-sys_resource", "prlimit", "--data=0:unlimited", "sh", "-c",
                probe + " && " + probe});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 2);
  for (const auto& line : lines) {
    check_forged(line);  // the program still gets the image
    CHECK(std::stoull(line.fields.at("proc_auxv_ehdr"), nullptr, 16) != line.ehdr());
  }
  const std::string said = "cannot be made to name the image";
  const size_t first = r.err.find(said);
  CHECK(first != std::string::npos);
  CHECK(r.err.find(said, first + 1) == std::string::npos);  // once, though sh and 2 probes
  const nlohmann::json json = read_report(report);
  REQUIRE(json["notes"].size() == 1);
  CHECK(json["notes"][0].get<std::string>().find(said) != std::string::npos);
  unsigned not_updated = 0;
  for (const auto& process : json["processes"])
    not_updated += process["proc_auxv"] == "not_updated";
  CHECK(not_updated == 3);  // sh and the two probes
}

TEST_CASE("Go 1.24 reading /proc/self/auxv with --hide-kernel-vdso finds the image, not a hole",
          "[consumers]") {
  const auto consumers = exec_test::require_consumers(true);
  const ToolResult r =
      run_tool({"exec", "--hide-kernel-vdso", "--", consumers.go_probe.string(), "auxv"});
  INFO(r.err);
  // Before /proc/PID/auxv was updated this was a SIGSEGV (exit 139): the
  // saved copy named the unmapped kernel vDSO.
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("magic=7f454c46") != std::string::npos);
}

TEST_CASE("a child forked without exec keeps the parent's image") {
  TempDir dir;
  const auto report = dir.path("report.json");
  const ToolResult r =
      run_tool({"exec", "--report", report.string(), "--", VDSOFORGE_VDSO_PROBE, "fork"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 2);
  check_forged(lines[1]);
  CHECK(lines[1].ehdr() == lines[0].ehdr());
  CHECK(lines[1].fields.at("pid") != lines[0].fields.at("pid"));
  // The report lists processes seen at an execve or a counted system call:
  // the child did neither.
  CHECK(read_report(report)["processes_seen"] == 1);
}

TEST_CASE("every program of an exec chain gets the image") {
  const std::string gate = exec_test::each_gate();
  INFO("--exec-gate " << gate);
  TempDir dir;
  const auto report = dir.path("report.json");
  const std::string probe = VDSOFORGE_VDSO_PROBE;
  const ToolResult r = run_tool({"exec", "--exec-gate", gate, "--report", report.string(), "--",
                                 "sh", "-c", probe + " exec " + probe + " exit 5; exit $?"});
  INFO(r.err);
  CHECK(r.exit_code == 5);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 2);
  for (const auto& line : lines) check_forged(line);
  const nlohmann::json json = read_report(report);
  unsigned execs = 0;
  for (const auto& process : json["processes"]) {
    execs += process["execs"].get<unsigned>();
    if (process["execs"].get<unsigned>() > 0) CHECK(process["image_base"].get<uint64_t>() != 0);
  }
  CHECK(execs >= 3);  // sh, the probe, the probe again
}

TEST_CASE("a program exec'd from a thread other than the first gets the image") {
  const std::string gate = exec_test::each_gate();
  INFO("--exec-gate " << gate);
  TempDir dir;
  const auto report = dir.path("report.json");
  const ToolResult r = run_tool({"exec", "--exec-gate", gate, "--report", report.string(), "--",
                                 VDSOFORGE_THREAD_EXEC, VDSOFORGE_VDSO_PROBE});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 1);
  check_forged(lines[0]);
  const nlohmann::json json = read_report(report);
  REQUIRE(json["processes"].size() == 1);
  CHECK(json["processes"][0]["program"] == VDSOFORGE_VDSO_PROBE);
  CHECK(json["processes"][0]["execs"] == 2);  // thread_exec, then the probe
  CHECK(json["processes"][0]["image_base"].get<uint64_t>() == lines[0].ehdr());
  if (gate == "seccomp") return;
  // The process's first thread ended in the exec; the witness still follows
  // it: an exec from a mount namespace of its own is counted.
  const ToolResult unshared =
      run_tool({"exec", "--report", report.string(), "--", VDSOFORGE_THREAD_EXEC,
                "/usr/bin/unshare", "-m", VDSOFORGE_VDSO_PROBE});
  INFO(unshared.err);
  REQUIRE(unshared.exit_code == 0);
  CHECK(read_report(report)["exec_gate"]["unseen_execs"] == 1);
}

TEST_CASE(
    "a program exec'd from a memfd: the image behind seccomp, said and never a hang behind "
    "fanotify") {
  const std::string gate = exec_test::each_gate();
  INFO("--exec-gate " << gate);
  TempDir dir;
  const auto report = dir.path("report.json");
  // timeout(1): the fanotify gate once hung here for good (it attached at
  // the ELF interpreter's open, inside the exec's lock).
  const ToolResult r = test_support::run_program(
      {"timeout", "-s", "KILL", "60", VDSOFORGE_TOOL, "exec", "--exec-gate", gate, "--report",
       report.string(), "--", VDSOFORGE_MEMFD_EXEC, VDSOFORGE_VDSO_PROBE});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 1);
  const nlohmann::json json = read_report(report);
  if (gate == "seccomp") {
    check_forged(lines[0]);
    return;
  }
  // No mount shows a memfd's file system: the gate never sees the program.
  CHECK(lines[0].fields.at("text") == "r-xp:[vdso]");
  CHECK(json["exec_gate"]["unseen_execs"] == 1);
  CHECK(r.err.find("does not get the image") != std::string::npos);
  // Named by what it runs after the exec (or "" if it ended before exec
  // could look), never by the launcher it was before.
  REQUIRE(json["processes"].size() == 1);
  CHECK(json["processes"][0]["program"] != VDSOFORGE_MEMFD_EXEC);
}

TEST_CASE("exit codes and deaths by signal come back as a shell reports them") {
  CHECK(run_tool({"exec", "--", VDSOFORGE_VDSO_PROBE, "exit", "0"}).exit_code == 0);
  CHECK(run_tool({"exec", "--", VDSOFORGE_VDSO_PROBE, "exit", "42"}).exit_code == 42);
  CHECK(run_tool({"exec", "--", VDSOFORGE_VDSO_PROBE, "raise", "15"}).exit_code == 128 + 15);
  CHECK(run_tool({"exec", "--", VDSOFORGE_VDSO_PROBE, "raise", "9"}).exit_code == 128 + 9);
  TempDir dir;
  const auto report = dir.path("report.json");
  run_tool({"exec", "--report", report.string(), "--", VDSOFORGE_VDSO_PROBE, "raise", "6"});
  const nlohmann::json json = read_report(report);
  CHECK(json["outcome"]["end"] == "signal");
  CHECK(json["outcome"]["signal"] == 6);
  CHECK(json["outcome"]["exit_status"] == 134);
}

TEST_CASE("a program that does not exist exits 127, one that cannot run 126") {
  const ToolResult missing = run_tool({"exec", "--", "/nonexistent/program"});
  CHECK(missing.exit_code == 127);
  CHECK(missing.err.find("/nonexistent/program") != std::string::npos);
  const ToolResult unnamed = run_tool({"exec", "--", "no-such-program-vdsoforge"});
  CHECK(unnamed.exit_code == 127);
  TempDir dir;
  const auto plain = dir.path("not-executable");
  std::ofstream(plain) << "data\n";
  const ToolResult denied = run_tool({"exec", "--", plain.string()});
  CHECK(denied.exit_code == 126);
  CHECK(run_tool({"exec"}).exit_code == 2);
}

TEST_CASE("refusals exit 2 before the program runs") {
  TempDir dir;
  SECTION("a 32-bit program") {
    const auto program = dir.path("i386");
    test_support::write_file(program, i386_program());
    chmod(program.c_str(), 0755);
    const ToolResult r = run_tool({"exec", "--", program.string()});
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("32-bit") != std::string::npos);
  }
  SECTION("an x32 program (ELFCLASS32 for x86-64)") {
    const auto program = dir.path("x32");
    std::vector<uint8_t> bytes = i386_program();
    const uint16_t machine = EM_X86_64;
    std::memcpy(bytes.data() + offsetof(Elf32_Ehdr, e_machine), &machine, sizeof machine);
    test_support::write_file(program, bytes);
    chmod(program.c_str(), 0755);
    const ToolResult r = run_tool({"exec", "--", program.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(program.string() + " is an x32 program; its vDSO is another ABI") !=
          std::string::npos);
  }
  SECTION("a 64-bit program for another machine") {
    const auto program = dir.path("aarch64");
    std::vector<uint8_t> bytes = test_support::read_file(VDSOFORGE_VDSO_PROBE);
    const uint16_t machine = EM_AARCH64;
    std::memcpy(bytes.data() + offsetof(Elf64_Ehdr, e_machine), &machine, sizeof machine);
    test_support::write_file(program, bytes);
    chmod(program.c_str(), 0755);
    const ToolResult r = run_tool({"exec", "--", program.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(program.string() + " is not an x86-64 program") != std::string::npos);
    CHECK(r.out.empty());
  }
  SECTION("a setuid program with --refuse-privileged") {
    const auto program = dir.path("setuid-probe");
    std::filesystem::copy_file(VDSOFORGE_VDSO_PROBE, program);
    REQUIRE(chmod(program.c_str(), 04755) == 0);
    const ToolResult r = run_tool({"exec", "--refuse-privileged", "--", program.string()});
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("setuid") != std::string::npos);
    CHECK(r.out.empty());  // the probe never ran
  }
  SECTION("a setuid program later in an exec chain, --refuse-privileged: the tree is stopped") {
    const auto program = dir.path("setuid-probe");
    std::filesystem::copy_file(VDSOFORGE_VDSO_PROBE, program);
    REQUIRE(chmod(program.c_str(), 04755) == 0);
    const auto marker = dir.path("marker");
    const ToolResult r = run_tool({"exec", "--refuse-privileged", "--", "sh", "-c",
                                   program.string() + "; touch " + marker.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK_FALSE(std::filesystem::exists(marker));  // sh did not go on
  }
  SECTION("an image the parser refuses") {
    const auto image = dir.path("not-an-image.so");
    std::ofstream(image) << "not an ELF file\n";
    const ToolResult r = run_tool({"exec", "--image", image.string(), "--", VDSOFORGE_VDSO_PROBE});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
  }
  SECTION("an image whose data layout neither a note nor its code gives, no --data-layout") {
    // The control image exports no getrandom: no code to derive a layout from.
    const ToolResult r =
        run_tool({"exec", "--image", VDSOFORGE_EXEC_CONTROL_IMAGE, "--", VDSOFORGE_VDSO_PROBE});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--data-layout") != std::string::npos);
    CHECK(r.out.empty());
  }
  SECTION("bad option values") {
    CHECK(run_tool({"exec", "--reseed-every", "0ms", "--", "true"}).exit_code == 2);
    CHECK(run_tool({"exec", "--reseed-every", "soon", "--", "true"}).exit_code == 2);
    // SIZE without :OFFSET.
    const std::string size_only = vdsoforge::hex(vdsoforge::image_defaults::kDataAreaSize);
    CHECK(run_tool({"exec", "--data-layout", size_only, "--", "true"}).exit_code == 2);
  }
}

TEST_CASE("exec under exec behind the seccomp gate: the inner one is refused, one listener") {
  TempDir dir;
  const auto outer = dir.path("outer.json");
  const ToolResult r =
      run_tool({"exec", "--exec-gate", "seccomp", "--report", outer.string(), "--", VDSOFORGE_TOOL,
                "exec", "--exec-gate", "seccomp", "--", VDSOFORGE_VDSO_PROBE});
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("another seccomp listener already watches this process") != std::string::npos);
  CHECK(r.out.empty());  // the probe never ran
}

TEST_CASE("exec under exec behind the fanotify gate: the inner exec's image is the one used") {
  exec_test::require_fanotify_gate();
  TempDir dir;
  const auto outer = dir.path("outer.json"), inner = dir.path("inner.json");
  const ToolResult r = run_tool({"exec", "--report", outer.string(), "--", VDSOFORGE_TOOL, "exec",
                                 "--report", inner.string(), "--", VDSOFORGE_VDSO_PROBE});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 1);
  check_forged(lines[0]);
  // The inner exec's mount namespace is a copy of the outer's, whose marks
  // it does not carry: only the inner exec hears the probe's execve.  The
  // outer one's witness sees the exec that never asked it, and says so.
  const nlohmann::json outer_json = read_report(outer), inner_json = read_report(inner);
  CHECK(outer_json["exec_gate"]["used"] == "fanotify");
  CHECK(inner_json["exec_gate"]["used"] == "fanotify");
  REQUIRE(inner_json["processes"].size() == 1);
  CHECK(inner_json["processes"][0]["image_base"].get<uint64_t>() == lines[0].ehdr());
  CHECK(inner_json["exec_gate"]["unseen_execs"] == 0);
  REQUIRE(outer_json["exec_gate"]["witnessed"] == true);
  CHECK(outer_json["exec_gate"]["unseen_execs"] == 1);
  // (The probe may have ended before the outer exec could read its name.)
  unsigned unseen = 0;
  for (const auto& process : outer_json["processes"])
    unseen += process.value("kernel_vdso_because", "")
                  .starts_with("exec'd without asking the fanotify gate");
  CHECK(unseen == 1);
  CHECK(r.err.find("a program exec'd where the fanotify gate cannot see it does not get the "
                   "image") != std::string::npos);
}

TEST_CASE("a program's own mount namespace hides its execs from the fanotify gate, not silently") {
  exec_test::require_fanotify_gate();
  TempDir dir;
  const auto report = dir.path("report.json");
  // unshare(1) makes the new namespace's mounts private copies: none is
  // marked.  The shell lives long enough to be named in the report.
  const ToolResult r = run_tool({"exec", "--report", report.string(), "--", "unshare", "-m", "sh",
                                 "-c", std::string(VDSOFORGE_VDSO_PROBE) + " && sleep 0.5"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].fields.at("text") == "r-xp:[vdso]");  // the kernel's
  const nlohmann::json json = read_report(report);
  REQUIRE(json["exec_gate"]["witnessed"] == true);
  CHECK(json["exec_gate"]["unseen_execs"] == 3);  // sh, the probe, sleep
  bool shell_unseen = false;
  for (const auto& process : json["processes"]) {
    CHECK(process["image_base"] == 0);
    if (process["program"] == std::filesystem::canonical("/bin/sh").string())
      shell_unseen = process["kernel_vdso_because"].get<std::string>().starts_with(
          "exec'd without asking the fanotify gate");
  }
  CHECK(shell_unseen);
  CHECK(r.err.find("does not get the image") != std::string::npos);
  // Behind the seccomp gate the filter goes with the process into any
  // namespace: the probe gets the image.
  const ToolResult seccomp =
      run_tool({"exec", "--exec-gate", "seccomp", "--", "unshare", "-m", "sh", "-c",
                std::string(VDSOFORGE_VDSO_PROBE) + " && sleep 0.5"});
  INFO(seccomp.err);
  REQUIRE(seccomp.exit_code == 0);
  lines = probe_lines(seccomp.out);
  REQUIRE(lines.size() == 1);
  check_forged(lines[0]);
}

// The `Seccomp:` line of /proc/PID/status of every program of a shell
// pipeline run under `exec` with `gate`: 0 where no filter is installed.
std::string seccomp_modes_under(const std::string& gate) {
  const ToolResult r =
      run_tool({"exec", "--exec-gate", gate, "--", "sh", "-c",
                "grep '^Seccomp:' /proc/self/status; grep '^Seccomp:' /proc/$$/status"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

TEST_CASE("a process entering the tree's mount namespace from outside is left alone") {
  exec_test::require_fanotify_gate();
  TempDir dir;
  const auto report = dir.path("report.json");
  const auto exec = test_support::start_tool(
      {"exec", "--report", report.string(), "--", "sh", "-c", "echo $$; exec sleep 60"});
  const std::string program = test_support::read_line(exec.out, 60'000);
  close(exec.out);
  REQUIRE(!program.empty());
  // nsenter is this test's child, not the tree's: its probe asks the gate
  // (the namespace's mounts are marked) and must run as without exec.
  const ToolResult outsider =
      test_support::run_program({"nsenter", "-t", program, "-m", VDSOFORGE_VDSO_PROBE});
  INFO(outsider.err);
  REQUIRE(outsider.exit_code == 0);
  const auto lines = probe_lines(outsider.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].fields.at("text") == "r-xp:[vdso]");
  // Done: SIGTERM to exec ends the program (forwarded) and so the run.
  REQUIRE(kill(exec.pid, SIGTERM) == 0);
  int status = 0;
  REQUIRE(waitpid(exec.pid, &status, 0) == exec.pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  const nlohmann::json json = read_report(report);
  for (const auto& process : json["processes"]) CHECK(process["program"] != VDSOFORGE_VDSO_PROBE);
  CHECK(json["exec_gate"]["unseen_execs"] == 0);
}

TEST_CASE("the fanotify gate leaves no filter in the program; the seccomp gate puts one in each") {
  exec_test::require_fanotify_gate();
  CHECK(seccomp_modes_under("fanotify") == "Seccomp:\t0\nSeccomp:\t0\n");
  CHECK(seccomp_modes_under("seccomp") == "Seccomp:\t2\nSeccomp:\t2\n");  // 2: filter mode
}

TEST_CASE("the fanotify gate: scripts, their interpreters and failed execs") {
  exec_test::require_fanotify_gate();
  TempDir dir;
  const auto report = dir.path("report.json");
  // A script the kernel runs through its #! line: three files opened for
  // execution in one execve (the script, /bin/sh, the ELF interpreter).
  const auto script = dir.path("script");
  write_executable(script, std::string("#!/bin/sh\nexec ") + VDSOFORGE_VDSO_PROBE + "\n");
  // No #! and no ELF header: execve opens it, then fails (ENOEXEC), and the
  // shell runs it itself.
  const auto plain = dir.path("plain");
  write_executable(plain, "echo plain-$((6*7))\n");
  const ToolResult r = run_tool({"exec", "--report", report.string(), "--", "sh", "-c",
                                 plain.string() + "; " + script.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("plain-42\n") != std::string::npos);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 1);
  check_forged(lines[0]);
  const nlohmann::json json = read_report(report);
  CHECK(json["exec_gate"]["used"] == "fanotify");
  CHECK(json["exec_gate"]["unwatched_mounts"].empty());
  CHECK(json["notes"].empty());
}

TEST_CASE("the fanotify gate marks a mount made under exec before anything runs from it") {
  exec_test::require_fanotify_gate();
  TempDir dir;
  const auto report = dir.path("report.json");
  const auto mount_point = dir.path("mnt");
  std::filesystem::create_directory(mount_point);
  const std::string m = mount_point.string();
  // The mount is the program's own (its namespace is a copy of exec's).
  // First two mounts stacked on one point, both gone again (the lower one
  // is reached only once the upper one has left), then the mount the probe
  // runs from, which may get a gone one's mount id again.
  const std::string mount = "mount -t tmpfs vdsoforge-test " + m;
  const std::string script = mount + " && " + mount + " && umount " + m + " && umount " + m +
                             " && " + mount + " && cp " + VDSOFORGE_VDSO_PROBE + " " + m +
                             "/probe && " + m + "/probe; status=$?; umount " + m + "; exit $status";
  const ToolResult r = run_tool({"exec", "--report", report.string(), "--", "sh", "-c", script});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 1);
  check_forged(lines[0]);
  const nlohmann::json json = read_report(report);
  bool probe_seen = false;
  for (const auto& process : json["processes"])
    if (process["program"] == m + "/probe") {
      probe_seen = true;
      CHECK(process["image_base"].get<uint64_t>() == lines[0].ehdr());
    }
  CHECK(probe_seen);
}

TEST_CASE("without CAP_SYS_ADMIN exec falls back to the seccomp gate and says why in the report") {
  exec_test::require_fanotify_gate();  // root, so that dropping the capability is what changes
  TempDir dir;
  const auto report = dir.path("report.json");
  const ToolResult r = test_support::run_program(
      {"setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin", VDSOFORGE_TOOL, "exec",
       "--report", report.string(), "--", VDSOFORGE_VDSO_PROBE});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 1);
  check_forged(lines[0]);
  const nlohmann::json json = read_report(report);
  CHECK(json["exec_gate"]["used"] == "seccomp");
  CHECK(json["exec_gate"]["seccomp_because"].get<std::string>().find(
            "fanotify_init: Operation not permitted") != std::string::npos);
  // Asked for by name, the gate is refused instead.
  const ToolResult named = test_support::run_program(
      {"setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin", VDSOFORGE_TOOL, "exec",
       "--exec-gate", "fanotify", "--", VDSOFORGE_VDSO_PROBE});
  CHECK(named.exit_code == 2);
  CHECK(named.err.find("the fanotify gate is not available here (fanotify_init: Operation not "
                       "permitted)") != std::string::npos);
  CHECK(named.out.empty());
}

TEST_CASE("where the kernel will not witness the fanotify gate, auto takes the seccomp gate") {
  exec_test::require_fanotify_gate();
  // The process-events connector serves only the initial pid namespace.
  TempDir dir;
  const auto report = dir.path("report.json");
  const std::vector<std::string> in_pid_namespace = {"unshare",      "--pid",        "--fork",
                                                     "--mount-proc", VDSOFORGE_TOOL, "exec",
                                                     "--report",     report.string()};
  auto command = in_pid_namespace;
  command.insert(command.end(), {"--", VDSOFORGE_VDSO_PROBE});
  const ToolResult automatic = test_support::run_program(command);
  INFO(automatic.err);
  REQUIRE(automatic.exit_code == 0);
  auto lines = probe_lines(automatic.out);
  REQUIRE(lines.size() == 1);
  check_forged(lines[0]);
  nlohmann::json json = read_report(report);
  CHECK(json["exec_gate"]["used"] == "seccomp");
  CHECK(json["exec_gate"]["seccomp_because"].get<std::string>().starts_with(
      "the fanotify gate could not be witnessed"));
  // Asked for by name, the gate runs and says it is unwitnessed.
  command = in_pid_namespace;
  command.insert(command.end(), {"--exec-gate", "fanotify", "--", VDSOFORGE_VDSO_PROBE});
  const ToolResult named = test_support::run_program(command);
  INFO(named.err);
  REQUIRE(named.exit_code == 0);
  lines = probe_lines(named.out);
  REQUIRE(lines.size() == 1);
  check_forged(lines[0]);
  json = read_report(report);
  CHECK(json["exec_gate"]["used"] == "fanotify");
  CHECK(json["exec_gate"]["witnessed"] == false);
  CHECK(named.err.find("the fanotify gate runs unwitnessed") != std::string::npos);
}

TEST_CASE("the fanotify gate, asked for by name, refuses counting and --deterministic") {
  for (const char* option : {"--count-syscalls", "--deterministic=7"}) {
    const ToolResult r =
        run_tool({"exec", "--exec-gate", "fanotify", option, "--", VDSOFORGE_VDSO_PROBE});
    INFO(option << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("the fanotify gate sees only execs") != std::string::npos);
    CHECK(r.out.empty());
  }
  CHECK(run_tool({"exec", "--exec-gate", "inotify", "--", "true"}).exit_code == 2);
}

// A copy of the probe owned by `owner` with `mode` (setuid 04755, setgid
// 02755); exec runs as root in CI, so the kernel's switch to `owner` shows.
std::filesystem::path privileged_probe(const TempDir& dir, mode_t mode) {
  const auto program = dir.path(mode & S_ISUID ? "setuid-probe" : "setgid-probe");
  std::filesystem::copy_file(VDSOFORGE_VDSO_PROBE, program);
  REQUIRE(chown(program.c_str(), 65534, 65534) == 0);
  REQUIRE(chmod(program.c_str(), mode) == 0);
  return program;
}

TEST_CASE("a privileged program runs untraced on the kernel's vDSO, with its privileges") {
  REQUIRE(geteuid() == 0);  // CI runs as root: a copy owned by 65534 changes the euid
  const std::string gate = exec_test::each_gate();
  INFO("--exec-gate " << gate);
  TempDir dir;
  // The setuid program (euid 65534) execs the plain probe: both must lie
  // where that user may look, which a build tree in a private directory (a
  // clone made by mktemp -d) is not.
  std::filesystem::permissions(dir.path("."), std::filesystem::perms(0755));
  const auto setuid = privileged_probe(dir, 04755);
  const auto marker = dir.path("marker");
  const auto report = dir.path("report.json");
  const std::string probe = dir.path("plain-probe").string();
  std::filesystem::copy_file(VDSOFORGE_VDSO_PROBE, probe);
  // The setuid program execs a plain one (its descendant: kernel vDSO too);
  // then sh goes on, and its next plain probe has the image again.
  const ToolResult r =
      run_tool({"exec", "--exec-gate", gate, "--report", report.string(), "--", "sh", "-c",
                setuid.string() + " exec " + probe + "; touch " + marker.string() + "; " + probe});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(std::filesystem::exists(marker));
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].fields.at("uid") == "0");
  CHECK(lines[0].fields.at("euid") == "65534");  // the privilege is intact
  for (int i : {0, 1}) {
    INFO("line " << i);
    CHECK(lines[i].fields.at("text").starts_with("r-xp:[vdso]"));
    CHECK(lines[i].fields.at("euid") == "65534");
    // A privileged process may not read its own /proc/self/auxv (0 here);
    // if it can, it names what the stack names.
    const uint64_t saved = std::stoull(lines[i].fields.at("proc_auxv_ehdr"), nullptr, 16);
    CHECK((saved == 0 || saved == lines[i].ehdr()));
  }
  check_forged(lines[2]);
  const std::string said = "privileged programs run untraced on the kernel's vDSO";
  const size_t first = r.err.find(said);
  CHECK(first != std::string::npos);
  CHECK(r.err.find(said, first + 1) == std::string::npos);
  const nlohmann::json json = read_report(report);
  REQUIRE(json["notes"].size() == 1);
  CHECK(json["notes"][0].get<std::string>().find(said) != std::string::npos);
  unsigned privileged = 0;
  for (const auto& process : json["processes"])
    if (process.contains("kernel_vdso_because"))
      privileged += process["kernel_vdso_because"] == "privileged: setuid";
  CHECK(privileged == 1);
}

TEST_CASE("a setgid program keeps its group, and so do its forked children") {
  REQUIRE(geteuid() == 0);
  TempDir dir;
  const auto setgid = privileged_probe(dir, 02755);
  const ToolResult r = run_tool({"exec", "--", setgid.string(), "fork"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = probe_lines(r.out);
  REQUIRE(lines.size() == 2);
  for (const auto& line : lines) {
    CHECK(line.fields.at("text").starts_with("r-xp:[vdso]"));
    CHECK(line.fields.at("egid") == "65534");
  }
  CHECK(r.err.find("privileged: setgid") != std::string::npos);
}

TEST_CASE("SIGTERM sent to exec reaches the program") {
  // The program says it runs before the signal is sent: exec forwards
  // signals from the moment the program starts, and a fixed sleep would race
  // with exec's start-up on a loaded machine.
  const auto exec =
      test_support::start_tool({"exec", "--", "sh", "-c", "echo ready; exec sleep 30"});
  const pid_t pid = exec.pid;
  CHECK(test_support::read_line(exec.out, 60'000) == "ready");
  close(exec.out);
  const auto sent = std::chrono::steady_clock::now();
  REQUIRE(kill(pid, SIGTERM) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(std::chrono::steady_clock::now() - sent < std::chrono::seconds(10));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
}

TEST_CASE("signals sent to exec while it holds the program's execve calls reach the program") {
  // The program does nothing but failing execve calls, each attached to and
  // held by exec until it fails; a SIGHUP forwarded meanwhile used to be
  // dropped when exec let go at the failed call's stop (21 of 300 lost).
  // Each one must arrive (the program says "h"), then SIGTERM must end it.
  // Behind both gates: the file has no known format, so each call fails
  // (ENOEXEC) after the kernel opened it, which the fanotify gate hears.
  const std::string gate = exec_test::each_gate();
  INFO("--exec-gate " << gate);
  TempDir dir;
  const auto no_format = dir.path("no-format");
  write_executable(no_format, "no known format\n");
  // In a group of its own, so that every run can be ended whole.
  const auto exec = test_support::start_tool(
      {"exec", "--exec-gate", gate, "--", VDSOFORGE_FAILING_EXECVE_LOOP, no_format.string()}, true);
  const pid_t pid = exec.pid;
  struct EndsTheRun {
    pid_t group;
    int fd;
    bool reaped = false;
    ~EndsTheRun() {
      close(fd);
      if (reaped) return;
      kill(-group, SIGKILL);
      waitpid(group, nullptr, 0);
    }
  } run{pid, exec.out};
  const auto next_byte = [&](int timeout_ms) {
    pollfd readable{exec.out, POLLIN, 0};
    char byte = 0;
    if (poll(&readable, 1, timeout_ms) != 1 || read(exec.out, &byte, 1) != 1) return '\0';
    return byte;
  };
  REQUIRE(next_byte(60'000) == 'r');
  constexpr int kSignals = 200;
  int lost = 0;
  for (int i = 0; i < kSignals; ++i) {
    REQUIRE(kill(pid, SIGHUP) == 0);
    if (next_byte(5'000) != 'h') ++lost;
  }
  CHECK(lost == 0);
  REQUIRE(kill(pid, SIGTERM) == 0);
  int status = 0;
  for (int waited_ms = 0; waited_ms < 10'000 && waitpid(pid, &status, WNOHANG) == 0; waited_ms += 5)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (waitpid(pid, &status, WNOHANG) == 0) FAIL("SIGTERM did not end the program within 10 s");
  run.reaped = true;
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
}

TEST_CASE("an execve exec may not attach to, in a live untraced process, ends the tree (exit 2)") {
  // Without CAP_SYS_PTRACE the kernel refuses PTRACE_SEIZE on a
  // non-dumpable process; the probe would otherwise run on the kernel's
  // vDSO as if it had the image.
  const std::string gate = exec_test::each_gate();
  INFO("--exec-gate " << gate);
  const ToolResult r = test_support::run_program(
      {"setpriv", "--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace", VDSOFORGE_TOOL, "exec",
       "--exec-gate", gate, "--", VDSOFORGE_UNDUMPABLE_EXEC, VDSOFORGE_VDSO_PROBE});
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("the kernel refuses to let exec trace process") != std::string::npos);
  CHECK(r.err.find("(PTRACE_SEIZE: Operation not permitted)") != std::string::npos);
  CHECK(r.out.empty());  // the probe never ran
}

TEST_CASE("the program's arguments arrive untouched and in order, dashes included") {
  // printf prints each argument between bars: what the program was given.
  const std::vector<std::vector<std::string>> exec_lines = {
      {"exec", "-q", "--", "printf", "%s|", "-n", "a", "--", "-b"},
      {"exec", "-q", "printf", "%s|", "-n", "a", "--", "-b"},
      {"exec", "--image", VDSOFORGE_TEST_IMAGE, "--", "printf", "%s|", "-n", "a", "--", "-b"},
      {"exec", "--image=" VDSOFORGE_TEST_IMAGE, "printf", "%s|", "-n", "a", "--", "-b"},
  };
  for (const auto& line : exec_lines) {
    const ToolResult r = run_tool(line);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "-n|a|--|-b|");
  }
}

TEST_CASE("stdin, stdout and stderr pass through untouched") {
  const ToolResult r =
      run_tool({"exec", "--", "sh", "-c", "echo out; echo err >&2; printf abc | cat"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "out\nabc");
  CHECK(r.err == "err\n");
}

TEST_CASE("the control channel drives the data page while the program runs") {
  TempDir dir;
  const std::string socket = dir.path("ctl.sock").string();
  // `ctl` runs inside the traced tree; in a sanitizer build LeakSanitizer
  // cannot run under ptrace, so it is off for those commands only.
  const std::string ctl =
      "LSAN_OPTIONS=detect_leaks=0 " + std::string(VDSOFORGE_TOOL) + " ctl " + socket;
  const auto report = dir.path("report.json");
  const ToolResult r =
      run_tool({"exec", "--control", socket, "--report", report.string(), "--", "sh", "-c",
                ctl + " status; " + ctl + " reseed; " + ctl + " reseed; " + ctl + " ready 0; " +
                    ctl + " ready 1; " + ctl + " bogus; echo bogus=$?"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(std::regex_search(r.out, std::regex("^ok generation=\\d+ ready=1 reseeds=0")));
  CHECK(r.out.find("reseeds=2") != std::string::npos);
  CHECK(r.out.find("ready=0 reseeds=2") != std::string::npos);
  CHECK(r.err.find("vdsoforge ctl: unknown command 'bogus'") != std::string::npos);
  CHECK(r.out.find("bogus=2") != std::string::npos);
  CHECK(read_report(report)["reseeds_forced"] == 2);
  CHECK_FALSE(std::filesystem::exists(socket));  // removed when exec ends
  CHECK(run_tool({"ctl", socket, "status"}).exit_code == 1);
}
