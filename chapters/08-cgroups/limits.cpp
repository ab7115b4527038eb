#include "limits.hpp"

namespace dockling::ch08 {

std::uint64_t cpu_weight_from_shares(std::uint64_t shares) {
  if (shares == 0) return 0;
  return 1 + ((shares - 2) * 9999) / 262142;
}

std::uint64_t io_weight_from_blkio(std::uint64_t weight) {
  if (weight == 0) return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

}  // namespace dockling::ch08
