#include "harness/stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <unordered_map>

namespace pareto::harness {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// lgamma_r, not lgamma: lgamma writes the global `signgam`, a data race when reports are
// computed on several threads.
double log_gamma(double x) {
  int sign = 0;
  return ::lgamma_r(x, &sign);
}

// Regularized incomplete beta I_x(a, b), with y = 1 - x passed in so a caller that knows it
// more precisely than 1 - x (t-distribution tails) keeps that precision. The continued
// fraction (DLMF 8.17.22) converges fast for x < (a + 1) / (a + b + 2); above that we use
// the symmetry I_x(a, b) = 1 - I_y(b, a). Evaluated with the modified Lentz method.
double incomplete_beta(double a, double b, double x, double y) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incomplete_beta(b, a, y, x);

  const double log_front =
      a * std::log(x) + b * std::log1p(-x) - (log_gamma(a) + log_gamma(b) - log_gamma(a + b));
  const double front = std::exp(log_front) / a;

  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-16;
  double f = 1, c = 1, d = 0;
  for (int j = 1; j <= 200000; ++j) {
    const int m = j / 2;
    double coef;
    if (j % 2 == 1) {
      coef = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
    } else {
      coef = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
    }
    d = 1 + coef * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + coef / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = c * d;
    f *= delta;
    if (std::fabs(delta - 1) < kEps) break;
  }
  return front / f;
}

// P(T > t) for t >= 0, precise in the far tail.
double student_t_upper_tail(double t, double df) {
  const double t2 = t * t;
  return 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
}

double student_t_pdf(double t, double df) {
  const double log_pdf = log_gamma((df + 1) / 2) - log_gamma(df / 2) -
                         0.5 * std::log(df * std::numbers::pi) -
                         (df + 1) / 2 * std::log1p(t * t / df);
  return std::exp(log_pdf);
}

// Two-sided p-value of a t statistic.
double student_t_two_sided_p(double t, double df) {
  return std::min(1.0, 2 * student_t_upper_tail(std::fabs(t), df));
}

// The t quantile for a two-sided interval at `confidence`.
double t_critical(double confidence, double df) {
  return -student_t_quantile((1 - confidence) / 2, df);
}

double z_critical(double confidence) { return -normal_quantile((1 - confidence) / 2); }

Status check_confidence(double confidence) {
  if (!(confidence > 0 && confidence < 1)) {
    return Status::Error(
        fmt::format("confidence must be between 0 and 1 (exclusive), got {}", confidence));
  }
  return Status::Ok();
}

Status check_scores(std::span<const double> scores) {
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i]) || scores[i] < 0 || scores[i] > 1) {
      return Status::Error(fmt::format("score {} of item {} is outside [0, 1]", scores[i], i));
    }
  }
  return Status::Ok();
}

Status check_finite(std::span<const double> values, std::string_view what) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return Status::Error(
          fmt::format("{} {} of item {} is not a finite number", what, values[i], i));
    }
  }
  return Status::Ok();
}

bool all_binary(std::span<const double> values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return v == 0.0 || v == 1.0; });
}

bool all_unit(std::span<const double> values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return v >= 0 && v <= 1; });
}

Interval clip(Interval ci, double lo, double hi) {
  return {std::clamp(ci.lower, lo, hi), std::clamp(ci.upper, lo, hi)};
}

// Cluster index of each item and the number of distinct clusters.
struct ClusterIndex {
  std::vector<size_t> of_item;
  size_t count = 0;
};

ClusterIndex index_clusters(std::span<const std::string> clusters) {
  ClusterIndex index;
  std::unordered_map<std::string_view, size_t> ids;
  index.of_item.reserve(clusters.size());
  for (const std::string& name : clusters) {
    auto [it, inserted] = ids.emplace(name, ids.size());
    index.of_item.push_back(it->second);
  }
  index.count = ids.size();
  return index;
}

// Mean of `values` and its CR1 cluster-robust standard error:
//   V = G / (G - 1) * sum_g (sum_{i in g} (y_i - mean))^2 / N^2.
struct ClusteredMoments {
  double mean = 0;
  double standard_error = 0;
};

