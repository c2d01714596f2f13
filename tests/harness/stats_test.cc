// Statistics checked against values computed independently: published tables and worked
// examples (each cited where it is used), exact rational arithmetic done in Python with
// fractions.Fraction and math.comb, Python's statistics.NormalDist, closed forms, and
// algebraic identities the methods must satisfy.
#include "harness/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

namespace pareto::harness {
namespace {

// --- Distributions -------------------------------------------------------------------------

TEST(NormalQuantile, MatchesPythonNormalDist) {
  // Python 3 statistics.NormalDist().inv_cdf (Wichura's AS241), printed with repr().
  EXPECT_NEAR(normal_quantile(0.975), 1.9599639845400536, 1e-14);
  EXPECT_NEAR(normal_quantile(0.995), 2.5758293035489, 1e-14);
  EXPECT_NEAR(normal_quantile(0.95), 1.6448536269514715, 1e-14);
  EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-12);
  EXPECT_EQ(normal_quantile(0.5), 0.0);
}

TEST(NormalQuantile, InvertsTheCdfDeepInTheTails) {
  for (double p : {1e-300, 1e-100, 1e-20, 1e-5, 0.01, 0.3, 0.7, 0.99}) {
    const double x = normal_quantile(p);
    const double back = normal_cdf(x);
    EXPECT_NEAR(back / p, 1.0, 1e-11) << "p = " << p;
  }
}

TEST(NormalQuantile, RejectsProbabilitiesOutsideTheOpenUnitInterval) {
  EXPECT_TRUE(std::isnan(normal_quantile(0)));
  EXPECT_TRUE(std::isnan(normal_quantile(1)));
  EXPECT_TRUE(std::isnan(normal_quantile(-0.1)));
  EXPECT_TRUE(std::isnan(normal_quantile(std::nan(""))));
}

TEST(StudentT, QuantilesMatchThePrintedTable) {
  // Two-sided 95% and 99% critical values, as printed in every t table (e.g. NIST/SEMATECH
  // e-Handbook of Statistical Methods, section 1.3.6.7.2), to their 3 decimals.
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.706, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 4), 2.776, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 9), 2.262, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 29), 2.045, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 100), 1.984, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 4), 4.604, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 10), 3.169, 5e-4);
}

TEST(StudentT, MatchesClosedFormsForOneAndTwoDegreesOfFreedom) {
  // df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/pi, Q(p) = tan(pi (p - 1/2)).
  // df = 2: Q(p) = (2p - 1) / sqrt(2 p (1 - p)).
  for (double p : {0.001, 0.025, 0.2, 0.6, 0.9, 0.975, 0.9995}) {
    EXPECT_NEAR(student_t_quantile(p, 1) / std::tan(std::numbers::pi * (p - 0.5)), 1.0, 1e-12) << p;
    EXPECT_NEAR(student_t_quantile(p, 2) / ((2 * p - 1) / std::sqrt(2 * p * (1 - p))), 1.0, 1e-12)
        << p;
  }
  for (double t : {-30.0, -2.0, -0.3, 0.0, 0.7, 5.0, 1e6}) {
    EXPECT_NEAR(student_t_cdf(t, 1), 0.5 + std::atan(t) / std::numbers::pi, 1e-14) << t;
  }
}

TEST(StudentT, ApproachesTheNormalForManyDegreesOfFreedom) {
  EXPECT_NEAR(student_t_quantile(0.975, 1e7), normal_quantile(0.975), 1e-6);
  EXPECT_NEAR(student_t_cdf(1.5, 1e7), normal_cdf(1.5), 1e-7);
}

TEST(StudentT, RejectsBadArguments) {
  EXPECT_TRUE(std::isnan(student_t_quantile(0.5, 0)));
  EXPECT_TRUE(std::isnan(student_t_quantile(1.0, 3)));
  EXPECT_TRUE(std::isnan(student_t_cdf(1.0, -1)));
}

// --- Wilson --------------------------------------------------------------------------------

TEST(Wilson, MatchesNewcombesPublishedIntervals) {
  // Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
  // seven methods", Stat Med 17:857-872, Table II, method 3 (score, no continuity
  // correction), to the 4 decimals printed there.
  struct Case {
    int64_t x, n;
    double lower, upper;
  };
  for (const Case& c : {Case{81, 263, 0.2553, 0.3662}, Case{15, 148, 0.0624, 0.1605},
                        Case{0, 20, 0.0, 0.1611}, Case{1, 29, 0.0061, 0.1718}}) {
    Result<ScoreEstimate> w = wilson_interval(c.x, c.n);
    ASSERT_TRUE(w.ok()) << w.message();
    EXPECT_NEAR(w->ci.lower, c.lower, 5e-5) << c.x << "/" << c.n;
    EXPECT_NEAR(w->ci.upper, c.upper, 5e-5) << c.x << "/" << c.n;
    EXPECT_DOUBLE_EQ(w->mean, static_cast<double>(c.x) / static_cast<double>(c.n));
    EXPECT_EQ(w->method, IntervalMethod::kWilson);
  }
}

