#include "fault_scenario.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "data_page_driver.h"

namespace vdsoforge::exec {

namespace {

// A positive whole number, no sign, no trailing text.
bool parse_count(const std::string& word, uint64_t& out) {
  if (word.empty() || word.find_first_not_of("0123456789") != std::string::npos || word.size() > 18)
    return false;
  out = std::stoull(word);
  return out > 0;
}

std::vector<std::string> words_of(const std::string& line) {
  std::istringstream in(line.substr(0, line.find('#')));
  return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

// Larger answers than a page make a consumer disable itself; far larger ones
// only test integer overflow in its allocator, which is not this fault.
constexpr uint32_t kMaxStateSize = 1u << 20;

}  // namespace

const char* fault_action_name(FaultAction action) {
  switch (action) {
    case FaultAction::bump:
      return "bump";
    case FaultAction::ready_off:
      return "ready 0";
    case FaultAction::ready_on:
      return "ready 1";
    case FaultAction::ready_toggle:
      return "ready toggle";
    case FaultAction::wipe:
      return "wipe";
    case FaultAction::snapshot:
      return "snapshot";
    case FaultAction::restore:
      return "restore";
  }
  return "?";
}

std::optional<FaultAction> parse_fault_action(const std::vector<std::string>& words) {
  if (words.size() == 1 && words[0] == "bump") return FaultAction::bump;
  if (words.size() == 1 && words[0] == "wipe") return FaultAction::wipe;
  if (words.size() == 1 && words[0] == "snapshot") return FaultAction::snapshot;
  if (words.size() == 1 && words[0] == "restore") return FaultAction::restore;
  if (words.size() == 2 && words[0] == "ready") {
    if (words[1] == "0") return FaultAction::ready_off;
    if (words[1] == "1") return FaultAction::ready_on;
    if (words[1] == "toggle") return FaultAction::ready_toggle;
  }
  return std::nullopt;
}

std::optional<FaultScenario> parse_fault_scenario(const std::string& text, const std::string& name,
                                                  std::string& error) {
  FaultScenario scenario;
  std::istringstream lines(text);
  std::string line;
  unsigned number = 0;
  bool params_given = false;
  const auto fail = [&](const std::string& why) {
    error = name + ":" + std::to_string(number) + ": " + why;
    return std::nullopt;
  };
  while (std::getline(lines, line)) {
    ++number;
    const std::vector<std::string> words = words_of(line);
    if (words.empty()) continue;

    if (words[0] == "params") {
      if (params_given) return fail("a second params line (the image answers one way)");
      params_given = true;
      if (words.size() == 2 && words[1] == "decline") {
        scenario.params = ParamsFault::decline;
        continue;
      }
      uint64_t size = 0;
      if (words.size() == 3 && words[1] == "state-size" && parse_count(words[2], size) &&
          size <= kMaxStateSize) {
        scenario.params = ParamsFault::state_size;
        scenario.params_state_size = static_cast<uint32_t>(size);
        continue;
      }
      return fail("params takes 'decline' or 'state-size BYTES' (1.." +
                  std::to_string(kMaxStateSize) + ")");
    }

    FaultRule rule;
    rule.line = number;
    size_t next = 2;
    if (words.size() < 3 || (words[0] != "at" && words[0] != "every" && words[0] != "after"))
      return fail(
          "expected 'at TIME ACTION', 'every TIME ACTION', 'every N syscalls ACTION', "
          "'after N syscalls ACTION' or 'params ...'");
    if (words[1].find_first_not_of("0123456789") == std::string::npos) {
      // A count of getrandom system calls.
      if (words[0] == "at" || words.size() < 4 || words[2] != "syscalls")
        return fail("a count of calls is written 'every N syscalls' or 'after N syscalls'");
      if (!parse_count(words[1], rule.count)) return fail("'" + words[1] + "' is not a count > 0");
      rule.trigger =
          words[0] == "every" ? FaultTrigger::every_syscalls : FaultTrigger::after_syscalls;
      next = 3;
    } else {
      if (words[0] == "after") return fail("'after' counts system calls: 'after N syscalls'");
      if (!parse_duration(words[1], rule.time))
        return fail("'" + words[1] + "' is not a duration such as 500us, 20ms, 2s or 1m");
      rule.trigger = words[0] == "every" ? FaultTrigger::every_time : FaultTrigger::at_time;
    }
    std::vector<std::string> action(words.begin() + static_cast<long>(next), words.end());
    if (action.size() >= 2 && action[action.size() - 2] == "times") {
      if (rule.trigger != FaultTrigger::every_time && rule.trigger != FaultTrigger::every_syscalls)
        return fail("'times N' limits 'every' rules only");
      if (!parse_count(action.back(), rule.times))
        return fail("'" + action.back() + "' is not a count > 0");
      action.resize(action.size() - 2);
    }
    // `snapshot to FILE` / `restore from FILE`: a clone's two halves.
    if (action.size() == 3 && ((action[0] == "snapshot" && action[1] == "to") ||
                               (action[0] == "restore" && action[1] == "from"))) {
      std::error_code failed;
      rule.file = std::filesystem::absolute(action[2], failed).lexically_normal().string();
      if (failed) return fail("cannot resolve '" + action[2] + "': " + failed.message());
      action.resize(1);
    }
    const auto parsed = parse_fault_action(action);
    if (!parsed)
      return fail(
          "unknown action (bump | ready 0 | ready 1 | ready toggle | wipe | snapshot [to FILE] | "
          "restore [from FILE])");
    rule.action = *parsed;
    const size_t comment = line.find('#');
    rule.text = line.substr(0, comment);
    while (!rule.text.empty() && std::isspace(static_cast<unsigned char>(rule.text.back())))
      rule.text.pop_back();
    rule.text.erase(0, rule.text.find_first_not_of(" \t"));
    scenario.rules.push_back(rule);
  }
  return scenario;
}

std::optional<FaultScenario> load_fault_scenario(const std::string& path, std::string& error) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    error = "cannot read the scenario " + path + ": it is a directory";
    return std::nullopt;
  }
  std::ifstream in(path);
  if (!in) {
    error = "cannot read the scenario " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_fault_scenario(text, path, error);
}

}  // namespace vdsoforge::exec