ClusteredMoments clustered_moments(std::span<const double> values, const ClusterIndex& index) {
  const double n = static_cast<double>(values.size());
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  std::vector<double> residual_sums(index.count, 0.0);
  for (size_t i = 0; i < values.size(); ++i) residual_sums[index.of_item[i]] += values[i] - mean;
  double sum_squares = 0;
  for (double s : residual_sums) sum_squares += s * s;
  const double g = static_cast<double>(index.count);
  const double variance = g / (g - 1) * sum_squares / (n * n);
  return {mean, std::sqrt(variance)};
}

// Mean and the standard error of the mean, s / sqrt(n), for n >= 2.
ClusteredMoments plain_moments(std::span<const double> values) {
  const double n = static_cast<double>(values.size());
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  double sum_squares = 0;
  for (double v : values) sum_squares += (v - mean) * (v - mean);
  return {mean, std::sqrt(sum_squares / (n - 1) / n)};
}

// Items split by stratum: values[h] are stratum h's values (in input order), clusters[h] their
// cluster names (empty when none were given).
struct Strata {
  std::vector<std::vector<double>> values;
  std::vector<std::vector<std::string>> clusters;
};

Strata split_strata(std::span<const double> values, const ClusterIndex& index,
                    std::span<const std::string> clusters) {
  Strata out;
  out.values.resize(index.count);
  out.clusters.resize(index.count);
  for (size_t i = 0; i < values.size(); ++i) {
    out.values[index.of_item[i]].push_back(values[i]);
    if (!clusters.empty()) out.clusters[index.of_item[i]].push_back(clusters[i]);
  }
  return out;
}

// The stratified mean, sum_h w_h mean_h with w_h = n_h / N, and its standard error,
// sqrt(sum_h w_h^2 v_h), where v_h = variance_of_mean(values_h, clusters_h) is the variance
// of stratum h's mean.
template <class VarianceOfMean>
ClusteredMoments combine_strata(const Strata& split, VarianceOfMean variance_of_mean) {
  double total = 0;
  for (const std::vector<double>& v : split.values) total += static_cast<double>(v.size());
  double mean = 0, variance = 0;
  for (size_t h = 0; h < split.values.size(); ++h) {
    const std::vector<double>& v = split.values[h];
    const double w = static_cast<double>(v.size()) / total;
    mean += w * std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    variance += w * w * variance_of_mean(v, split.clusters[h]);
  }
  return {mean, std::sqrt(variance)};
}

// P(X <= k) for X ~ Binomial(m, 1/2), summing terms from the small end. log C(m, i) is built
// up term by term (no lgamma per term, no overflow for large m).
double binomial_half_lower_tail(int64_t k, int64_t m) {
  const double log_half_m = -static_cast<double>(m) * std::numbers::ln2;
  double log_choose = 0;
  double sum = 0;
  for (int64_t i = 0; i <= k; ++i) {
    if (i > 0) {
      log_choose += std::log(static_cast<double>(m - i + 1)) - std::log(static_cast<double>(i));
    }
    sum += std::exp(log_choose + log_half_m);
  }
  return std::min(1.0, sum);
}

// A t-based comparison from the mean difference and its standard error; `units` is the
// number of independent units (items, or clusters) behind it.
void fill_t_comparison(double mean_difference, double standard_error, double df, double units,
                       double confidence, PairedComparison& out) {
  out.difference = mean_difference;
  if (standard_error == 0) {
    // Every unit moved by the same amount, so t is undefined. The direction is then all the
    // evidence there is: the exact sign test, 2 * (1/2)^units (two items that both improved
    // prove little; thirty prove a lot).
    out.ci = {mean_difference, mean_difference};
    out.p_value = mean_difference == 0 ? 1.0 : std::min(1.0, 2 * std::pow(0.5, units));
    return;
  }
  const double tq = t_critical(confidence, df);
  out.ci = {mean_difference - tq * standard_error, mean_difference + tq * standard_error};
  out.p_value = student_t_two_sided_p(mean_difference / standard_error, df);
}

}  // namespace

// --- Distributions -------------------------------------------------------------------------

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