TEST(Wilson, AllFailAndAllPassTouchTheEdgesExactly) {
  Result<ScoreEstimate> none = wilson_interval(0, 20);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->ci.lower, 0.0);
  Result<ScoreEstimate> all = wilson_interval(20, 20);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->ci.upper, 1.0);
  // By symmetry, x/n and (n-x)/n mirror each other around 1/2.
  EXPECT_NEAR(all->ci.lower, 1 - none->ci.upper, 1e-12);
}

TEST(Wilson, OtherConfidenceLevelsWidenOrNarrowTheInterval) {
  // 99%: the same formula with z = 2.5758293035489 (Python NormalDist), computed by hand for
  // 81/263: center (p + z^2/2n)/(1 + z^2/n), half-width z/(1 + z^2/n) sqrt(p(1-p)/n + z^2/4n^2).
  const double n = 263, p = 81 / n, z = 2.5758293035489;
  const double center = (p + z * z / (2 * n)) / (1 + z * z / n);
  const double half = z / (1 + z * z / n) * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
  Result<ScoreEstimate> w99 = wilson_interval(81, 263, 0.99);
  ASSERT_TRUE(w99.ok());
  EXPECT_NEAR(w99->ci.lower, center - half, 1e-12);
  EXPECT_NEAR(w99->ci.upper, center + half, 1e-12);
  Result<ScoreEstimate> w80 = wilson_interval(81, 263, 0.80);
  ASSERT_TRUE(w80.ok());
  EXPECT_GT(w80->ci.lower, 0.2553);
  EXPECT_LT(w80->ci.upper, 0.3662);
}

TEST(Wilson, RejectsImpossibleInput) {
  EXPECT_FALSE(wilson_interval(0, 0).ok());
  EXPECT_FALSE(wilson_interval(5, 4).ok());
  EXPECT_FALSE(wilson_interval(-1, 4).ok());
  EXPECT_FALSE(wilson_interval(1, 4, 1.0).ok());
  EXPECT_FALSE(wilson_interval(1, 4, 0.0).ok());
  EXPECT_NE(wilson_interval(0, 0).message().find("no items"), std::string::npos);
}

// --- Mean scores ---------------------------------------------------------------------------

TEST(MeanScore, PassFailScoresUseWilson) {
  std::vector<double> scores(263, 0.0);
  for (int i = 0; i < 81; ++i) scores[i] = 1.0;
  Result<ScoreEstimate> m = mean_score(scores);
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_EQ(m->method, IntervalMethod::kWilson);
  EXPECT_NEAR(m->ci.lower, 0.2553, 5e-5);
  EXPECT_NEAR(m->ci.upper, 0.3662, 5e-5);
}

TEST(MeanScore, PartialCreditUsesTheStudentTInterval) {
  // Mean 0.5, sample sd sqrt(sum (x - 0.5)^2 / 4) = sqrt(0.125 / 4), se = sd / sqrt(5);
  // t(0.975, 4) = 2.776 (t table).
  const std::vector<double> scores = {0.25, 0.5, 0.75, 0.5, 0.5};
  Result<ScoreEstimate> m = mean_score(scores);
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_EQ(m->method, IntervalMethod::kStudentT);
  EXPECT_DOUBLE_EQ(m->mean, 0.5);
  const double se = std::sqrt(0.125 / 4) / std::sqrt(5.0);
  EXPECT_NEAR(m->standard_error, se, 1e-15);
  EXPECT_NEAR(m->ci.lower, 0.5 - 2.776 * se, 1e-3 * se);
  EXPECT_NEAR(m->ci.upper, 0.5 + 2.776 * se, 1e-3 * se);
}

TEST(MeanScore, IntervalStaysInsideZeroToOne) {
  const std::vector<double> scores = {0.0, 0.0, 0.1, 0.0};
  Result<ScoreEstimate> m = mean_score(scores);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->ci.lower, 0.0);
  EXPECT_GT(m->ci.upper, m->mean);
}

