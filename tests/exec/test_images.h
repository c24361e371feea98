// The images every consumer test runs against: the project's images the CPU
// can run, and the running kernel's own vDSO saved by `vdsoforge dump` (it
// validates the harness: with it the consumers must behave as on the live
// kernel).  Plus the control image, which exports no getrandom.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "files.h"
#include "tool_runner.h"

namespace exec_test {

struct TestImage {
  std::string name;
  std::string path;
  std::vector<std::string> exec_options;  // e.g. --data-layout for the kernel's
};

// Files are created in `dir`.
std::vector<TestImage> consumer_images(const test_support::TempDir& dir);

// A well-formed image exporting no getrandom (control_image.cpp): a consumer
// finds no vDSO getrandom in it, so every call must be a system call.
TestImage control_image_without_getrandom();

}  // namespace exec_test
