// The man page covers the CLI as the CLI itself reports it: the commands
// `vdsoforge --help` lists and, for each, the options and arguments
// `vdsoforge <command> --help` lists.  Both lists are parsed from the help
// text, not from the generator's walk, so a command or option the generator
// missed (or one added some other way) fails here.
#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <sstream>

#include "tool_runner.h"

using test_support::run_program;
using test_support::run_tool;
using test_support::ToolResult;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The first word of each indented line of a help section ("Options:",
// "Positionals:", "Subcommands:"), up to the next blank line.
std::vector<std::string> section_words(const std::string& help, const std::string& heading) {
  std::vector<std::string> words;
  const size_t at = help.find("\n" + heading + "\n");
  if (at == std::string::npos) return words;
  std::istringstream lines(help.substr(at + heading.size() + 2));
  std::string line;
  while (std::getline(lines, line) && !line.empty()) {
    if (line.size() < 3 || line[0] != ' ' || line[2] == ' ') continue;  // a wrapped description
    std::istringstream fields(line);
    std::string word;
    fields >> word;
    words.push_back(word);
  }
  return words;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

// How the generator writes text in roff: '-' as "\-".
std::string in_roff(const std::string& text) {
  std::string out;
  for (const char c : text) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> listed_commands() {
  const ToolResult help = run_tool({"--help"});
  REQUIRE(help.exit_code == 0);
  const auto commands = section_words(help.out, "Subcommands:");
  REQUIRE(commands.size() >= 5);
  return commands;
}

}  // namespace

TEST_CASE("the built man page is what the tool generates now") {
  const ToolResult generated = run_tool({"--generate-man-page"});
  REQUIRE(generated.exit_code == 0);
  CHECK(read_text(VDSOFORGE_MAN_PAGE) == generated.out);
}

TEST_CASE("every command the tool lists has a section with its synopsis") {
  const std::string page = read_text(VDSOFORGE_MAN_PAGE);
  for (const std::string& command : listed_commands()) {
    INFO(command);
    CHECK(page.find("\n.SS " + in_roff(command) + "\n") != std::string::npos);
    CHECK(page.find("\\fBvdsoforge " + in_roff(command) + "\\fR") != std::string::npos);
  }
}

TEST_CASE("every option and argument each command accepts is in its section") {
  const std::string page = read_text(VDSOFORGE_MAN_PAGE);
  size_t checked = 0;
  for (const std::string& command : listed_commands()) {
    const ToolResult help = run_tool({command, "--help"});
    REQUIRE(help.exit_code == 0);
    const size_t begin = page.find("\n.SS " + in_roff(command) + "\n");
    REQUIRE(begin != std::string::npos);
    const size_t end = std::min(page.find("\n.SS ", begin + 1), page.find("\n.SH ", begin + 1));
    const std::string section = page.substr(begin, end - begin);
    for (const std::string& names : section_words(help.out, "Options:")) {
      for (const std::string& name : split(names, ',')) {
        if (name == "-h" || name == "--help") continue;  // documented once, under OPTIONS
        INFO(command << " " << name);
        CHECK(section.find("\\fB" + in_roff(name) + "\\fR") != std::string::npos);
        ++checked;
      }
    }
    for (const std::string& positional : section_words(help.out, "Positionals:")) {
      INFO(command << " " << positional);
      CHECK(section.find("\\fI" + in_roff(upper(positional)) + "\\fR") != std::string::npos);
      ++checked;
    }
  }
  CHECK(checked >= 15);
  CHECK(page.find("\\fB\\-\\-help\\fR") != std::string::npos);
  CHECK(page.find("\\fB\\-\\-version\\fR") != std::string::npos);
}

TEST_CASE("the man page has exit status and files sections and renders without warnings") {
  const std::string page = read_text(VDSOFORGE_MAN_PAGE);
  for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH COMMANDS",
                              ".SH EXIT STATUS", ".SH FILES", ".SH SEE ALSO"}) {
    INFO(section);
    CHECK(page.find(std::string("\n") + section + "\n") != std::string::npos);
  }
  const ToolResult render =
      run_program({VDSOFORGE_GROFF, "-man", "-ww", "-z", "-Tutf8", VDSOFORGE_MAN_PAGE});
  INFO(render.err);
  CHECK(render.exit_code == 0);
  CHECK(render.err.empty());
}