TEST(MeanScore, RejectsEmptyOutOfRangeAndSinglePartialItems) {
  EXPECT_FALSE(mean_score(std::vector<double>{}).ok());
  EXPECT_FALSE(mean_score(std::vector<double>{0.5, 1.5}).ok());
  EXPECT_FALSE(mean_score(std::vector<double>{0.5, std::nan("")}).ok());
  EXPECT_FALSE(mean_score(std::vector<double>{0.5}).ok());
  // One pass/fail item is still a proportion.
  EXPECT_TRUE(mean_score(std::vector<double>{1.0}).ok());
}

// --- Clustered -----------------------------------------------------------------------------

TEST(ClusteredMean, OneItemPerClusterEqualsTheIndependentStandardError) {
  // CR1 with singleton clusters: G/(G-1) sum (y_i - mean)^2 / N^2 = s^2 / N.
  const std::vector<double> scores = {0.2, 0.9, 0.4, 0.6, 0.7, 0.1};
  const std::vector<std::string> clusters = {"a", "b", "c", "d", "e", "f"};
  Result<ScoreEstimate> clustered = clustered_mean_score(scores, clusters);
  Result<ScoreEstimate> plain = mean_score(scores);
  ASSERT_TRUE(clustered.ok()) << clustered.message();
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(clustered->method, IntervalMethod::kClustered);
  EXPECT_EQ(clustered->clusters, 6);
  EXPECT_NEAR(clustered->standard_error, plain->standard_error, 1e-15);
  EXPECT_NEAR(clustered->ci.lower, plain->ci.lower, 1e-12);
  EXPECT_NEAR(clustered->ci.upper, plain->ci.upper, 1e-12);
}

TEST(ClusteredMean, IdenticalItemsWithinClustersCountAsOneObservationEach) {
  // Three tasks of four items each, every item of a task scoring the same: the sample is
  // really the three task means 0.2, 0.5, 0.9 (mean 0.533..., sd 0.35119...), and CR1 gives
  // exactly their standard error s/sqrt(3) with t on 2 degrees of freedom.
  std::vector<double> scores;
  std::vector<std::string> clusters;
  for (auto [name, value] : {std::pair{"add", 0.2}, {"sub", 0.5}, {"mul", 0.9}}) {
    for (int i = 0; i < 4; ++i) {
      scores.push_back(value);
      clusters.push_back(name);
    }
  }
  const double mean = (0.2 + 0.5 + 0.9) / 3;
  const double sd =
      std::sqrt((std::pow(0.2 - mean, 2) + std::pow(0.5 - mean, 2) + std::pow(0.9 - mean, 2)) / 2);
  Result<ScoreEstimate> m = clustered_mean_score(scores, clusters);
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_NEAR(m->mean, mean, 1e-15);
  EXPECT_NEAR(m->standard_error, sd / std::sqrt(3.0), 1e-15);
  // t(0.975, 2) = 4.303 (t table); the interval reaches past both ends and is clipped.
  EXPECT_EQ(m->ci.lower, 0.0);
  EXPECT_NEAR(m->ci.upper, std::min(1.0, mean + 4.303 * sd / std::sqrt(3.0)), 1e-3);
  // Treating the 12 items as independent would claim far more certainty.
  Result<ScoreEstimate> naive = mean_score(scores);
  ASSERT_TRUE(naive.ok());
  EXPECT_LT(naive->standard_error, m->standard_error / 1.5);
}

TEST(ClusteredMean, NeverNarrowerThanTheIndependentInterval) {
  // Every item passes in both tasks: the clustered variance is 0, but the Wilson interval for
  // 10/10 still says the pass rate could be as low as 0.72.
  const std::vector<double> scores(10, 1.0);
  std::vector<std::string> clusters(5, "a");
  clusters.resize(10, "b");
  Result<ScoreEstimate> m = clustered_mean_score(scores, clusters);
  ASSERT_TRUE(m.ok()) << m.message();
  Result<ScoreEstimate> w = wilson_interval(10, 10);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(m->ci.upper, 1.0);
  EXPECT_DOUBLE_EQ(m->ci.lower, w->ci.lower);
}

TEST(ClusteredMean, OneClusterIsThePlainEstimate) {
  const std::vector<double> scores = {1, 0, 1, 1};
  const std::vector<std::string> clusters(4, "only");
  Result<ScoreEstimate> m = clustered_mean_score(scores, clusters);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->method, IntervalMethod::kWilson);
  EXPECT_EQ(m->clusters, 1);
}

TEST(ClusteredMean, RejectsMismatchedLengths) {
  const std::vector<double> scores = {1, 0};
  const std::vector<std::string> clusters = {"a"};
  EXPECT_FALSE(clustered_mean_score(scores, clusters).ok());
}

