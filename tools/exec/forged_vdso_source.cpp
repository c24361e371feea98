#include "forged_vdso_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace vdsoforge::exec {

namespace {

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

Error memfd_error(const char* what) {
  return {LoaderErrc::map_failed, std::string(what) + ": " + std::strerror(errno)};
}

// A memfd holding `bytes`, sealed so that neither this process nor a traced
// program can change what every later exec maps.
int sealed_text_memfd(const uint8_t* bytes, size_t size, Error& err) {
  // MFD_EXEC asks for an executable memfd where vm.memfd_noexec would
  // otherwise forbid it; kernels before 6.3 do not know the flag.
  int fd = memfd_create("vdsoforge-image", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create("vdsoforge-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    err = memfd_error("memfd_create for the image text");
    return -1;
  }
  size_t done = 0;
  while (done < size) {
    const ssize_t n = write(fd, bytes + done, size - done);
    if (n <= 0) {
      err = memfd_error("writing the image text memfd");
      close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    err = memfd_error("sealing the image text memfd");
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

ForgedVdsoSource::ForgedVdsoSource(std::unique_ptr<LoadedImage> image, int text_fd,
                                   size_t text_size, bool hide_kernel_vdso)
    : image_(std::move(image)) {
  vdso_.owner = getpid();
  vdso_.data_fd = image_->data_fd();
  vdso_.data_size = image_->data_area_size();
  vdso_.text_fd = text_fd;
  vdso_.text_size = text_size;
  vdso_.hide_kernel_vdso = hide_kernel_vdso;
  rng_data_offset_ =
      reinterpret_cast<uintptr_t>(image_->data_page()->image_view()) - image_->data_area_base();
}

ForgedVdsoSource::~ForgedVdsoSource() {
  if (vdso_.text_fd >= 0) close(vdso_.text_fd);
}

std::unique_ptr<ForgedVdsoSource> ForgedVdsoSource::open(const std::string& path,
                                                         const OpenOptions& options, Error& err,
                                                         bool hide_kernel_vdso,
                                                         const TextPatch& patch) {
  auto image = LoadedImage::open_file(path, err, options);
  if (!image) return nullptr;
  if (image->data_fd() < 0 || image->data_page() == nullptr) {
    err = {LoaderErrc::invalid_argument, path + ": the loader gave no shareable data area"};
    return nullptr;
  }
  // The mapped text is exactly what the loader would run: copy it from there.
  const auto* bytes = reinterpret_cast<const uint8_t*>(image->base());
  std::vector<uint8_t> text(bytes, bytes + image->image_size());
  if (patch) {
    std::string error;
    if (!patch(text, image->elf(), error)) {
      err = {LoaderErrc::invalid_argument, path + ": " + error};
      return nullptr;
    }
  }
  const int text_fd = sealed_text_memfd(text.data(), text.size(), err);
  if (text_fd < 0) return nullptr;
  return std::unique_ptr<ForgedVdsoSource>(
      new ForgedVdsoSource(std::move(image), text_fd, text.size(), hide_kernel_vdso));
}

}  // namespace vdsoforge::exec
