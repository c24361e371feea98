// What moves the shared data page while the program runs, besides the
// loader's own generation mode: a periodic reseed (--reseed-every), forced
// reseeds and readiness changes from the control channel.  Counts the
// reseeds it forces, for the report.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "vdsoforge/loader.h"

namespace vdsoforge::exec {

class DataPageDriver {
 public:
  explicit DataPageDriver(DataPage& page) : page_(page) {}
  ~DataPageDriver();
  DataPageDriver(const DataPageDriver&) = delete;
  DataPageDriver& operator=(const DataPageDriver&) = delete;

  // Bumps the generation every `period` from a background thread.
  void reseed_every(std::chrono::microseconds period);
  uint64_t reseed();  // returns the new generation
  void set_ready(bool ready) { page_.set_ready(ready); }
  DataPage& page() { return page_; }

  uint64_t reseeds_forced() const { return reseeds_.load(); }
  // "generation=G ready=R reseeds=N mode=M"
  std::string status() const;

 private:
  DataPage& page_;
  std::atomic<uint64_t> reseeds_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

// "250us", "10ms", "2s", "1m"; false if it is not a positive duration.
bool parse_duration(const std::string& text, std::chrono::microseconds& out);

}  // namespace vdsoforge::exec