TEST(StratifiedMean, SumsTheVarianceOfEachStratumsMean) {
  // Two tasks of partial-credit scores: the variance of the mean is
  // sum_h (n_h / N)^2 s_h^2 / n_h, t on N - H = 5 degrees of freedom.
  const std::vector<double> scores = {0.2, 0.4, 0.3, 0.9, 0.7, 0.8, 1.0};
  const std::vector<std::string> strata = {"a", "a", "a", "b", "b", "b", "b"};
  Result<ScoreEstimate> m = stratified_mean_score(scores, strata);
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_EQ(m->method, IntervalMethod::kStratified);
  EXPECT_EQ(m->clusters, 2);
  EXPECT_EQ(m->n, 7);
  EXPECT_NEAR(m->mean, 4.3 / 7, 1e-15);
  // a: mean 0.3, s^2 = 0.01; b: mean 0.85, s^2 = 0.0166...
  const double va = 0.01 / 3, vb = (0.0025 + 0.0225 + 0.0025 + 0.0225) / 3 / 4;
  const double se = std::sqrt(9.0 / 49 * va + 16.0 / 49 * vb);
  EXPECT_NEAR(m->standard_error, se, 1e-15);
  const double t = student_t_quantile(0.975, 5);
  EXPECT_NEAR(m->ci.lower, 4.3 / 7 - t * se, 1e-12);
  EXPECT_NEAR(m->ci.upper, 4.3 / 7 + t * se, 1e-12);
}

TEST(StratifiedMean, DifferentTasksNarrowTheIntervalButAllPassNeverMeansCertain) {
  // One task all pass, one 2 of 20: pooled as independent items the spread between the tasks
  // counts as noise; stratified it does not. The all-pass task keeps the Agresti-Coull
  // variance, so the interval still has width.
  std::vector<double> scores(20, 1.0);
  std::vector<std::string> strata(20, "easy");
  for (int i = 0; i < 20; ++i) {
    scores.push_back(i < 2 ? 1.0 : 0.0);
    strata.push_back("hard");
  }
  Result<ScoreEstimate> m = stratified_mean_score(scores, strata);
  Result<ScoreEstimate> independent = wilson_interval(22, 40);
  ASSERT_TRUE(m.ok() && independent.ok());
  EXPECT_DOUBLE_EQ(m->mean, 22.0 / 40);
  const double z = normal_quantile(0.975), z2 = z * z;
  const double pe = (20 + z2 / 2) / (20 + z2), ph = (2 + z2 / 2) / (20 + z2);
  const double ve = pe * (1 - pe) / (20 + z2);
  const double vh = std::max(0.1 * 0.9 / 20, ph * (1 - ph) / (20 + z2));
  EXPECT_NEAR(m->standard_error, std::sqrt(0.25 * ve + 0.25 * vh), 1e-15);
  EXPECT_LT(m->ci.upper - m->ci.lower, independent->ci.upper - independent->ci.lower);

  const std::vector<double> all(40, 1.0);
  Result<ScoreEstimate> every = stratified_mean_score(all, strata);
  ASSERT_TRUE(every.ok());
  EXPECT_EQ(every->ci.upper, 1.0);
  EXPECT_LT(every->ci.lower, 0.96);
}

TEST(StratifiedMean, ClustersRepeatsWithinAStratumAndFallsBackForOne) {
  // Within a stratum, repeats of one sample are one observation: identical repeats must not
  // shrink the interval.
  std::vector<double> once = {1, 0, 1, 0, 1, 1, 0, 0};
  std::vector<std::string> strata = {"a", "a", "a", "a", "b", "b", "b", "b"};
  std::vector<double> twice;
  std::vector<std::string> strata2, samples;
  for (size_t i = 0; i < once.size(); ++i) {
    for (int k = 0; k < 2; ++k) {
      twice.push_back(once[i]);
      strata2.push_back(strata[i]);
      samples.push_back(strata[i] + std::to_string(i));
    }
  }
  Result<ScoreEstimate> a = stratified_mean_score(once, strata);
  Result<ScoreEstimate> b = stratified_mean_score(twice, strata2, samples);
  Result<ScoreEstimate> naive = stratified_mean_score(twice, strata2);
  ASSERT_TRUE(a.ok() && b.ok() && naive.ok());
  EXPECT_GT(b->standard_error, naive->standard_error * 1.2);
  EXPECT_NEAR(a->mean, b->mean, 1e-15);

  const std::vector<std::string> one(8, "a");
  Result<ScoreEstimate> single = stratified_mean_score(once, one);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->method, IntervalMethod::kWilson);
  EXPECT_FALSE(stratified_mean_score(once, std::vector<std::string>(3, "a")).ok());
}

