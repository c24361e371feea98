#include "consumers/consumer_model.h"

#include <algorithm>

#include "consumers/consumer_rules.h"
#include "vdsoforge/elf_names.h"

namespace vdsoforge::tools::consumers {

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::uses_vdso:
      return "uses_vdso";
    case Outcome::syscall_fallback:
      return "syscall_fallback";
    case Outcome::exits:
      return "exits";
    case Outcome::crashes:
      return "crashes";
    case Outcome::wrong_address:
      return "wrong_address";
    case Outcome::unpredictable:
      return "unpredictable";
  }
  return "unknown";
}

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::uses:
      return "uses";
    case Verdict::falls_back:
      return "falls_back";
    case Verdict::exits:
      return "exits";
    case Verdict::crashes:
      return "crashes";
    case Verdict::wrong_address:
      return "wrong_address";
    case Verdict::unpredictable:
      return "unpredictable";
    case Verdict::not_applicable:
      return "not_applicable";
  }
  return "unknown";
}

ConsumerModel::Resolution ConsumerModel::failed(Outcome outcome, std::string code,
                                                std::string reason) {
  return Resolution{.failure = outcome, .code = std::move(code), .reason = std::move(reason)};
}

ConsumerModel::Resolution ConsumerModel::missed(std::string code, std::string reason) {
  return Resolution{.code = std::move(code), .reason = std::move(reason)};
}

ConsumerModel::Resolution ConsumerModel::bound(const Symbol& symbol, uint64_t address) {
  return Resolution{.index = symbol.index, .address = address};
}

ConsumerModel::Resolution ConsumerModel::walk_result(const ElfImage& image, const HashProbe& probe,
                                                     std::string_view table, std::string_view name,
                                                     const std::optional<MissText>& last_refusal) {
  if (probe.index) {
    const Symbol& symbol = image.symbols()[*probe.index];
    return bound(symbol, static_cast<uint64_t>(true_load_bias(image)) + symbol.value);
  }
  if (last_refusal) return missed(last_refusal->code, last_refusal->reason);
  MissText miss = hash_walk_miss(probe, table, name);
  return missed(std::move(miss.code), std::move(miss.reason));
}

namespace {

SymbolVerdict judge(const ElfImage& image, const Lookup& lookup,
                    const std::optional<uint32_t>& index, uint64_t address,
                    const std::optional<Outcome>& failure, std::string code, std::string reason) {
  SymbolVerdict verdict{.name = lookup.name, .version = lookup.version};
  const Symbol* definition = definition_of(image, lookup.name);
  verdict.provided =
      std::any_of(image.symbols().begin(), image.symbols().end(),
                  [&](const Symbol& s) { return s.index != 0 && s.name == lookup.name; });
  if (failure) {
    verdict.outcome = *failure;
    verdict.reason_code = std::move(code);
    verdict.reason = std::move(reason);
    verdict.consequence = *failure == Outcome::crashes
                              ? "the program dies before it can use the image"
                              : "whatever the bytes outside the tables say; the file cannot tell";
    return verdict;
  }
  if (index) {
    verdict.index = index;
    verdict.address = address;
    const uint64_t intended =
        definition ? static_cast<uint64_t>(true_load_bias(image)) + definition->value : 0;
    if (definition && address == intended) {
      verdict.outcome = Outcome::uses_vdso;
      verdict.consequence = "calls the image's " + lookup.name;
      return verdict;
    }
    verdict.outcome = Outcome::wrong_address;
    verdict.reason_code = "wrong_address";
    verdict.reason = "binds " + symbol_label(image.symbols()[*index]) +
                     " and computes image offset " + hex(address) +
                     (definition ? ", but the image's " + lookup.name + " is at " + hex(intended)
                                 : ", but the image defines no " + lookup.name);
    verdict.consequence = "calls an address that is not the function";
    return verdict;
  }
  verdict.outcome = lookup.on_miss;
  verdict.consequence = lookup.on_miss_text;
  if (!verdict.provided) {
    verdict.reason_code = "not_provided";
    verdict.reason = "the image defines no " + lookup.name;
  } else {
    verdict.reason_code = std::move(code);
    verdict.reason = std::move(reason);
  }
  return verdict;
}

// One verdict from the symbols' outcomes, the worst first.
void conclude(ConsumerVerdict& consumer) {
  const auto any = [&](Outcome outcome) {
    return std::any_of(consumer.symbols.begin(), consumer.symbols.end(),
                       [&](const SymbolVerdict& s) { return s.outcome == outcome; });
  };
  std::vector<std::string> used, skipped;
  for (const SymbolVerdict& symbol : consumer.symbols) {
    if (!symbol.provided) continue;
    (symbol.outcome == Outcome::uses_vdso ? used : skipped).push_back(symbol.name);
  }
  const auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
  };
  if (any(Outcome::crashes)) {
    consumer.verdict = Verdict::crashes;
    consumer.summary = "crashes while reading the image";
  } else if (any(Outcome::unpredictable)) {
    consumer.verdict = Verdict::unpredictable;
    consumer.summary = "reads memory outside the image's tables";
  } else if (any(Outcome::wrong_address)) {
    consumer.verdict = Verdict::wrong_address;
    consumer.summary = "would call an address that is not the function";
  } else if (used.empty() && skipped.empty()) {
    consumer.verdict = Verdict::not_applicable;
    consumer.summary = "looks up none of the symbols the image defines";
  } else if (skipped.empty()) {
    consumer.verdict = Verdict::uses;
    consumer.summary = "uses the image for " + join(used);
  } else {
    const bool gives_up = std::any_of(
        consumer.symbols.begin(), consumer.symbols.end(),
        [](const SymbolVerdict& s) { return s.provided && s.outcome == Outcome::exits; });
    consumer.verdict = gives_up ? Verdict::exits : Verdict::falls_back;
    consumer.summary = std::string(gives_up ? "gives up" : "falls back to the system call") +
                       " for " + join(skipped) + " although the image defines it";
  }
}

}  // namespace

ConsumerVerdict ConsumerModel::evaluate(const ElfImage& image) const {
  ConsumerVerdict consumer{
      .id = std::string(id()), .name = std::string(name()), .source = std::string(source())};
  for (const Lookup& lookup : lookups()) {
    Resolution r = resolve(image, lookup);
    consumer.symbols.push_back(judge(image, lookup, r.index, r.address, r.failure,
                                     std::move(r.code), std::move(r.reason)));
  }
  conclude(consumer);
  return consumer;
}

const std::vector<std::unique_ptr<ConsumerModel>>& all_models() {
  static const std::vector<std::unique_ptr<ConsumerModel>> models = [] {
    std::vector<std::unique_ptr<ConsumerModel>> list;
    list.push_back(make_glibc_model());
    list.push_back(make_go_model());
    list.push_back(make_musl_model());
    list.push_back(make_parse_vdso_model());
    list.push_back(make_llvm_libc_model());
    return list;
  }();
  return models;
}

const ConsumerModel* find_model(std::string_view id) {
  for (const auto& model : all_models()) {
    if (model->id() == id) return model.get();
  }
  return nullptr;
}

std::vector<ConsumerVerdict> evaluate_all(const ElfImage& image) {
  std::vector<ConsumerVerdict> verdicts;
  for (const auto& model : all_models()) verdicts.push_back(model->evaluate(image));
  return verdicts;
}

}  // namespace vdsoforge::tools::consumers
