#include "time_base_shift.h"

namespace vdsoforge::detail {

void shift_base(abi::VdsoTimestamp& base, std::chrono::nanoseconds offset, uint32_t shift) {
  const int64_t total = offset.count();
  int64_t seconds = total / int64_t(abi::kNsecPerSec);
  int64_t fraction = total % int64_t(abi::kNsecPerSec);
  if (fraction < 0) {
    fraction += int64_t(abi::kNsecPerSec);
    seconds -= 1;
  }
  const unsigned __int128 one_second = static_cast<unsigned __int128>(abi::kNsecPerSec) << shift;
  unsigned __int128 nsec =
      base.nsec + (static_cast<unsigned __int128>(static_cast<uint64_t>(fraction)) << shift);
  while (nsec >= one_second) {
    nsec -= one_second;
    ++seconds;
  }
  base.nsec = static_cast<uint64_t>(nsec);
  base.sec += static_cast<uint64_t>(seconds);
}

}  // namespace vdsoforge::detail
