// Statistics for reports, comparisons and analyses: intervals for scores, pass@k, paired
// tests between two runs on the same items, latency percentiles, and whether two tiers can
// be told apart.
//
// Promises:
//  - every function checks its input and returns an error Status (never a NaN, never a
//    crash) for what it cannot answer: no observations, a score outside [0, 1], mismatched
//    lengths, k > n for pass@k, a confidence outside (0, 1);
//  - intervals are two-sided at the requested confidence (95% by default) and lie inside the
//    range the quantity can take ([0, 1] for a score, [-1, 1] for a difference of scores);
//  - each result says which method produced it, so a report can print it.
//
// Methods (and why):
//  - pass/fail proportions: the Wilson score interval (Wilson 1927), which keeps its coverage
//    near 0 and 1 where the textbook Wald interval collapses (Newcombe 1998, Stat Med
//    17:857-872, compares seven methods).
//  - mean of scores with partial credit: the Student t interval on the item scores; when
//    every score is 0 or 1 it is a proportion and the Wilson interval is used instead.
//  - items that share a source (the repeats of one sample): the cluster-robust (CR1)
//    standard error of the mean with a t distribution on G - 1 degrees of freedom (G
//    clusters), the small-sample choice of Cameron & Miller (2015, J Human Resources
//    50:317-372). It is never reported narrower than the interval that treats items as
//    independent: clustering corrects for correlated items, and must not turn "every item the
//    same" into certainty.
//  - a suite, tag or tier mixing tasks: stratified by task (Cochran 1977, "Sampling
//    Techniques", ch. 5). A suite's tasks are fixed by its author — the score is defined over
//    those tasks, not over tasks like them — and each task's items are random draws from its
//    generator, so the uncertainty is that of the item draws within each task: the variance
//    of the mean is sum_h w_h^2 v_h with w_h = n_h / N and v_h the variance of task h's
//    mean (clustered by sample within the task when samples repeat). A task whose items all
//    pass or all fail keeps the Agresti-Coull variance p~(1 - p~) / (n + z^2) rather than
//    0, for the same reason as above. Clustering by task instead would answer another
//    question (how a tier would do on other, unseen tasks) with G - 1 degrees of freedom,
//    an interval of +-0.15 on an 18-task suite however many items it runs; it stays
//    available as clustered_mean_score() for that question.
//  - pass@k: the unbiased estimator of Chen et al. (2021, "Evaluating Large Language Models
//    Trained on Code"), 1 - C(n-c, k) / C(n, k), computed as a product of ratios in log space.
//  - paired pass/fail: the exact McNemar test (a two-sided binomial test with p = 1/2 on the
//    discordant items) and Newcombe's interval for the difference of paired proportions
//    (method 10 of Newcombe 1998, Stat Med 17:2635-2650, with its corrected phi).
//  - paired scores: the paired t test and interval. Assumption: the mean of the per-item
//    differences is approximately normal — true by the central limit theorem for a few dozen
//    items, since differences of scores are bounded in [-1, 1]; with clusters, the CR1
//    clustered version on the differences. When every difference is the same (t undefined),
//    the p-value is the exact sign test's, 2 * (1/2)^units.
//  - percentiles: linear interpolation between order statistics, Hyndman & Fan (1996) type 7
//    (the default of R's quantile() and NumPy's percentile()).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/status.h"

