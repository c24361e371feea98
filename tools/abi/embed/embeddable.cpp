#include "embed/embeddable.h"

namespace vdsoforge::tools {

bool check_embeddable(const ElfImage& elf, std::string_view why_one_blob,
                      std::optional<Chacha20Routines>& routines, std::string& error) {
  const Segment& load = elf.load_segment();
  if (load.offset != 0 || load.vaddr != 0 || load.filesz != load.memsz) {
    error = why_one_blob;
    return false;
  }
  ElfError note_error;
  routines = read_chacha20_routines(elf, note_error);
  if (note_error) {
    error = note_error.message;
    return false;
  }
  return true;
}

}  // namespace vdsoforge::tools
