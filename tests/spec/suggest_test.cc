#include "spec/suggest.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pareto::spec {
namespace {

const std::vector<std::string> kFields = {"kind",    "prompt",  "system", "tags",
                                          "samples", "extract", "budget", "sandbox"};

TEST(EditDistance, CountsInsertDeleteSubstituteAndSwap) {
  EXPECT_EQ(edit_distance("prompt", "prompt"), 0u);
  EXPECT_EQ(edit_distance("promt", "prompt"), 1u);    // deletion
  EXPECT_EQ(edit_distance("prompts", "prompt"), 1u);  // insertion
  EXPECT_EQ(edit_distance("prumpt", "prompt"), 1u);   // substitution
  EXPECT_EQ(edit_distance("pormpt", "prompt"), 1u);   // adjacent swap
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
}

TEST(EditDistance, IgnoresCase) { EXPECT_EQ(edit_distance("PROMPT", "prompt"), 0u); }

TEST(NearestName, SuggestsPlausibleTypo) {
  EXPECT_EQ(nearest_name("promt", kFields), "prompt");
  EXPECT_EQ(nearest_name("sandbx", kFields), "sandbox");
  EXPECT_EQ(nearest_name("tgas", kFields), "tags");
}

TEST(NearestName, OffersNothingForUnrelatedNames) {
  EXPECT_EQ(nearest_name("xyz", kFields), std::nullopt);
  EXPECT_EQ(nearest_name("temperature", kFields), std::nullopt);
}

TEST(NearestName, DoesNotTurnOneLetterIntoAnother) {
  const std::vector<std::string> names = {"a", "b"};
  EXPECT_EQ(nearest_name("c", names), std::nullopt);
}

TEST(NearestName, TiesGoToTheEarliestCandidate) {
  const std::vector<std::string> names = {"cat", "car"};
  EXPECT_EQ(nearest_name("cax", names), "cat");
}

TEST(DidYouMean, FormatsTheHint) {
  EXPECT_EQ(did_you_mean("promt", kFields), "did you mean `prompt`?");
  EXPECT_EQ(did_you_mean("zzzzzz", kFields), "");
}

}  // namespace
}  // namespace pareto::spec
