// Prepares the fuzz corpus: creates CORPUS_DIR, copies the given seed files
// into it and adds a copy of the running kernel's vDSO, so the fuzzer starts
// from the real thing as well as from the built image, plus near misses made
// from the first seed that reach rarely taken refusals (a LOCAL symbol after
// the globals).  No kernel vDSO is not
// an error (the other seeds still go in); an unwritable corpus is.  The
// corpus keeps what earlier runs found, but is started afresh once it holds
// more than kMaxCorpusFiles, so loading it never eats the run's time budget.
#include <elf.h>

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "vdsoforge/elf_image.h"
#include "vdsoforge/kernel_vdso.h"

namespace {
constexpr size_t kMaxCorpusFiles = 2000;

bool write_bytes(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) std::fprintf(stderr, "cannot write %s\n", path.c_str());
  return static_cast<bool>(out);
}

// The seed image with its last .dynsym symbol rebound LOCAL: one byte away
// from valid, refused by the symbol-order rule.
bool write_local_after_global(const std::filesystem::path& seed,
                              const std::filesystem::path& corpus) {
  vdsoforge::ElfError err;
  const auto image = vdsoforge::ElfImage::parse_file(seed, vdsoforge::ParseMode::strict, err);
  const auto symtab = image ? image->dynamic_value(DT_SYMTAB) : std::nullopt;
  if (!symtab || image->symbols().size() < 2) {
    std::fprintf(stderr, "%s: no symbol table to derive seeds from: %s\n", seed.c_str(),
                 err.message.c_str());
    return false;
  }
  std::vector<uint8_t> bytes(image->bytes().begin(), image->bytes().end());
  const uint64_t info =
      *symtab + (image->symbols().size() - 1) * sizeof(Elf64_Sym) + offsetof(Elf64_Sym, st_info);
  bytes.at(info) = ELF64_ST_INFO(STB_LOCAL, ELF64_ST_TYPE(bytes.at(info)));
  if (!write_bytes(corpus / "local-after-global.so", bytes)) return false;
  std::printf("seeded local-after-global.so\n");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [SEED_FILE]...\n", argv[0]);
    return 2;
  }
  namespace fs = std::filesystem;
  const fs::path corpus = argv[1];
  std::error_code ec;
  if (fs::is_directory(corpus, ec)) {
    const auto files = static_cast<size_t>(
        std::distance(fs::directory_iterator(corpus, ec), fs::directory_iterator()));
    if (files > kMaxCorpusFiles) {
      std::printf("corpus holds %zu files, starting afresh\n", files);
      fs::remove_all(corpus, ec);
    }
  }
  fs::create_directories(corpus, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", corpus.c_str(), ec.message().c_str());
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    const fs::path seed = argv[i];
    fs::copy_file(seed, corpus / seed.filename(), fs::copy_options::overwrite_existing, ec);
    if (ec) {
      std::fprintf(stderr, "cannot copy %s: %s\n", seed.c_str(), ec.message().c_str());
      return 1;
    }
    std::printf("seeded %s\n", seed.filename().c_str());
  }
  if (argc > 2 && !write_local_after_global(argv[2], corpus)) return 1;
  vdsoforge::Error err;
  const auto bytes = vdsoforge::kernel_vdso_bytes(err);
  if (bytes.empty()) {
    std::printf("no kernel vDSO to seed with: %s\n", err.message.c_str());
    return 0;
  }
  if (!write_bytes(corpus / "kernel-vdso.so", bytes)) return 1;
  std::printf("seeded kernel-vdso.so (%zu bytes)\n", bytes.size());
  return 0;
}
