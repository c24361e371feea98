// Models of the programs that consume a vDSO: which symbols each looks up on
// x86-64, with which rules, and what it does when a look-up fails.
//
// Consumers disagree about damaged images (glibc never checks the version of
// a vDSO symbol but trusts the GNU bloom filter; Go's runtime ignores the
// bloom filter but insists on the version's hash), so one "compatible" verdict
// cannot say whether a given program would use an image.  Each model is one
// small class written from that consumer's own source (named in source());
// all of them read the image through ElfImage's tables and hash walks.
// docs/abi.md tabulates every rule on which they differ.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consumers/consumer_rules.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools::consumers {

// What a consumer ends up doing about one symbol it looks up.
enum class Outcome {
  uses_vdso,         // resolves it to the image's function and calls it
  syscall_fallback,  // resolves nothing and makes the system call instead
  exits,             // resolves nothing and the program gives up (non-zero exit)
  crashes,           // faults or fails an assertion while reading the image
  wrong_address,     // resolves it to an address that is not the image's function
  unpredictable,     // reads memory outside the image's tables: the file cannot tell
};
std::string_view outcome_name(Outcome outcome);

// One symbol a consumer looks up on x86-64, and what it does without it.
struct Lookup {
  std::string name, version;
  Outcome on_miss;
  std::string on_miss_text;  // the consumer's reaction, in words
};

struct SymbolVerdict {
  std::string name, version;
  bool provided = false;  // the image defines a symbol of that name
  Outcome outcome = Outcome::syscall_fallback;
  std::optional<uint32_t> index;  // .dynsym index the consumer binds
  uint64_t address = 0;           // image offset it would call, when bound
  std::string reason_code;        // stable id of why it is not uses_vdso; empty if it is
  std::string reason;             // the same, precisely, in words
  std::string consequence;        // what the consumer then does
};

// The consumer as a whole.
enum class Verdict {
  uses,            // every symbol it looks up that the image defines is used
  falls_back,      // it skips at least one symbol the image defines
  exits,           // a symbol the image defines is missed and the program gives up
  crashes,         // reading the image crashes it
  wrong_address,   // it would call an address that is not the function
  unpredictable,   // it reads outside the image's tables
  not_applicable,  // it looks up none of the symbols the image defines
};
std::string_view verdict_name(Verdict verdict);

struct ConsumerVerdict {
  std::string id, name, source;
  Verdict verdict = Verdict::not_applicable;
  std::string summary;
  std::vector<SymbolVerdict> symbols;
  bool uses_image() const { return verdict == Verdict::uses; }
};

class ConsumerModel {
 public:
  virtual ~ConsumerModel() = default;
  virtual std::string_view id() const = 0;      // short name for --require-consumer
  virtual std::string_view name() const = 0;    // consumer and version
  virtual std::string_view source() const = 0;  // the files the rules were read from
  virtual std::vector<Lookup> lookups() const = 0;

  ConsumerVerdict evaluate(const ElfImage& image) const;

 protected:
  // A consumer's look-up of one symbol, before it is judged.
  struct Resolution {
    std::optional<uint32_t> index;   // bound symbol
    uint64_t address = 0;            // image offset the consumer computes for it
    std::optional<Outcome> failure;  // crashes or unpredictable, whatever the symbol
    std::string code, reason;        // why nothing was bound (or the failure)
  };
  virtual Resolution resolve(const ElfImage& image, const Lookup& lookup) const = 0;

  static Resolution failed(Outcome outcome, std::string code, std::string reason);
  static Resolution missed(std::string code, std::string reason);
  static Resolution bound(const Symbol& symbol, uint64_t address);
  // The end of a hash walk for consumers that call a symbol at its value plus
  // the true load bias (Go, parse_vdso): the accepted symbol, else the last
  // refusal the walk's predicate recorded, else why the walk found no candidate.
  // `table` is "DT_GNU_HASH" or "DT_HASH".
  static Resolution walk_result(const ElfImage& image, const HashProbe& probe,
                                std::string_view table, std::string_view name,
                                const std::optional<MissText>& last_refusal);
};

// Every model, in report order: glibc, go, musl, parse_vdso, llvm_libc.
const std::vector<std::unique_ptr<ConsumerModel>>& all_models();
const ConsumerModel* find_model(std::string_view id);
std::vector<ConsumerVerdict> evaluate_all(const ElfImage& image);

std::unique_ptr<ConsumerModel> make_glibc_model();
std::unique_ptr<ConsumerModel> make_go_model();
std::unique_ptr<ConsumerModel> make_musl_model();
std::unique_ptr<ConsumerModel> make_parse_vdso_model();
std::unique_ptr<ConsumerModel> make_llvm_libc_model();

}  // namespace vdsoforge::tools::consumers