double normal_quantile(double p) {
  if (!(p > 0 && p < 1)) return kNaN;
  if (p == 0.5) return 0;
  // Work in the lower tail, where erfc keeps full relative precision.
  const double lower = std::min(p, 1 - p);
  // Starting point: Abramowitz & Stegun 26.2.23 (absolute error < 4.5e-4)...
  const double t = std::sqrt(-2 * std::log(lower));
  double x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
                       (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  // ...then Halley's method on Phi(x) - lower, which converges cubically.
  for (int i = 0; i < 4; ++i) {
    const double density = std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi);
    if (!(density > 0)) break;
    const double u = (normal_cdf(x) - lower) / density;
    x -= u / (1 + x * u / 2);
  }
  return p < 0.5 ? x : -x;
}

double student_t_cdf(double t, double df) {
  if (!(df > 0) || std::isnan(t)) return kNaN;
  const double upper = student_t_upper_tail(std::fabs(t), df);
  return t >= 0 ? 1 - upper : upper;
}

double student_t_quantile(double p, double df) {
  if (!(p > 0 && p < 1) || !(df > 0)) return kNaN;
  if (p == 0.5) return 0;
  // Solve P(T > t) = q for t > 0 in the upper tail, then mirror.
  const double q = p < 0.5 ? p : 1 - p;
  double lo = 0;
  double hi = std::max(1.0, 2 * -normal_quantile(q));
  while (student_t_upper_tail(hi, df) > q) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) break;
  }
  // Newton from the normal quantile, kept inside [lo, hi] by bisection.
  double t = std::clamp(-normal_quantile(q), lo, hi);
  for (int i = 0; i < 200; ++i) {
    const double excess = student_t_upper_tail(t, df) - q;  // > 0: t too small
    if (excess > 0) {
      lo = t;
    } else {
      hi = t;
    }
    double next = t + excess / student_t_pdf(t, df);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::fabs(next - t) <= 1e-15 * std::max(1.0, std::fabs(t))) {
      t = next;
      break;
    }
    t = next;
  }
  return p < 0.5 ? -t : t;
}

// --- Scores --------------------------------------------------------------------------------

std::string_view to_string(IntervalMethod method) {
  switch (method) {
    case IntervalMethod::kWilson:
      return "wilson";
    case IntervalMethod::kStudentT:
      return "t";
    case IntervalMethod::kClustered:
      return "clustered-t";
    case IntervalMethod::kStratified:
      return "stratified";
  }
  return "unknown";
}

Result<ScoreEstimate> wilson_interval(int64_t successes, int64_t n, double confidence) {
  if (Status s = check_confidence(confidence); !s.ok()) return s;
  if (n <= 0) return Status::Error("no items: a proportion needs at least one");
  if (successes < 0 || successes > n) {
    return Status::Error(fmt::format("{} successes out of {} items is impossible", successes, n));
  }
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(successes) / nn;
  const double z = z_critical(confidence);
  const double z2 = z * z;
  const double denominator = 1 + z2 / nn;
  const double center = (p + z2 / (2 * nn)) / denominator;
  const double half = z / denominator * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  ScoreEstimate out;
  out.mean = p;
  out.n = n;
  out.clusters = 1;
  out.method = IntervalMethod::kWilson;
  out.standard_error = std::sqrt(p * (1 - p) / nn);
  out.ci = clip({center - half, center + half}, 0, 1);
  // The formula gives exactly 0 and 1 at the edges; rounding should not say otherwise.
  if (successes == 0) out.ci.lower = 0;
  if (successes == n) out.ci.upper = 1;
  return out;
}

Result<ScoreEstimate> mean_score(std::span<const double> scores, double confidence) {
  if (Status s = check_confidence(confidence); !s.ok()) return s;
  if (scores.empty()) return Status::Error("no items: a mean score needs at least one");
  if (Status s = check_scores(scores); !s.ok()) return s;
  if (all_binary(scores)) {
    const auto passed = std::count(scores.begin(), scores.end(), 1.0);
    return wilson_interval(passed, static_cast<int64_t>(scores.size()), confidence);
  }
  if (scores.size() < 2) {
    return Status::Error("one item with partial credit: an interval needs at least two");
  }
  const ClusteredMoments m = plain_moments(scores);
  const double tq = t_critical(confidence, static_cast<double>(scores.size() - 1));
  ScoreEstimate out;
  out.mean = m.mean;
  out.n = static_cast<int64_t>(scores.size());
  out.clusters = 1;
  out.method = IntervalMethod::kStudentT;
  out.standard_error = m.standard_error;
  out.ci = clip({m.mean - tq * m.standard_error, m.mean + tq * m.standard_error}, 0, 1);
  return out;
}