// --- pass@k --------------------------------------------------------------------------------

TEST(PassAtK, MatchesExactRationalArithmetic) {
  // 1 - C(n-c, k)/C(n, k) with Python fractions.Fraction and math.comb, as float.
  EXPECT_NEAR(*pass_at_k(10, 3, 5), 0.9166666666666666, 1e-15);
  EXPECT_NEAR(*pass_at_k(200, 13, 10), 0.49755111473060615, 1e-14);
  EXPECT_NEAR(*pass_at_k(1000, 5, 100), 0.4101678183104101, 1e-14);
  // A tiny probability keeps its relative precision (no 1 - (1 - tiny) cancellation).
  EXPECT_NEAR(*pass_at_k(100000, 3, 7) / 0.00020998740008400504, 1.0, 1e-12);
}

TEST(PassAtK, EdgeCases) {
  EXPECT_EQ(*pass_at_k(5, 0, 3), 0.0);              // all fail
  EXPECT_EQ(*pass_at_k(5, 5, 3), 1.0);              // all pass
  EXPECT_EQ(*pass_at_k(5, 3, 3), 1.0);              // n - c < k: any 3 of 5 include a correct one
  EXPECT_NEAR(*pass_at_k(100, 1, 1), 0.01, 1e-15);  // pass@1 is c/n
  EXPECT_NEAR(*pass_at_k(7, 7, 7), 1.0, 0);
  Result<double> too_few = pass_at_k(3, 1, 5);  // k > n
  ASSERT_FALSE(too_few.ok());
  EXPECT_NE(too_few.message().find("pass@5"), std::string::npos);
  EXPECT_FALSE(pass_at_k(0, 0, 1).ok());
  EXPECT_FALSE(pass_at_k(5, 6, 1).ok());
  EXPECT_FALSE(pass_at_k(5, 2, 0).ok());
}

TEST(PassAtK, MeanOverProblemsWithInterval) {
  const std::vector<SampleCounts> problems = {{10, 3}, {10, 0}, {10, 10}, {10, 1}};
  Result<ScoreEstimate> m = mean_pass_at_k(problems, 5);
  ASSERT_TRUE(m.ok()) << m.message();
  // Per problem: 0.91666..., 0, 1, 1 - C(9,5)/C(10,5) = 0.5.
  EXPECT_NEAR(m->mean, (0.9166666666666666 + 0 + 1 + 0.5) / 4, 1e-15);
  EXPECT_EQ(m->method, IntervalMethod::kStudentT);
  EXPECT_LE(m->ci.lower, m->mean);
  EXPECT_GE(m->ci.upper, m->mean);
  const std::vector<SampleCounts> short_problem = {{10, 3}, {2, 1}};
  EXPECT_FALSE(mean_pass_at_k(short_problem, 5).ok());
}

// --- Paired comparisons --------------------------------------------------------------------

TEST(CompareScores, MatchesRsStudentSleepExample) {
  // R's datasets::sleep, t.test(extra[group == 1], extra[group == 2], paired = TRUE):
  // mean difference -1.58, t = -4.0621, df = 9, p-value = 0.002833,
  // 95 percent confidence interval -2.4598858 -0.7001142.
  const std::vector<double> group1 = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
  const std::vector<double> group2 = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};
  Result<PairedComparison> c = compare_scores(group2, group1);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->method, PairedMethod::kPairedT);
  EXPECT_NEAR(c->difference, -1.58, 1e-12);
  EXPECT_NEAR(c->p_value, 0.002833, 5e-7);
  EXPECT_NEAR(c->ci.lower, -2.4598858, 5e-8);
  EXPECT_NEAR(c->ci.upper, -0.7001142, 5e-8);
  EXPECT_NEAR(c->base_mean, 2.33, 1e-12);
  EXPECT_NEAR(c->new_mean, 0.75, 1e-12);
}

TEST(CompareScores, IdenticalRunsAreNotDifferent) {
  const std::vector<double> run = {0.5, 0.25, 1.0, 0.0};
  Result<PairedComparison> c = compare_scores(run, run);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->difference, 0.0);
  EXPECT_EQ(c->p_value, 1.0);
  EXPECT_EQ(c->ci.lower, 0.0);
  EXPECT_EQ(c->ci.upper, 0.0);
}

