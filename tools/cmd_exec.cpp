// vdsoforge exec [--image IMAGE] [options] -- PROGRAM [ARGS...]
//
// Runs an unmodified program (and everything it forks and execs) with the
// auxiliary vector's AT_SYSINFO_EHDR pointing at a forged vDSO image mapped
// as the loader maps it, the image's data area shared with this process so
// it can drive the emulated vdso_rng_data while the program runs.  The
// machinery lives in tools/exec/; this file is the command line.
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clock_offset.h"
#include "command.h"
#include "control_server.h"
#include "data_page_driver.h"
#include "default_files.h"
#include "deterministic_replay.h"
#include "exec_report.h"
#include "fault_injector.h"
#include "forged_vdso_source.h"
#include "input_error.h"
#include "kernel_data_pages.h"
#include "open_options_from_flags.h"
#include "params_fault.h"
#include "process_tree_tracer.h"
#include "vdsoforge/hex.h"
#include "vdsoforge/image_defaults.h"

namespace vdsoforge::tools {
namespace {

struct ExecOptions {
  std::string image_path = default_image_path();
  std::string data_layout;  // "SIZE:OFFSET" for an image without the layout note
  std::string chacha = "auto";
  bool allow_damaged = false;
  bool not_ready = false;
  std::string reseed_every;
  std::string clock_offset;
  std::string control_socket;
  bool count_syscalls = false;
  std::string report_path;
  std::string scenario_path;
  bool hide_kernel_vdso = false;
  bool kernel_data = false;
  bool refuse_privileged = false;
  std::string exec_gate = "auto";
  bool quiet = false;
  bool demo = false;
  std::string deterministic_seed;  // --deterministic SEED
  std::string bump_every;          // --deterministic-bump-every N
  std::vector<std::string> argv;
};

bool parse_layout(const std::string& text, DataLayout& layout) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return false;
  try {
    size_t used = 0;
    const std::string size = text.substr(0, colon), offset = text.substr(colon + 1);
    layout.page_size = 4096;
    layout.data_area_size = std::stoull(size, &used, 0);
    if (used != size.size()) return false;
    layout.rng_data_offset = std::stoull(offset, &used, 0);
    return used == offset.size();
  } catch (const std::exception&) {
    return false;
  }
}

int refuse(const std::string& message) {
  std::fprintf(stderr, "vdsoforge exec: %s\n", message.c_str());
  return 2;
}

// --deterministic SEED [--deterministic-bump-every N]: "" and the schedule
// (bump_generation still unset), or why the options are refused.
std::string deterministic_schedule(const ExecOptions& options, exec::ReplaySchedule& schedule) {
  if (options.deterministic_seed.empty())
    return options.bump_every.empty() ? ""
                                      : "--deterministic-bump-every needs --deterministic SEED";
  const auto seed = exec::parse_seed(options.deterministic_seed);
  if (!seed)
    return "--deterministic: \"" + options.deterministic_seed +
           "\" is not an unsigned 64-bit number (decimal or 0x-hexadecimal)";
  schedule.seed = *seed;
  if (!options.bump_every.empty()) {
    const auto every = exec::parse_seed(options.bump_every);
    if (!every)
      return "--deterministic-bump-every: \"" + options.bump_every +
             "\" is not a count of getrandom calls (0 = never)";
    schedule.bump_every = *every;
  }
  // A clock-driven generation would reseed the program at moments no run
  // can repeat.
  if (!options.reseed_every.empty())
    return "--reseed-every moves the generation with time; --deterministic takes "
           "--deterministic-bump-every N (a bump every N getrandom calls) instead";
  return "";
}

// --kernel-data hands the program the kernel's own data pages, which exec
// can neither write nor see: "" if nothing asks to, else why the options
// cannot be combined.
std::string kernel_data_conflict(const ExecOptions& options) {
  if (!options.kernel_data) return "";
  struct Conflict {
    bool given;
    const char* option;
    const char* needs;
  };
  const Conflict conflicts[] = {
      {!options.scenario_path.empty(), "--scenario",
       "injects its faults through the emulated data pages"},
      {!options.deterministic_seed.empty(), "--deterministic",
       "holds the emulated generation still"},
      {!options.bump_every.empty(), "--deterministic-bump-every", "bumps the emulated generation"},
      {!options.clock_offset.empty(), "--clock-offset", "shifts the emulated time data"},
      {!options.reseed_every.empty(), "--reseed-every", "bumps the emulated generation"},
      {options.not_ready, "--not-ready", "clears is_ready in the emulated rng data"},
      {options.hide_kernel_vdso, "--hide-kernel-vdso",
       "would unmap the [vvar] pages --kernel-data gives the image (the kernel's [vdso] is "
       "unmapped with --kernel-data anyway)"},
  };
  for (const Conflict& c : conflicts)
    if (c.given)
      return std::string("--kernel-data cannot be combined with ") + c.option +
             ": the program reads the kernel's own data pages, which exec cannot change, and " +
             c.option + " " + c.needs;
  return "";
}

int run(ExecOptions& options) {
  if (options.demo) {
    if (!options.argv.empty())
      return refuse("--demo runs the demo consumer; give either --demo or a PROGRAM, not both");
    options.argv = {demo_program_path()};
  }
  if (options.argv.empty())
    return refuse("no program given (vdsoforge exec [options] -- PROGRAM [ARGS...], or --demo)");
  // CLI11 hands everything from the first unknown word on to the program, so
  // a misspelt option would otherwise be run as a program called "--opt".
  if (options.argv.front().starts_with('-')) {
    std::fprintf(stderr,
                 "vdsoforge exec: unknown option %s (a program whose name starts with '-' is "
                 "given as ./%s)\nRun 'vdsoforge exec --help' for more information.\n",
                 options.argv.front().c_str(), options.argv.front().c_str());
    return 2;
  }
  if (const std::string why = kernel_data_conflict(options); !why.empty()) return refuse(why);
  exec::FaultScenario scenario;
  if (!options.scenario_path.empty()) {
    std::string error;
    auto loaded = exec::load_fault_scenario(options.scenario_path, error);
    if (!loaded) return refuse("--scenario: " + error);
    scenario = std::move(*loaded);
    // Every event is reported with the getrandom system calls around it.
    if (scenario.needs_syscall_counts()) options.count_syscalls = true;
  }
  exec::ReplaySchedule schedule;
  if (const std::string why = deterministic_schedule(options, schedule); !why.empty())
    return refuse(why);
  const bool deterministic = !options.deterministic_seed.empty();
  ImageFlags flags{.chacha = options.chacha, .allow_damaged = options.allow_damaged};
  // The generation then moves only on the replay's schedule (and through
  // `ctl reseed`, which the user times), never with the kernel's.
  if (deterministic) flags.mode = GenerationMode::manual;
  // The replay answers every getrandom call anyway: count them, to show
  // how few the fast path leaves.
  if (deterministic) options.count_syscalls = true;
  std::chrono::microseconds reseed_period{0};
  if (!options.reseed_every.empty()) {
    if (!exec::parse_duration(options.reseed_every, reseed_period))
      return refuse("--reseed-every: \"" + options.reseed_every +
                    "\" is not a positive duration such as 500us, 1ms, 2s or 1m");
    // The period belongs to this command's own reseeder, which counts what it
    // forces; the loader's own mode must then leave the generation alone.
    flags.mode = GenerationMode::manual;
  }
  if (!options.data_layout.empty()) {
    DataLayout layout{};
    if (!parse_layout(options.data_layout, layout))
      return refuse("--data-layout: \"" + options.data_layout +
                    "\" is not DATA_AREA_SIZE:RNG_DATA_OFFSET (e.g. " +
                    hex(image_defaults::kDataAreaSize) + ":" + hex(image_defaults::kRngDataOffset) +
                    ")");
    flags.data_layout = layout;
  }
  OpenOptions open_options = open_options_from_flags(flags);
  if (options.kernel_data) {
    // Nothing reads the emulated pages: no thread needs to keep them current.
    open_options.mode = GenerationMode::manual;
    open_options.time_mode = TimeMode::manual;
  }

  Error err;
  auto source =
      exec::ForgedVdsoSource::open(options.image_path, open_options, err, options.hide_kernel_vdso,
                                   exec::params_patch(scenario));
  if (!source) {
    InputError refused = refused_input(options.image_path, err);
    if (err.code == Errc::missing_data_layout_note)
      refused.reason += "; give its layout with --data-layout SIZE:OFFSET";
    return refuse(refused.text(options.image_path));
  }
  if (options.kernel_data) {
    if (const std::string why = exec::kernel_data_mismatch(source->image(), options.image_path);
        !why.empty())
      return refuse("--kernel-data: " + why);
    source->use_kernel_data();
  }
  if (options.allow_damaged && !options.quiet) {
    // Say what the program is about to meet: the rules this image breaks.
    const auto& violations = source->image().elf().violations();
    std::fprintf(stderr, "vdsoforge exec: --allow-damaged: %s breaks %zu parser rule(s)%s\n",
                 options.image_path.c_str(), violations.size(), violations.empty() ? "" : ":");
    for (const Violation& violation : violations)
      std::fprintf(stderr, "  %s\n", violation.message.c_str());
  }
  if (!options.clock_offset.empty()) {
    std::chrono::nanoseconds offset{};
    if (!parse_clock_offset(options.clock_offset, offset))
      return refuse("--clock-offset: \"" + options.clock_offset +
                    "\" is not a signed duration such as +1h, -90s, 1500ms or 2d");
    if (Error e = source->data_page().set_realtime_offset(offset); e)
      return refuse("--clock-offset: " + options.image_path + ": " + e.message);
  }
  exec::DataPageDriver driver(source->data_page());
  if (options.not_ready) driver.set_ready(false);
  if (reseed_period.count() > 0) driver.reseed_every(reseed_period);
  exec::FaultLog fault_log(options.count_syscalls);
  exec::FaultInjector faults(scenario, source->data_page(), driver, fault_log, getpid());
  std::unique_ptr<exec::ControlServer> control;
  if (!options.control_socket.empty()) {
    std::string error;
    const std::string data_refused =
        options.kernel_data ? "exec runs with --kernel-data: the program reads the kernel's own "
                              "data pages, which exec cannot change or show"
                            : "";
    control =
        exec::ControlServer::start(options.control_socket, driver, error, &faults, data_refused);
    if (!control) return refuse(error);
  }

  const auto say = [](const std::string& note) {
    std::fprintf(stderr, "vdsoforge exec: note: %s\n", note.c_str());
  };
  std::unique_ptr<exec::DeterministicReplay> replay;
  if (deterministic) {
    schedule.bump_generation = [&source] { return source->data_page().bump_generation(); };
    replay = std::make_unique<exec::DeterministicReplay>(schedule);
  }
  exec::TraceConfig trace;
  trace.argv = options.argv;
  trace.vdso = source->vdso();
  trace.count_getrandom = options.count_syscalls;
  trace.count_time = options.count_syscalls;
  trace.refuse_privileged = options.refuse_privileged;
  trace.gate = options.exec_gate == "fanotify"  ? exec::ExecGate::fanotify
               : options.exec_gate == "seccomp" ? exec::ExecGate::seccomp
                                                : exec::ExecGate::automatic;
  trace.on_note = say;
  trace.deterministic = replay.get();
  trace.on_getrandom_syscall = [&faults] { faults.on_getrandom_syscall(); };
  faults.start();
  const exec::TraceResult result = exec::trace_program(trace);
  faults.stop();
  control.reset();

  if (!result.message.empty()) std::fprintf(stderr, "vdsoforge exec: %s\n", result.message.c_str());
  if (!options.report_path.empty()) {
    exec::ReportContext context;
    context.image_path = options.image_path;
    context.data_area_size = source->vdso().data_size;
    context.rng_data_offset = source->rng_data_offset();
    context.text_size = source->vdso().text_size;
    context.count_getrandom = options.count_syscalls;
    context.not_ready = options.not_ready;
    context.hide_kernel_vdso = options.hide_kernel_vdso;
    context.kernel_data = options.kernel_data;
    context.refuse_privileged = options.refuse_privileged;
    context.exec_gate = options.exec_gate;
    context.reseeds_forced = driver.reseeds_forced();
    context.final_generation = source->data_page().generation();
    context.faults = &fault_log;
    context.scenario = &faults.scenario();
    context.scenario_path = options.scenario_path;
    context.deterministic = replay.get();
    std::string error;
    if (!exec::write_report(options.report_path, context, result, error)) {
      std::fprintf(stderr, "vdsoforge exec: %s\n", error.c_str());
      return result.exit_status() == 0 ? 2 : result.exit_status();
    }
  }
  // Last, so the line can point at a report that was written.
  if (options.count_syscalls && !options.quiet) {
    const uint64_t calls = result.getrandom_syscalls;
    const size_t processes = result.processes.size();
    const std::string details =
        options.report_path.empty() ? "" : "; " + options.report_path + " has the details";
    std::string time_calls;
    for (size_t i = 0; i < exec::kTimeSyscalls.size(); ++i)
      if (result.time_syscalls[i] != 0)
        time_calls +=
            ", " + std::to_string(result.time_syscalls[i]) + " " + exec::kTimeSyscalls[i].name;
    std::fprintf(stderr,
                 "vdsoforge exec: %" PRIu64 " getrandom system call%s%s in %zu process%s%s\n",
                 calls, calls == 1 ? "" : "s", time_calls.c_str(), processes,
                 processes == 1 ? "" : "es", details.c_str());
  }
  return result.exit_status();
}

const CommandRegistration registration{Command{
    [](CLI::App& sub) -> std::function<int()> {
      auto options = std::make_shared<ExecOptions>();
      sub.footer(
          "Runs PROGRAM (and every process it forks and every program they exec) with\n"
          "AT_SYSINFO_EHDR pointing at IMAGE, mapped as the loader maps it: data area read-only\n"
          "directly below the read+execute text, shared with this process.\n"
          "Between its execve calls the program runs untraced: it may trace, be traced, stop\n"
          "and continue as without exec.  Privileged (setuid/setgid/capability) programs run\n"
          "on the kernel's vDSO with their privileges, and so does all they start.\n"
          "Exit status: the program's (128+N if killed by signal N), 127 if it was not found,\n"
          "126 if it could not be executed, 2 for bad arguments, a refused program or image\n"
          "(32-bit/x32; privileged with --refuse-privileged) and supervisor errors.\n");
      // Everything after the first positional (or after --) is the program's.
      sub.prefix_command();
      // No positional: prefix_command() hands the first word that is not an
      // option, and everything after it, untouched and in order to remaining().
      sub.add_option("--image", options->image_path,
                     std::string("vDSO image (default: ") + kDefaultImageHelp + ")");
      sub.add_option("--data-layout", options->data_layout,
                     "DATA_AREA_SIZE:RNG_DATA_OFFSET for an image without the vdsoforge layout "
                     "note (default: derived from its code, as `dump` reports it)");
      sub.add_option("--chacha", options->chacha,
                     "ChaCha20 routine to patch into the image: auto (default: $VDSOFORGE_CHACHA "
                     "if set, else the best this CPU runs), sse2, avx2 or avx512")
          ->check(CLI::IsMember({"auto", "sse2", "avx2", "avx512"}));
      sub.add_flag("--allow-damaged", options->allow_damaged,
                   "map an image that breaks the parser's rules (bounds are still checked), to "
                   "see how programs react to a damaged vDSO; the broken rules go to stderr");
      sub.add_flag("--not-ready", options->not_ready,
                   "publish is_ready = 0: every getrandom must fall back to the system call");
      sub.add_option("--reseed-every", options->reseed_every,
                     "bump the generation every DURATION (500us, 1ms, 2s, ...) instead of "
                     "following the kernel's");
      sub.add_option("--clock-offset", options->clock_offset,
                     "shift CLOCK_REALTIME, its coarse twin, CLOCK_TAI, gettimeofday and time as "
                     "the image serves them by a signed DURATION (+1h, -90s, 1500ms, 2d)");
      sub.add_option("--control", options->control_socket,
                     "serve `vdsoforge ctl SOCKET reseed | ready 0|1 | wipe | snapshot [--to FILE] "
                     "| restore [--from FILE] | status` on this Unix socket");
      sub.add_flag("--count-syscalls", options->count_syscalls,
                   "count getrandom(2) and the time system calls the vDSO stands in for "
                   "(clock_gettime, gettimeofday, time, clock_getres, getcpu; a seccomp user "
                   "notification on those calls only)");
      sub.add_option("--report", options->report_path, "write a JSON report to FILE");
      sub.add_option("--scenario", options->scenario_path,
                     "inject the faults FILE scripts (generation storms, is_ready flapping, "
                     "dropped state pages, parameter-query answers; docs/exec.md); implies "
                     "--count-syscalls");
      sub.add_flag("--hide-kernel-vdso", options->hide_kernel_vdso,
                   "unmap the kernel's [vdso] and [vvar*] pages in the program");
      sub.add_flag("--kernel-data", options->kernel_data,
                   "let the image read the program's own kernel data pages ([vvar] and "
                   "[vvar_vclock] moved below it, the kernel's [vdso] unmapped) instead of the "
                   "emulated copy: every clock, coarse ones included, is the kernel's, and "
                   "getrandom reads the kernel's generation.  The image's data layout must be the "
                   "running kernel's; refused with --scenario, --deterministic, --clock-offset, "
                   "--reseed-every, --not-ready and --hide-kernel-vdso");
      sub.add_flag("--refuse-privileged", options->refuse_privileged,
                   "refuse setuid/setgid/file-capability programs (exit 2, the whole tree ends) "
                   "instead of running them untraced on the kernel's vDSO");
      sub.add_option("--exec-gate", options->exec_gate,
                     "how exec hears the tree's execve calls: fanotify (permission events on the "
                     "mounts of a mount namespace of the tree's own; no cost per system call; "
                     "needs CAP_SYS_ADMIN), seccomp (a filter in every process: ~12 ns more per "
                     "system call, needs no privilege, sees every exec) or auto (default: "
                     "fanotify where allowed and nothing needs the filter, else seccomp)")
          ->check(CLI::IsMember({"auto", "fanotify", "seccomp"}));
      sub.add_option("--deterministic", options->deterministic_seed,
                     "answer every getrandom(2) system call (the image's key fetches included) "
                     "and every program's AT_RANDOM from ChaCha20 keyed by SEED (a 64-bit "
                     "number), and keep the generation still: a single-threaded program draws the "
                     "same bytes in every run (implies --count-syscalls)")
          ->type_name("SEED");
      sub.add_option("--deterministic-bump-every", options->bump_every,
                     "with --deterministic: bump the generation after every N-th getrandom "
                     "system call that drew bytes (default 0: never)")
          ->type_name("N");
      sub.add_flag("-q,--quiet", options->quiet, "no summary line on stderr");
      sub.add_flag("--demo", options->demo,
                   std::string("run the demo consumer instead of a PROGRAM: getrandom-probe (") +
                       kDemoProgramHelp +
                       ") finds __vdso_getrandom in its vDSO and makes 1000 calls through it");
      return [options, &sub] {
        // Words CLI11 did not take (an unknown option: refused in run()),
        // then the program's command line as main() split it off.
        options->argv = sub.remaining();
        for (const std::string& word : program_command_line()) options->argv.push_back(word);
        return run(*options);
      };
    },
    "exec", "run a program with a forged vDSO image as its vDSO (AT_SYSINFO_EHDR)"}};

}  // namespace
}  // namespace vdsoforge::tools