Result<ScoreEstimate> clustered_mean_score(std::span<const double> scores,
                                           std::span<const std::string> clusters,
                                           double confidence) {
  if (Status s = check_confidence(confidence); !s.ok()) return s;
  if (scores.size() != clusters.size()) {
    return Status::Error(
        fmt::format("{} scores but {} cluster names", scores.size(), clusters.size()));
  }
  if (scores.empty()) return Status::Error("no items: a mean score needs at least one");
  if (Status s = check_scores(scores); !s.ok()) return s;
  const ClusterIndex index = index_clusters(clusters);
  Result<ScoreEstimate> independent = mean_score(scores, confidence);
  if (index.count < 2 || !independent.ok()) return independent;

  const ClusteredMoments m = clustered_moments(scores, index);
  const double tq = t_critical(confidence, static_cast<double>(index.count - 1));
  ScoreEstimate out;
  out.mean = m.mean;
  out.n = static_cast<int64_t>(scores.size());
  out.clusters = static_cast<int64_t>(index.count);
  out.method = IntervalMethod::kClustered;
  out.standard_error = m.standard_error;
  const Interval clustered =
      clip({m.mean - tq * m.standard_error, m.mean + tq * m.standard_error}, 0, 1);
  out.ci = {std::min(clustered.lower, independent->ci.lower),
            std::max(clustered.upper, independent->ci.upper)};
  return out;
}

Result<ScoreEstimate> stratified_mean_score(std::span<const double> scores,
                                            std::span<const std::string> strata,
                                            std::span<const std::string> clusters,
                                            double confidence) {
  if (Status s = check_confidence(confidence); !s.ok()) return s;
  if (scores.size() != strata.size() || (!clusters.empty() && clusters.size() != scores.size())) {
    return Status::Error(fmt::format("{} scores but {} stratum and {} cluster names", scores.size(),
                                     strata.size(), clusters.size()));
  }
  if (scores.empty()) return Status::Error("no items: a mean score needs at least one");
  if (Status s = check_scores(scores); !s.ok()) return s;
  const ClusterIndex index = index_clusters(strata);
  auto within = [&](std::span<const double> v,
                    std::span<const std::string> c) -> Result<ScoreEstimate> {
    return c.empty() ? mean_score(v, confidence) : clustered_mean_score(v, c, confidence);
  };
  if (index.count < 2) return within(scores, clusters);

  const double z = z_critical(confidence);
  const ClusteredMoments m = combine_strata(
      split_strata(scores, index, clusters),
      [&](const std::vector<double>& v, const std::vector<std::string>& c) {
        const double n = static_cast<double>(v.size());
        double v_h = 0.25 / n;  // one partial-credit item: the most a score in [0, 1] can vary
        if (Result<ScoreEstimate> e = within(v, c); e.ok()) {
          v_h = e->standard_error * e->standard_error;
        }
        if (all_binary(v)) {
          const double passed = static_cast<double>(std::count(v.begin(), v.end(), 1.0));
          const double p = (passed + z * z / 2) / (n + z * z);
          v_h = std::max(v_h, p * (1 - p) / (n + z * z));
        }
        return v_h;
      });
  const double total = static_cast<double>(scores.size());
  ScoreEstimate out;
  out.mean = m.mean;
  out.n = static_cast<int64_t>(scores.size());
  out.clusters = static_cast<int64_t>(index.count);
  out.method = IntervalMethod::kStratified;
  out.standard_error = m.standard_error;
  const double df = std::max(1.0, total - static_cast<double>(index.count));
  const double tq = t_critical(confidence, df);
  out.ci = clip({m.mean - tq * m.standard_error, m.mean + tq * m.standard_error}, 0, 1);
  return out;
}

// --- pass@k --------------------------------------------------------------------------------

