#include "consumers/consumer_report.h"

#include <algorithm>

#include "vdsoforge/elf_names.h"

namespace vdsoforge::tools::consumers {

std::string render_text(const std::vector<ConsumerVerdict>& verdicts) {
  std::string out = "\nConsumers (what each would do with the image; models in docs/abi.md)\n";
  for (const ConsumerVerdict& consumer : verdicts) {
    out += "  " + consumer.name + ": " + std::string(verdict_name(consumer.verdict)) + " - " +
           consumer.summary + "\n";
    for (const SymbolVerdict& symbol : consumer.symbols) {
      out += "    " + symbol.name + "@" + symbol.version + ": " +
             std::string(outcome_name(symbol.outcome));
      if (symbol.outcome == Outcome::uses_vdso) {
        out += " (image offset " + hex(symbol.address) + ")\n";
        continue;
      }
      out += " [" + symbol.reason_code + "] " + symbol.reason + "; " + symbol.consequence + "\n";
    }
  }
  return out;
}

nlohmann::json to_json(const std::vector<ConsumerVerdict>& verdicts) {
  nlohmann::json list = nlohmann::json::array();
  for (const ConsumerVerdict& consumer : verdicts) {
    nlohmann::json symbols = nlohmann::json::array();
    for (const SymbolVerdict& symbol : consumer.symbols) {
      nlohmann::json entry = {{"name", symbol.name},
                              {"version", symbol.version},
                              {"provided", symbol.provided},
                              {"outcome", outcome_name(symbol.outcome)},
                              {"reason_code", symbol.reason_code},
                              {"reason", symbol.reason},
                              {"consequence", symbol.consequence},
                              {"dynsym_index", nullptr},
                              {"address", nullptr}};
      if (symbol.index) {
        entry["dynsym_index"] = *symbol.index;
        entry["address"] = hex(symbol.address);
      }
      symbols.push_back(std::move(entry));
    }
    list.push_back({{"id", consumer.id},
                    {"name", consumer.name},
                    {"source", consumer.source},
                    {"verdict", verdict_name(consumer.verdict)},
                    {"uses_image", consumer.uses_image()},
                    {"summary", consumer.summary},
                    {"symbols", symbols}});
  }
  return list;
}

void append_checks(const std::vector<ConsumerVerdict>& verdicts, report::CheckRun& run) {
  for (const ConsumerVerdict& consumer : verdicts) {
    for (const SymbolVerdict& symbol : consumer.symbols) {
      const bool astray = symbol.outcome == Outcome::crashes ||
                          symbol.outcome == Outcome::unpredictable ||
                          symbol.outcome == Outcome::wrong_address;
      if (!symbol.provided && !astray) continue;
      const bool used = symbol.outcome == Outcome::uses_vdso;
      std::string actual(outcome_name(symbol.outcome));
      if (!used) actual += " (" + symbol.reason_code + ")";
      run.checks.push_back({.id = "consumers." + consumer.id + "." + symbol.name,
                            .group = "consumers",
                            .title = consumer.name + " uses the image's " + symbol.name,
                            .pass = used,
                            .expected = "uses_vdso",
                            .actual = actual,
                            .detail = used ? "" : symbol.reason + "; " + symbol.consequence});
    }
  }
}

std::vector<std::string> unmet_requirements(const std::vector<ConsumerVerdict>& verdicts,
                                            const std::vector<std::string>& required) {
  std::vector<std::string> unmet;
  for (const std::string& id : required) {
    const auto it = std::find_if(verdicts.begin(), verdicts.end(),
                                 [&](const ConsumerVerdict& v) { return v.id == id; });
    if (it == verdicts.end() || !it->uses_image()) unmet.push_back(id);
  }
  return unmet;
}

}  // namespace vdsoforge::tools::consumers
