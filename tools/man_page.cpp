#include "man_page.h"

#include <cctype>
#include <sstream>

namespace vdsoforge::tools {

namespace {

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// A paragraph of free text: each input line its own output line, blank
// lines as paragraph breaks.
std::string paragraph(const std::string& text) {
  std::string out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    out += line.empty() ? ".PP\n" : roff_escaped(line) + "\n";
  }
  return out;
}

bool is_help(const CLI::Option* option) {
  for (const std::string& name : option->get_lnames())
    if (name == "help") return true;
  return false;
}

// "\fB\-r\fR, \fB\-\-reference\fR \fIFILE\fR" for an option, "\fIIMAGE\fR"
// for a positional argument.
std::string option_label(const CLI::Option* option) {
  if (!option->nonpositional())
    return "\\fI" + roff_escaped(upper(option->get_name(true))) + "\\fR";
  std::string label;
  for (const std::string& name : option->get_snames())
    label += (label.empty() ? "" : ", ") + std::string("\\fB\\-") + roff_escaped(name) + "\\fR";
  for (const std::string& name : option->get_lnames())
    label += (label.empty() ? "" : ", ") + std::string("\\fB\\-\\-") + roff_escaped(name) + "\\fR";
  std::string type = option->get_type_name();  // empty for a flag
  if (type.starts_with("TEXT:")) type.erase(0, 5);
  if (type == "TEXT") type = "VALUE";
  if (!type.empty()) label += " \\fI" + roff_escaped(type) + "\\fR";
  return label;
}

std::string synopsis(const CLI::App& command) {
  std::string line = "\\fBvdsoforge " + roff_escaped(command.get_name()) + "\\fR";
  bool has_options = false;
  std::string positionals;
  for (const CLI::Option* option : command.get_options()) {
    if (is_help(option)) continue;
    if (option->nonpositional()) {
      has_options = true;
    } else {
      const std::string name = "\\fI" + roff_escaped(upper(option->get_name(true))) + "\\fR";
      positionals += option->get_required() ? " " + name : " [" + name + "]";
    }
  }
  if (has_options) line += " [\\fIOPTIONS\\fR]";
  // A command that runs another program takes its command line last.
  if (command.get_prefix_command())
    positionals += " [\\fB--\\fR] \\fIPROGRAM\\fR [\\fIARGS\\fR...]";
  return line + positionals;
}

std::string command_section(const CLI::App& command) {
  std::string out = ".SS " + roff_escaped(command.get_name()) + "\n";
  out += synopsis(command) + "\n.PP\n";
  out += paragraph(command.get_description());
  for (const CLI::Option* option : command.get_options()) {
    if (is_help(option)) continue;
    out += ".TP\n" + option_label(option) + "\n" + paragraph(option->get_description());
  }
  const std::string footer = command.get_footer();
  if (!footer.empty()) out += ".PP\n" + paragraph(footer);
  return out;
}

constexpr const char* kDescription =
    R"(vdsoforge builds, inspects, verifies and runs freestanding x86-64 vDSO images that provide getrandom() (the vgetrandom of Linux 6.11 and later).
It maps an image in user space next to an emulated vdso_rng_data page, checks an image against the rules every vDSO follows, compares its ABI with the running kernel's vDSO (or a saved one), and turns it into a C header for kernels and sandboxes.

Every message on standard error starts with "vdsoforge COMMAND:", naming the command that wrote it.)";

constexpr const char* kExitStatus =
    R"(Each command's own statuses are listed with it above; in general:
.TP
.B 0
success: the image is compatible, follows every rule, or the command did what was asked.
.TP
.B 1
a verdict against the image: incompatible (abi), a rule broken (check), or the image could not be loaded or called (run).
.TP
.B 2
a usage error, an unknown command, or an input that cannot be read (a missing file, not an ELF file, not a vDSO, no kernel vDSO); the message says which.
.TP
.B 3
abi only: no check failed, but the data layout of one side (usually the reference kernel's) could not be determined, so the layout checks are undecided; name the kernel's layout with \-\-reference\-profile.
)";

constexpr const char* kFiles =
    R"(Paths are relative to the installation prefix (/usr for the Debian package).
.TP
.I lib/vdsoforge/images/vdsoforge\-getrandom.so
the image installed with the tool, which abi checks when no IMAGE is given; its unstripped copy ends in .so.dbg.
.TP
.I share/vdsoforge/cmake/
the CMake package: find_package(vdsoforge) provides vdsoforge_add_image() to build an image and the vdsoforge::loader library to map it.
.TP
.I share/doc/vdsoforge/
the documentation: architecture, ABI reference, loader, image check, conformance, integration (CI reports, embedding, building images).
)";

}  // namespace

std::string roff_escaped(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

std::string man_page(const CLI::App& app) {
  std::string out;
  out +=
      ".\\\" Generated by `vdsoforge --generate-man-page` from the tool's command definitions.\n";
  out += ".TH VDSOFORGE 1 \"\" \"vdsoforge " VDSOFORGE_VERSION_STRING "\" \"User Commands\"\n";
  out += ".SH NAME\nvdsoforge \\- build, inspect, verify and run x86\\-64 getrandom vDSO images\n";
  out += ".SH SYNOPSIS\n";
  for (const CLI::App* command : app.get_subcommands({})) out += synopsis(*command) + "\n.br\n";
  out += "\\fBvdsoforge\\fR \\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR\n";
  out += ".SH DESCRIPTION\n" + paragraph(kDescription);
  out +=
      ".SH OPTIONS\n.TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\n"
      "print help and exit; after a command, that command's help\n"
      ".TP\n\\fB\\-\\-version\\fR\nprint the version and exit\n";
  out += ".SH COMMANDS\n";
  for (const CLI::App* command : app.get_subcommands({})) out += command_section(*command);
  out += ".SH EXIT STATUS\n" + std::string(kExitStatus);
  out += ".SH FILES\n" + std::string(kFiles);
  out +=
      ".SH SEE ALSO\n\\fBabidiff\\fR(1), \\fBreadelf\\fR(1), \\fBgetrandom\\fR(2), "
      "\\fBvdso\\fR(7)\n";
  return out;
}

}  // namespace vdsoforge::tools