Result<double> pass_at_k(int64_t n, int64_t c, int64_t k) {
  if (n <= 0) return Status::Error("pass@k needs at least one sample");
  if (c < 0 || c > n) {
    return Status::Error(fmt::format("{} correct out of {} samples is impossible", c, n));
  }
  if (k < 1) return Status::Error(fmt::format("pass@k needs k >= 1, got {}", k));
  if (k > n) {
    return Status::Error(
        fmt::format("pass@{} needs at least {} samples per problem, got {} (run with --repeats {})",
                    k, k, n, k));
  }
  if (n - c < k) return 1.0;  // every draw of k samples contains a correct one
  // C(n-c, k) / C(n, k) = prod_{i = n-c+1}^{n} (1 - k / i), summed as logs.
  double log_all_wrong = 0;
  for (int64_t i = n - c + 1; i <= n; ++i) {
    log_all_wrong += std::log1p(-static_cast<double>(k) / static_cast<double>(i));
  }
  return -std::expm1(log_all_wrong);
}

Result<ScoreEstimate> mean_pass_at_k(std::span<const SampleCounts> problems, int64_t k,
                                     double confidence) {
  if (problems.empty()) return Status::Error("no problems: pass@k needs at least one");
  std::vector<double> values;
  values.reserve(problems.size());
  for (size_t i = 0; i < problems.size(); ++i) {
    Result<double> v = pass_at_k(problems[i].n, problems[i].correct, k);
    if (!v.ok()) return v.status().WithContext(fmt::format("problem {}", i));
    values.push_back(*v);
  }
  return mean_score(values, confidence);
}

// --- Paired comparisons --------------------------------------------------------------------

std::string_view to_string(PairedMethod method) {
  switch (method) {
    case PairedMethod::kMcNemarExact:
      return "mcnemar-exact";
    case PairedMethod::kPairedT:
      return "paired-t";
    case PairedMethod::kClusteredT:
      return "clustered-paired-t";
    case PairedMethod::kStratifiedT:
      return "stratified-paired-t";
  }
  return "unknown";
}

Result<PairedComparison> compare_pass_fail(const PairedCounts& counts, double confidence) {
  if (Status s = check_confidence(confidence); !s.ok()) return s;
  if (counts.both < 0 || counts.only_base < 0 || counts.only_new < 0 || counts.neither < 0) {
    return Status::Error("a paired table cannot hold negative counts");
  }
  const int64_t n = counts.both + counts.only_base + counts.only_new + counts.neither;
  if (n == 0) return Status::Error("no items: a paired comparison needs at least one");

  PairedComparison out;
  out.n = n;
  out.method = PairedMethod::kMcNemarExact;
  out.only_base = counts.only_base;
  out.only_new = counts.only_new;

  const double nn = static_cast<double>(n);
  // Newcombe's notation: e both, f only new, g only base, h neither; p1 new, p2 base.
  const double e = static_cast<double>(counts.both);
  const double f = static_cast<double>(counts.only_new);
  const double g = static_cast<double>(counts.only_base);
  const double h = static_cast<double>(counts.neither);
  const double p1 = (e + f) / nn;
  const double p2 = (e + g) / nn;
  out.new_mean = p1;
  out.base_mean = p2;
  out.difference = (f - g) / nn;

  // Exact McNemar: under "no difference" each discordant item is a fair coin.
  const int64_t discordant = counts.only_base + counts.only_new;
  out.p_value =
      discordant == 0
          ? 1.0
          : std::min(1.0, 2 * binomial_half_lower_tail(std::min(counts.only_base, counts.only_new),
                                                       discordant));

  Result<ScoreEstimate> w1 = wilson_interval(counts.both + counts.only_new, n, confidence);
  Result<ScoreEstimate> w2 = wilson_interval(counts.both + counts.only_base, n, confidence);
  if (!w1.ok()) return w1.status();
  if (!w2.ok()) return w2.status();
  const double l1 = w1->ci.lower, u1 = w1->ci.upper;
  const double l2 = w2->ci.lower, u2 = w2->ci.upper;
  // Newcombe's phi: the correlation of the pairs, with its numerator pulled toward 0 by n/2
  // when positive (his continuity correction), and 0 when a margin is empty.
  const double a = (e + f) * (g + h) * (e + g) * (f + h);
  const double b = e * h - f * g;
  double c = 0;
  if (b > nn / 2) c = b - nn / 2;
  if (b < 0) c = b;
  const double phi = a > 0 ? c / std::sqrt(a) : 0;
  const double down =
      (p1 - l1) * (p1 - l1) - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) * (u2 - p2);
  const double up = (p2 - l2) * (p2 - l2) - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) * (u1 - p1);
  out.ci = clip({out.difference - std::sqrt(std::max(0.0, down)),
                 out.difference + std::sqrt(std::max(0.0, up))},
                -1, 1);
  return out;
}