TEST(CompareScores, UniformShiftFallsBackToTheSignTest) {
  // Every item gained exactly 0.25: the t statistic is undefined (zero variance), and the
  // exact sign test decides: two items, p = 2 * (1/2)^2 = 0.5; ten items, 2 / 1024.
  Result<PairedComparison> two =
      compare_scores(std::vector<double>{0.25, 0.5}, std::vector<double>{0.5, 0.75});
  ASSERT_TRUE(two.ok());
  EXPECT_DOUBLE_EQ(two->difference, 0.25);
  EXPECT_DOUBLE_EQ(two->p_value, 0.5);
  std::vector<double> base(10, 0.25), next(10, 0.5);
  Result<PairedComparison> ten = compare_scores(base, next);
  ASSERT_TRUE(ten.ok());
  EXPECT_DOUBLE_EQ(ten->p_value, 2.0 / 1024);
  EXPECT_DOUBLE_EQ(ten->ci.lower, 0.25);
  EXPECT_DOUBLE_EQ(ten->ci.upper, 0.25);
}

TEST(CompareScores, ClusteredDifferencesUseTasksAsTheUnit) {
  // Two tasks, every item of a task moving by the same amount (+0.5 and +0.1): CR1 on the
  // differences equals the standard error of the two task means, |0.5 - 0.1| / 2.
  const std::vector<double> base = {0.2, 0.2, 0.2, 0.4, 0.4, 0.4};
  const std::vector<double> next = {0.7, 0.7, 0.7, 0.5, 0.5, 0.5};
  const std::vector<std::string> clusters = {"x", "x", "x", "y", "y", "y"};
  Result<PairedComparison> c = compare_scores(base, next, clusters);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->method, PairedMethod::kClusteredT);
  EXPECT_EQ(c->clusters, 2);
  EXPECT_NEAR(c->difference, 0.3, 1e-15);
  // t = 0.3 / 0.2 = 1.5 on 1 df: two-sided p = 1 - 2 atan(1.5)/pi (Cauchy).
  EXPECT_NEAR(c->p_value, 1 - 2 * std::atan(1.5) / std::numbers::pi, 1e-12);
  EXPECT_GT(c->p_value, 0.3);
  // Unclustered, six items that all improved would look significant.
  Result<PairedComparison> naive = compare_scores(base, next);
  ASSERT_TRUE(naive.ok());
  EXPECT_LT(naive->p_value, 0.05);
}

TEST(CompareScores, RejectsMismatchedAndTooShortRuns) {
  EXPECT_FALSE(compare_scores(std::vector<double>{1, 2}, std::vector<double>{1}).ok());
  EXPECT_FALSE(compare_scores(std::vector<double>{0.5}, std::vector<double>{0.7}).ok());
  EXPECT_FALSE(
      compare_scores(std::vector<double>{0.5, INFINITY}, std::vector<double>{0.7, 0.1}).ok());
}

TEST(ComparePassFail, MatchesFagerlandCavoExample) {
  // Complete response before and after consolidation therapy (Cavo et al. 2012), the paired
  // table [[59, 6], [16, 80]] of Fagerland, Lydersen & Laake, "Statistical Analysis of
  // Contingency Tables" (2017), ch. 8; their R package contingencytables' test-ch8.R checks
  // Newcombe_square_and_add_CI_paired_2x2: estimate -0.0621 (95% CI -0.1186 to -0.0046).
  // Here "new" is the first measurement: 59 both, 6 only new, 16 only base, 80 neither.
  PairedCounts counts{.both = 59, .only_base = 16, .only_new = 6, .neither = 80};
  Result<PairedComparison> c = compare_pass_fail(counts);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->method, PairedMethod::kMcNemarExact);
  EXPECT_NEAR(c->difference, -0.0621, 5e-5);
  EXPECT_NEAR(c->ci.lower, -0.1186, 5e-5);
  EXPECT_NEAR(c->ci.upper, -0.0046, 5e-5);
  // Exact McNemar: 2 * sum_{i<=6} C(22, i) / 2^22 = 0.052478790283203125 (exact fraction).
  EXPECT_NEAR(c->p_value, 0.052478790283203125, 1e-13);
  EXPECT_EQ(c->only_base, 16);
  EXPECT_EQ(c->only_new, 6);
}

