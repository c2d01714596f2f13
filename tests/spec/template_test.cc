#include "spec/template.h"

#include <gtest/gtest.h>

namespace pareto::spec {
namespace {

std::vector<std::string> field_names(std::string_view text) {
  std::vector<std::string> names;
  for (const auto& f : template_fields(text)) names.push_back(f.text);
  return names;
}

TEST(Template, FindsReferencesWithOffsets) {
  auto fields = template_fields("Compute {{a}} + {{ b }}.");
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].text, "a");
  EXPECT_EQ(fields[0].offset, 8u);
  EXPECT_EQ(fields[0].length, 5u);
  EXPECT_EQ(fields[1].text, "b");
  EXPECT_EQ(fields[1].offset, 16u);
  EXPECT_EQ(fields[1].length, 7u);
}

TEST(Template, LeavesCodeBracesAlone) {
  EXPECT_TRUE(field_names("int x[2][2] = {{1, 2}, {3, 4}}; auto y = {{}};").empty());
  EXPECT_TRUE(field_names("{{ a b }} {{1x}} {{a").empty());
}

TEST(Template, FindsReferenceAfterExtraBrace) {
  EXPECT_EQ(field_names("{{{x}}}"), std::vector<std::string>{"x"});
}

TEST(Template, EscapedBracesAreText) {
  EXPECT_TRUE(field_names("{{\"{{\"}}x}}").empty());
  EXPECT_EQ(render_template("{{\"{{\"}}x}} = {{x}}", {{"x", 1}}), "{{x}} = 1");
}

TEST(Template, RendersStringsRawAndOtherValuesAsJson) {
  nlohmann::json fields = {{"s", "two words"}, {"n", 42}, {"f", 2.5}, {"b", true}, {"l", {1, 2}}};
  EXPECT_EQ(render_template("{{s}}|{{n}}|{{f}}|{{b}}|{{l}}", fields),
            "two words|42|2.5|true|[1,2]");
}

TEST(Template, MissingFieldRendersEmpty) {
  EXPECT_EQ(render_template("[{{missing}}]", nlohmann::json::object()), "[]");
}

TEST(Template, PartsCoverTheWholeText) {
  const std::string text = "a {{x}} b {{\"{{\"}} c";
  std::size_t covered = 0;
  for (const auto& p : parse_template(text)) {
    EXPECT_EQ(p.offset, covered);
    covered += p.length;
  }
  EXPECT_EQ(covered, text.size());
}

}  // namespace
}  // namespace pareto::spec