Result<PairedComparison> compare_scores(std::span<const double> base, std::span<const double> next,
                                        std::span<const std::string> clusters, double confidence) {
  if (Status s = check_confidence(confidence); !s.ok()) return s;
  if (base.size() != next.size()) {
    return Status::Error(
        fmt::format("paired runs differ in length: {} and {} items", base.size(), next.size()));
  }
  if (!clusters.empty() && clusters.size() != base.size()) {
    return Status::Error(
        fmt::format("{} items but {} cluster names", base.size(), clusters.size()));
  }
  if (Status s = check_finite(base, "base score"); !s.ok()) return s;
  if (Status s = check_finite(next, "new score"); !s.ok()) return s;

  PairedComparison out;
  out.n = static_cast<int64_t>(base.size());
  std::vector<double> differences(base.size());
  for (size_t i = 0; i < base.size(); ++i) differences[i] = next[i] - base[i];

  const ClusterIndex index = index_clusters(clusters);
  ClusteredMoments m;
  double df;
  if (index.count >= 2) {
    out.method = PairedMethod::kClusteredT;
    out.clusters = static_cast<int64_t>(index.count);
    m = clustered_moments(differences, index);
    df = static_cast<double>(index.count - 1);
  } else {
    if (base.size() < 2) {
      return Status::Error(
          fmt::format("a paired test needs at least two items, got {}", base.size()));
    }
    out.method = PairedMethod::kPairedT;
    m = plain_moments(differences);
    df = static_cast<double>(base.size() - 1);
  }
  const double n = static_cast<double>(base.size());
  out.base_mean = std::accumulate(base.begin(), base.end(), 0.0) / n;
  out.new_mean = std::accumulate(next.begin(), next.end(), 0.0) / n;
  fill_t_comparison(m.mean, m.standard_error, df, df + 1, confidence, out);
  if (all_unit(base) && all_unit(next)) out.ci = clip(out.ci, -1, 1);
  return out;
}

Result<PairedComparison> compare_paired(std::span<const double> base, std::span<const double> next,
                                        std::span<const std::string> clusters, double confidence) {
  if (base.size() != next.size()) {
    return Status::Error(
        fmt::format("paired runs differ in length: {} and {} items", base.size(), next.size()));
  }
  if (!clusters.empty() && clusters.size() != base.size()) {
    return Status::Error(
        fmt::format("{} items but {} cluster names", base.size(), clusters.size()));
  }
  const bool clustered = index_clusters(clusters).count >= 2;
  if (!clustered && all_binary(base) && all_binary(next)) {
    PairedCounts counts;
    for (size_t i = 0; i < base.size(); ++i) {
      const bool b = base[i] == 1.0, x = next[i] == 1.0;
      if (b && x) ++counts.both;
      if (b && !x) ++counts.only_base;
      if (!b && x) ++counts.only_new;
      if (!b && !x) ++counts.neither;
    }
    return compare_pass_fail(counts, confidence);
  }
  return compare_scores(base, next, clusters, confidence);
}

