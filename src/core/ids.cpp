#include "core/ids.hpp"

#include <random>

namespace tern {

std::string make_unique_id() {
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }()};
  std::string out;
  out.reserve(20);
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = engine();
    for (int i = 0; i < 10; ++i, bits >>= 5) out += alphabet[bits & 31];
  }
  return out;
}

}  // namespace tern
