// The pseudo-random numbers behind the built-in generators, identical on every machine and
// compiler: splitmix64 derives seeds, xoshiro256** draws, and range reduction is our own
// (rejection sampling on unsigned 64-bit integers), never std::uniform_*_distribution, whose
// output the C++ standard leaves to each library. No floating point anywhere.
//
// Each sample gets its own stream, derived from (generator name, seed, index), so sample i
// never depends on how many samples were asked for, and two generators given the same seed
// do not draw the same numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace pareto::suites {

// One step of splitmix64: advances `state` and returns the next output.
std::uint64_t splitmix64(std::uint64_t& state);

// The stream seed of sample `index` of generator `name` under the user's `seed`.
std::uint64_t sample_seed(std::string_view name, std::uint64_t seed, std::uint64_t index);

class Rng {
 public:
  explicit Rng(std::uint64_t seed);  // the four state words come from splitmix64(seed)

  std::uint64_t next();  // xoshiro256**

  // Uniform in [0, n); n == 0 yields 0.
  std::uint64_t below(std::uint64_t n);
  // Uniform in [lo, hi] (inclusive); hi < lo yields lo.
  std::int64_t between(std::int64_t lo, std::int64_t hi);
  // True with probability num/den.
  bool chance(std::uint64_t num, std::uint64_t den) { return below(den) < num; }

  // A uniformly chosen element; `items` must not be empty.
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }
  // Fisher-Yates, drawing with below() so the order is the same everywhere.
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (std::size_t i = items.size(); i > 1; --i) {
      std::swap(items[i - 1], items[below(i)]);
    }
  }

 private:
  std::uint64_t s_[4];
};

}  // namespace pareto::suites