Result<PairedComparison> compare_paired_stratified(std::span<const double> base,
                                                   std::span<const double> next,
                                                   std::span<const std::string> strata,
                                                   std::span<const std::string> clusters,
                                                   double confidence) {
  if (base.size() != next.size() || strata.size() != base.size() ||
      (!clusters.empty() && clusters.size() != base.size())) {
    return Status::Error(
        fmt::format("paired runs of {} and {} items with {} stratum and {} "
                    "cluster names",
                    base.size(), next.size(), strata.size(), clusters.size()));
  }
  const ClusterIndex index = index_clusters(strata);
  if (index.count < 2) return compare_paired(base, next, clusters, confidence);
  if (Status s = check_confidence(confidence); !s.ok()) return s;
  if (Status s = check_finite(base, "base score"); !s.ok()) return s;
  if (Status s = check_finite(next, "new score"); !s.ok()) return s;

  std::vector<double> differences(base.size());
  for (size_t i = 0; i < base.size(); ++i) differences[i] = next[i] - base[i];
  const ClusteredMoments m = combine_strata(
      split_strata(differences, index, clusters),
      [](const std::vector<double>& d, const std::vector<std::string>& c) {
        const ClusterIndex within = index_clusters(c);
        if (within.count >= 2) return std::pow(clustered_moments(d, within).standard_error, 2);
        if (d.size() >= 2) return std::pow(plain_moments(d).standard_error, 2);
        return 1 / static_cast<double>(d.size());  // one item: a difference varies by <= 1
      });
  const double total = static_cast<double>(base.size());
  PairedComparison out;
  out.n = static_cast<int64_t>(base.size());
  out.clusters = static_cast<int64_t>(index.count);
  out.method = PairedMethod::kStratifiedT;
  out.base_mean = std::accumulate(base.begin(), base.end(), 0.0) / total;
  out.new_mean = std::accumulate(next.begin(), next.end(), 0.0) / total;
  const double df = std::max(1.0, total - static_cast<double>(index.count));
  fill_t_comparison(m.mean, m.standard_error, df, total, confidence, out);
  if (all_unit(base) && all_unit(next)) out.ci = clip(out.ci, -1, 1);
  return out;
}

// --- Separating tiers ----------------------------------------------------------------------

Result<Separation> tiers_separable(std::span<const double> a, std::span<const double> b,
                                   std::span<const std::string> clusters, double alpha) {
  if (!(alpha > 0 && alpha < 1)) {
    return Status::Error(fmt::format("alpha must be between 0 and 1 (exclusive), got {}", alpha));
  }
  Result<PairedComparison> comparison = compare_paired(a, b, clusters, 1 - alpha);
  if (!comparison.ok()) return comparison.status();
  Separation out;
  out.comparison = *comparison;
  out.separable = comparison->p_value < alpha;
  return out;
}

Result<std::vector<double>> holm_adjust(std::span<const double> p_values) {
  for (size_t i = 0; i < p_values.size(); ++i) {
    if (!(p_values[i] >= 0 && p_values[i] <= 1)) {
      return Status::Error(fmt::format("p-value {} (number {}) is outside [0, 1]", p_values[i], i));
    }
  }
  const size_t m = p_values.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return p_values[x] < p_values[y]; });
  std::vector<double> adjusted(m);
  double running = 0;
  for (size_t rank = 0; rank < m; ++rank) {
    const double scaled = std::min(1.0, static_cast<double>(m - rank) * p_values[order[rank]]);
    running = std::max(running, scaled);  // adjusted p-values never decrease with rank
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

// --- Percentiles ---------------------------------------------------------------------------

namespace {

// Type 7 on sorted values.
double sorted_percentile(const std::vector<double>& sorted, double p) {
  const double h = static_cast<double>(sorted.size() - 1) * p / 100;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

Result<double> percentile(std::span<const double> values, double p) {
  if (values.empty()) return Status::Error("no values: a percentile needs at least one");
  if (!(p >= 0 && p <= 100)) {
    return Status::Error(fmt::format("percentile must be in [0, 100], got {}", p));
  }
  if (Status s = check_finite(values, "value"); !s.ok()) return s;
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted_percentile(sorted, p);
}

Result<LatencySummary> summarize_latencies(std::span<const double> values) {
  if (values.empty()) return Status::Error("no latencies to summarize");
  if (Status s = check_finite(values, "latency"); !s.ok()) return s;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0) {
      return Status::Error(fmt::format("latency {} of item {} is negative", values[i], i));
    }
  }
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  LatencySummary out;
  out.n = static_cast<int64_t>(sorted.size());
  out.min = sorted.front();
  out.max = sorted.back();
  out.p50 = sorted_percentile(sorted, 50);
  out.p95 = sorted_percentile(sorted, 95);
  out.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(out.n);
  return out;
}

}  // namespace pareto::harness
