#include "spec/suggest.h"

#include <algorithm>
#include <vector>

namespace pareto::spec {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

template <typename S>
std::optional<std::string> closest(std::string_view name, std::span<const S> candidates) {
  // Up to a third of the name may be wrong: "promt" (5) allows 1, "max_tokns" (9) allows 3.
  const std::size_t limit = std::max<std::size_t>(1, name.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    const std::string_view c(candidate);
    const std::size_t d = edit_distance(name, c);
    if (d == 0) return std::string(c);
    // A distance as large as a whole word would "correct" `a` to `b`: no hint is better.
    if (d >= c.size() || d >= name.size()) continue;
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

template <typename S>
std::string hint(std::string_view name, std::span<const S> candidates) {
  auto best = closest(name, candidates);
  return best ? "did you mean `" + *best + "`?" : std::string();
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows: the swap of adjacent characters looks two rows back.
  const std::size_t n = b.size();
  std::vector<std::size_t> two_back(n + 1), prev(n + 1), cur(n + 1);
  for (std::size_t j = 0; j <= n; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= n; ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        cur[j] = std::min(cur[j], two_back[j - 2] + 1);
      }
    }
    std::swap(two_back, prev);
    std::swap(prev, cur);
  }
  return prev[n];
}

std::optional<std::string> nearest_name(std::string_view name,
                                        std::span<const std::string> candidates) {
  return closest(name, candidates);
}
std::optional<std::string> nearest_name(std::string_view name,
                                        std::span<const std::string_view> candidates) {
  return closest(name, candidates);
}
std::string did_you_mean(std::string_view name, std::span<const std::string> candidates) {
  return hint(name, candidates);
}
std::string did_you_mean(std::string_view name, std::span<const std::string_view> candidates) {
  return hint(name, candidates);
}

}  // namespace pareto::spec
