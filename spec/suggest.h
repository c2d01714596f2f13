// Did-you-mean hints: the closest known name to a misspelt one.
//
// Distance is the optimal string alignment distance (insertions, deletions, substitutions
// and swaps of adjacent characters each cost 1), compared case-insensitively. A candidate
// is only offered when it is close enough to be a plausible typo, so "promt" suggests
// "prompt" but "xyz" suggests nothing.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pareto::spec {

// The optimal string alignment distance between a and b, ignoring ASCII case.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name`, when its distance is at most max(1, len(name) / 3)
// (and less than the length of both, so short names do not match anything). Ties go to
// the earliest candidate. An exact match (ignoring case) is returned as is.
std::optional<std::string> nearest_name(std::string_view name,
                                        std::span<const std::string> candidates);
std::optional<std::string> nearest_name(std::string_view name,
                                        std::span<const std::string_view> candidates);

// "did you mean `prompt`?" (a diagnostic hint) for the closest candidate, or "" if none.
std::string did_you_mean(std::string_view name, std::span<const std::string> candidates);
std::string did_you_mean(std::string_view name, std::span<const std::string_view> candidates);

}  // namespace pareto::spec