TEST(ComparePassFail, ExactPValuesMatchRationalArithmetic) {
  struct Case {
    int64_t only_base, only_new;
    double p;
  };
  // min(1, 2 * sum_{i <= min(b, c)} C(b + c, i) / 2^(b + c)) with Python fractions.
  for (const Case& k : {Case{0, 5, 0.0625}, Case{3, 3, 1.0}, Case{1, 12, 0.00341796875},
                        Case{200, 260, 0.005883922473103979}}) {
    Result<PairedComparison> c = compare_pass_fail(
        {.both = 10, .only_base = k.only_base, .only_new = k.only_new, .neither = 4});
    ASSERT_TRUE(c.ok()) << c.message();
    EXPECT_NEAR(c->p_value / k.p, 1.0, 1e-11) << k.only_base << " vs " << k.only_new;
  }
}

TEST(ComparePassFail, NoDiscordantItemsMeansNoEvidence) {
  Result<PairedComparison> c = compare_pass_fail({.both = 30, .neither = 20});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->p_value, 1.0);
  EXPECT_EQ(c->difference, 0.0);
  EXPECT_LT(c->ci.lower, 0.0);  // the interval still admits a difference either way
  EXPECT_GT(c->ci.upper, 0.0);
}

TEST(ComparePassFail, AllPassAndAllFailRuns) {
  Result<PairedComparison> up = compare_pass_fail({.only_new = 25});
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->difference, 1.0);
  EXPECT_EQ(up->ci.upper, 1.0);
  EXPECT_NEAR(up->p_value, 2.0 / (1 << 25), 1e-20);
  Result<PairedComparison> none = compare_pass_fail({.neither = 25});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->difference, 0.0);
  EXPECT_FALSE(compare_pass_fail({}).ok());
  EXPECT_FALSE(compare_pass_fail({.both = -1}).ok());
}

TEST(ComparePaired, PicksMcNemarForPassFailAndTForPartialCredit) {
  const std::vector<double> base = {1, 1, 0, 0, 1, 0};
  const std::vector<double> next = {1, 0, 1, 1, 1, 1};
  Result<PairedComparison> binary = compare_paired(base, next);
  ASSERT_TRUE(binary.ok());
  EXPECT_EQ(binary->method, PairedMethod::kMcNemarExact);
  EXPECT_EQ(binary->only_base, 1);
  EXPECT_EQ(binary->only_new, 3);
  const std::vector<double> partial = {1, 0.5, 1, 1, 1, 1};
  Result<PairedComparison> scores = compare_paired(base, partial);
  ASSERT_TRUE(scores.ok());
  EXPECT_EQ(scores->method, PairedMethod::kPairedT);
  const std::vector<std::string> clusters = {"a", "a", "a", "b", "b", "b"};
  Result<PairedComparison> clustered = compare_paired(base, next, clusters);
  ASSERT_TRUE(clustered.ok());
  EXPECT_EQ(clustered->method, PairedMethod::kClusteredT);
}

// --- Separating tiers ----------------------------------------------------------------------

TEST(ComparePairedStratified, SumsTheVarianceOfEachStratumsMeanDifference) {
  // Differences a: {1, 0, 1} (mean 2/3, s^2 1/3), b: {0, 0, 1, 1} (mean 1/2, s^2 1/3).
  const std::vector<double> base = {0, 0, 0, 0, 1, 0, 0};
  const std::vector<double> next = {1, 0, 1, 0, 1, 1, 1};
  const std::vector<std::string> strata = {"a", "a", "a", "b", "b", "b", "b"};
  Result<PairedComparison> c = compare_paired_stratified(base, next, strata);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->method, PairedMethod::kStratifiedT);
  EXPECT_EQ(c->clusters, 2);
  EXPECT_NEAR(c->difference, 4.0 / 7, 1e-15);
  const double se = std::sqrt(9.0 / 49 * (1.0 / 3 / 3) + 16.0 / 49 * (1.0 / 3 / 4));
  const double t = student_t_quantile(0.975, 5);
  EXPECT_NEAR(c->ci.lower, 4.0 / 7 - t * se, 1e-12);
  EXPECT_NEAR(c->ci.upper, std::min(1.0, 4.0 / 7 + t * se), 1e-12);  // clipped to [-1, 1]
  EXPECT_NEAR(c->p_value, 2 * (1 - student_t_cdf(4.0 / 7 / se, 5)), 1e-12);
  // One stratum: the plain paired test.
  Result<PairedComparison> one =
      compare_paired_stratified(base, next, std::vector<std::string>(7, "a"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->method, PairedMethod::kMcNemarExact);
  EXPECT_FALSE(compare_paired_stratified(base, next, std::vector<std::string>(2, "a")).ok());
}

