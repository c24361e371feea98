#include "data_page_driver.h"

#include <cstdlib>

namespace vdsoforge::exec {

DataPageDriver::~DataPageDriver() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DataPageDriver::reseed_every(std::chrono::microseconds period) {
  thread_ = std::thread([this, period] {
    std::unique_lock lock(mutex_);
    auto next = std::chrono::steady_clock::now() + period;
    while (!wake_.wait_until(lock, next, [this] { return stop_; })) {
      reseed();
      next += period;
      // Behind by more than a period (the machine was busy): do not burst.
      const auto now = std::chrono::steady_clock::now();
      if (next < now) next = now + period;
    }
  });
}

uint64_t DataPageDriver::reseed() {
  reseeds_.fetch_add(1);
  return page_.bump_generation();
}

std::string DataPageDriver::status() const {
  return "generation=" + std::to_string(page_.generation()) +
         " ready=" + (page_.is_ready() ? "1" : "0") +
         " reseeds=" + std::to_string(reseeds_.load()) +
         " mode=" + std::string(generation_mode_name(page_.mode()));
}

bool parse_duration(const std::string& text, std::chrono::microseconds& out) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !(value > 0)) return false;
  const std::string unit(end);
  double micros = 0;
  if (unit == "us")
    micros = value;
  else if (unit == "ms")
    micros = value * 1e3;
  else if (unit == "s")
    micros = value * 1e6;
  else if (unit == "m")
    micros = value * 60e6;
  else
    return false;
  if (micros < 1 || micros > 1e13) return false;
  out = std::chrono::microseconds(static_cast<int64_t>(micros));
  return true;
}

}  // namespace vdsoforge::exec
