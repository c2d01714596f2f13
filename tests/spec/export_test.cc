// The JSON export: schema details, canonical form, and a golden file for a suite that covers
// every part of the schema (tests/fixtures/spec/export/basic.{pareto,json}).
#include "spec/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "spec/checker.h"
#include "tests/spec/checker_test_util.h"
#include "tests/spec/test_files.h"

namespace pareto::spec {
namespace {

using testing::read_bytes;

const std::filesystem::path kDir = testing::kSourceDir / "tests/fixtures/spec/export";

CheckResult check_basic() {
  static const GeneratorRegistry registry = testing::test_generators();
  const std::vector<std::filesystem::path> roots = {kDir / "basic.pareto"};
  return check_files(roots, registry);
}

TEST(Export, MatchesTheGoldenFile) {
  auto r = check_basic();
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  ExportOptions options;
  options.base = kDir;
  const std::string text = export_text(r.project, options);
  // PARETO_UPDATE_GOLDEN=1 rewrites the golden file after a deliberate schema change.
  if (std::getenv("PARETO_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(kDir / "basic.json", std::ios::binary) << text;
  }
  EXPECT_EQ(text, read_bytes(kDir / "basic.json"));
}

TEST(Export, IsCanonicalJsonWithSortedKeysAndTheFormatVersion) {
  auto r = check_basic();
  ASSERT_TRUE(r.ok());
  const std::string text = export_text(r.project);
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["format"], "pareto.spec/1");
  EXPECT_EQ(j.dump(2) + "\n", text);        // re-serialising changes nothing: keys are sorted
  EXPECT_EQ(text, export_text(r.project));  // and the same project gives the same bytes
}

TEST(Export, WritesUnitsInBaseUnitsAndAbsentValuesAsNull) {
  auto r = check_basic();
  ASSERT_TRUE(r.ok());
  const auto j = export_json(r.project);
  const auto& add = j["suites"][0]["tasks"][0];
  EXPECT_EQ(add["id"], "add");
  EXPECT_EQ(add["budget"]["timeout_ns"], 250000000);
  EXPECT_DOUBLE_EQ(add["budget"]["max_energy_j"].get<double>(), 0.04);
  EXPECT_TRUE(add["budget"]["max_steps"].is_null());
  EXPECT_TRUE(add["language"].is_null());
  EXPECT_EQ(add["sandbox"]["memory_bytes"], 512u << 20);  // the default limit
  const auto& py = j["suites"][0]["tasks"][1];
  EXPECT_EQ(py["sandbox"]["memory_bytes"], 256u << 20);
  EXPECT_EQ(py["sandbox"]["cpu_ns"], 2000000000);
}

TEST(Export, OperandsAreFieldsOrValues) {
  auto r = check_basic();
  ASSERT_TRUE(r.ok());
  const auto j = export_json(r.project);
  const auto& graders = j["suites"][0]["tasks"][0]["graders"];
  EXPECT_EQ(graders[0]["expected"], nlohmann::json::parse(R"({"field": "answer"})"));
  EXPECT_EQ(graders[1]["text"], nlohmann::json::parse(R"({"value": "{{answer}}"})"));
}

TEST(Export, PathsAreRelativeToTheBaseWhenUnderIt) {
  auto r = check_basic();
  ASSERT_TRUE(r.ok());
  ExportOptions options;
  options.base = kDir;
  auto rel = export_json(r.project, options);
  EXPECT_EQ(rel["suites"][0]["file"], "basic.pareto");
  EXPECT_EQ(rel["suites"][0]["tasks"][0]["samples"]["source"]["path"], "data/questions.jsonl");
  options.base = "/somewhere/else";
  auto abs = export_json(r.project, options);
  EXPECT_EQ(abs["suites"][0]["file"], (kDir / "basic.pareto").generic_string());
}

TEST(Export, SamplesCanBeLeftOut) {
  auto r = check_basic();
  ASSERT_TRUE(r.ok());
  ExportOptions options;
  options.include_samples = false;
  const auto j = export_json(r.project, options);
  const auto& samples = j["suites"][0]["tasks"][0]["samples"];
  EXPECT_TRUE(samples["items"].is_null());
  EXPECT_EQ(samples["count"], 3);
  EXPECT_EQ(samples["fields"], nlohmann::json::parse(R"(["answer", "q"])"));
}

TEST(Export, GeneratedSamplesKeepTheirRecipe) {
  auto r = testing::check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "{{a}} only"
  samples = generate(pairs, count = 2, seed = 9)
  expect number(answer)
})x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  const auto j = export_json(r.project);
  const auto& source = j["suites"][0]["tasks"][0]["samples"]["source"];
  EXPECT_EQ(source, nlohmann::json::parse(R"({"kind": "generate", "generator": "pairs",
      "params": {"digits": 2, "fractional": false}, "seed": 9, "count": 2})"));
  EXPECT_EQ(j["suites"][0]["tasks"][0]["samples"]["items"][1]["fields"]["a"], 10);
}

}  // namespace
}  // namespace pareto::spec