TEST(TiersSeparable, ClearGapIsSeparableAndNoGapIsNot) {
  std::vector<double> flash(60, 0.0), ultra(60, 0.0);
  for (int i = 0; i < 60; ++i) {
    flash[i] = i < 15 ? 1 : 0;  // 25%
    ultra[i] = i < 45 ? 1 : 0;  // 75%, solving everything flash solves
  }
  Result<Separation> apart = tiers_separable(flash, ultra);
  ASSERT_TRUE(apart.ok()) << apart.message();
  EXPECT_TRUE(apart->separable);
  EXPECT_NEAR(apart->comparison.difference, 0.5, 1e-15);
  // 30 discordant items all one way: p = 2 / 2^30.
  EXPECT_NEAR(apart->comparison.p_value, 2.0 / (1 << 30), 1e-20);

  Result<Separation> same = tiers_separable(flash, flash);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->separable);
}

TEST(TiersSeparable, SmallGapOnFewItemsIsNotSeparable) {
  const std::vector<double> a = {1, 0, 1, 0, 1, 1, 0, 1};
  const std::vector<double> b = {1, 1, 1, 0, 1, 1, 1, 1};  // two more passes
  Result<Separation> s = tiers_separable(a, b);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->separable);
  EXPECT_NEAR(s->comparison.p_value, 0.5, 1e-15);  // 2 * (1/4)
  EXPECT_FALSE(tiers_separable(a, b, {}, 1.5).ok());
}

TEST(HolmAdjust, MatchesRsPAdjust) {
  // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") gives 0.03 0.06 0.06 0.02.
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  Result<std::vector<double>> adjusted = holm_adjust(p);
  ASSERT_TRUE(adjusted.ok());
  const std::vector<double> expected = {0.03, 0.06, 0.06, 0.02};
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR((*adjusted)[i], expected[i], 1e-15);
  EXPECT_TRUE(holm_adjust(std::vector<double>{}).ok());
  EXPECT_FALSE(holm_adjust(std::vector<double>{0.5, 1.2}).ok());
}

// --- Percentiles ---------------------------------------------------------------------------

TEST(Percentile, MatchesTypeSevenReferenceValues) {
  // R: quantile(1:10, c(0.5, 0.95)) gives 5.5 and 9.55 (type 7, R's default).
  const std::vector<double> one_to_ten = {7, 2, 9, 1, 10, 4, 3, 8, 6, 5};  // unsorted on purpose
  EXPECT_DOUBLE_EQ(*percentile(one_to_ten, 50), 5.5);
  EXPECT_NEAR(*percentile(one_to_ten, 95), 9.55, 1e-12);
  // Wikipedia, "Percentile", the C = 1 variant (type 7): 40th percentile of
  // {15, 20, 35, 40, 50} is 29; 75th percentile of {1, 2, 3, 4} is 3.25.
  EXPECT_NEAR(*percentile(std::vector<double>{15, 20, 35, 40, 50}, 40), 29, 1e-12);
  EXPECT_NEAR(*percentile(std::vector<double>{1, 2, 3, 4}, 75), 3.25, 1e-12);
  EXPECT_EQ(*percentile(std::vector<double>{3, 1, 2}, 0), 1);
  EXPECT_EQ(*percentile(std::vector<double>{3, 1, 2}, 100), 3);
  EXPECT_EQ(*percentile(std::vector<double>{42}, 95), 42);
}

TEST(Percentile, RejectsEmptyAndOutOfRange) {
  EXPECT_FALSE(percentile(std::vector<double>{}, 50).ok());
  EXPECT_FALSE(percentile(std::vector<double>{1, 2}, 101).ok());
  EXPECT_FALSE(percentile(std::vector<double>{1, NAN}, 50).ok());
}

TEST(LatencySummary, SummarizesOneSort) {
  const std::vector<double> ms = {120, 80, 95, 400, 110, 100, 90, 105, 85, 115};
  Result<LatencySummary> s = summarize_latencies(ms);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->n, 10);
  EXPECT_EQ(s->min, 80);
  EXPECT_EQ(s->max, 400);
  // Sorted: 80 85 90 95 100 105 110 115 120 400; p50 = (100 + 105)/2, p95 at h = 8.55.
  EXPECT_DOUBLE_EQ(s->p50, 102.5);
  EXPECT_NEAR(s->p95, 120 + 0.55 * 280, 1e-12);
  EXPECT_DOUBLE_EQ(s->mean, 130);
  EXPECT_FALSE(summarize_latencies(std::vector<double>{1, -2}).ok());
  EXPECT_FALSE(summarize_latencies(std::vector<double>{}).ok());
}

}  // namespace
}  // namespace pareto::harness