namespace pareto::harness {

using inference::Result;
using inference::Status;

struct Interval {
  double lower = 0;
  double upper = 0;
};

// --- Distributions (exposed for reports and tests) ---------------------------------------

// Standard normal CDF and its inverse; the inverse needs 0 < p < 1 (returns NaN otherwise).
double normal_cdf(double x);
double normal_quantile(double p);
// Student t CDF and its inverse with `df` > 0 degrees of freedom (NaN for bad arguments).
double student_t_cdf(double t, double df);
double student_t_quantile(double p, double df);

// --- Scores ------------------------------------------------------------------------------

enum class IntervalMethod {
  kWilson,      // pass/fail proportion
  kStudentT,    // mean of partial-credit scores
  kClustered,   // mean with cluster-robust (CR1) standard error, t on G - 1 df
  kStratified,  // mean over fixed strata (tasks), variance summed over strata
};
std::string_view to_string(IntervalMethod method);

struct ScoreEstimate {
  double mean = 0;
  Interval ci;
  int64_t n = 0;         // items
  int64_t clusters = 0;  // distinct clusters or strata (1 when neither)
  double standard_error = 0;
  IntervalMethod method = IntervalMethod::kWilson;
};

// Wilson score interval for `successes` out of `n` trials.
Result<ScoreEstimate> wilson_interval(int64_t successes, int64_t n, double confidence = 0.95);

// Mean of scores in [0, 1] with its interval: Wilson when every score is 0 or 1, Student t
// otherwise.
Result<ScoreEstimate> mean_score(std::span<const double> scores, double confidence = 0.95);

// Mean of scores in [0, 1] when items come in clusters (clusters[i] names item i's task).
// With a single cluster this is mean_score(): the items of one task are the sample.
Result<ScoreEstimate> clustered_mean_score(std::span<const double> scores,
                                           std::span<const std::string> clusters,
                                           double confidence = 0.95);

// Mean of scores in [0, 1] over fixed strata (strata[i] names item i's task), each item
// weighing the same (so the mean is the plain mean of the items). `clusters`, when not
// empty, names the sample of each item: repeats of a sample are clustered within their
// stratum. With a single stratum this is mean_score() (or clustered_mean_score()).
Result<ScoreEstimate> stratified_mean_score(std::span<const double> scores,
                                            std::span<const std::string> strata,
                                            std::span<const std::string> clusters = {},
                                            double confidence = 0.95);

// --- pass@k ------------------------------------------------------------------------------

// Unbiased pass@k for one problem with n samples of which c are correct. Needs
// 0 <= c <= n and 1 <= k <= n (with k > n the estimator is undefined).
Result<double> pass_at_k(int64_t n, int64_t c, int64_t k);

struct SampleCounts {
  int64_t n = 0;        // samples drawn for the problem
  int64_t correct = 0;  // of which correct
};

// Mean pass@k over problems, with the interval of mean_score() over the per-problem values.
Result<ScoreEstimate> mean_pass_at_k(std::span<const SampleCounts> problems, int64_t k,
                                     double confidence = 0.95);

// --- Paired comparisons of two runs on the same items -------------------------------------

enum class PairedMethod {
  kMcNemarExact,  // pass/fail: exact binomial test on discordant pairs, Newcombe interval
  kPairedT,       // scores: paired t test and interval
  kClusteredT,    // scores in clusters: CR1 standard error of the mean difference, t on G - 1
  kStratifiedT,   // a group of fixed strata (tasks): variance summed over strata, t on N - H
};
std::string_view to_string(PairedMethod method);

// A paired 2x2 table: how many items passed in both runs, only in the base run, only in the
// new run, and in neither.
struct PairedCounts {
  int64_t both = 0;
  int64_t only_base = 0;
  int64_t only_new = 0;
  int64_t neither = 0;
};

struct PairedComparison {
  int64_t n = 0;
  int64_t clusters = 1;
  double base_mean = 0;
  double new_mean = 0;
  double difference = 0;  // new - base
  Interval ci;            // of the difference
  double p_value = 1;     // two-sided, for "no difference"
  PairedMethod method = PairedMethod::kMcNemarExact;
  // For pass/fail: the discordant items (McNemar's b and c); 0 for scores.
  int64_t only_base = 0;
  int64_t only_new = 0;
};

// Exact McNemar test and Newcombe interval on a paired 2x2 table.
Result<PairedComparison> compare_pass_fail(const PairedCounts& counts, double confidence = 0.95);

// Paired t on item scores (any finite values; base[i] and next[i] are the same item). With
// `clusters` (one name per item, at least two distinct), the clustered version.
Result<PairedComparison> compare_scores(std::span<const double> base, std::span<const double> next,
                                        std::span<const std::string> clusters = {},
                                        double confidence = 0.95);

// Picks the test: exact McNemar when every score of both runs is 0 or 1 and items are not
// clustered (or all in one cluster), compare_scores() otherwise.
Result<PairedComparison> compare_paired(std::span<const double> base, std::span<const double> next,
                                        std::span<const std::string> clusters = {},
                                        double confidence = 0.95);

// The paired comparison of a group mixing fixed strata (tasks): the mean difference weighs
// every item the same, its variance is summed over strata (clustered by sample within a
// stratum when `clusters` is given), t on N - H degrees of freedom. With one stratum it is
// compare_paired().
Result<PairedComparison> compare_paired_stratified(std::span<const double> base,
                                                   std::span<const double> next,
                                                   std::span<const std::string> strata,
                                                   std::span<const std::string> clusters = {},
                                                   double confidence = 0.95);

// --- Separating tiers ----------------------------------------------------------------------

struct Separation {
  bool separable = false;  // the paired test rejects "same score" at level alpha
  PairedComparison comparison;
};

// Whether two tiers' scores on the same items (a[i] and b[i] are one item) are statistically
// different at level `alpha`, by compare_paired(). The comparison's difference is b - a.
Result<Separation> tiers_separable(std::span<const double> a, std::span<const double> b,
                                   std::span<const std::string> clusters = {}, double alpha = 0.05);

// Holm's step-down adjustment of p-values for testing several tier pairs at once; adjusted
// values in the input's order. Each p must be in [0, 1].
Result<std::vector<double>> holm_adjust(std::span<const double> p_values);

// --- Percentiles ---------------------------------------------------------------------------

// The p-th percentile (0 <= p <= 100), Hyndman & Fan type 7. Values need not be sorted.
Result<double> percentile(std::span<const double> values, double p);

struct LatencySummary {
  int64_t n = 0;
  double min = 0;
  double p50 = 0;
  double p95 = 0;
  double max = 0;
  double mean = 0;
};

// Count, extremes, p50, p95 and mean of latencies (any unit; finite and >= 0).
Result<LatencySummary> summarize_latencies(std::span<const double> values);

}  // namespace pareto::harness
