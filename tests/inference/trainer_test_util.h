// Shared by the trainer's tests (trainer_test.cc, distill_loss_test.cc): a tiny shape, a
// temporary model path, and the check of a gradient against central finite differences.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "inference/trainer.h"

namespace pareto::inference::testing {

// 11 tokens, 2 layers of 8, grouped-query attention (2 heads, 1 KV head).
inline TrainShape TinyShape() {
  TrainShape s;
  s.n_vocab = 11;
  s.n_embd = 8;
  s.n_layer = 2;
  s.n_head = 2;
  s.n_head_kv = 1;
  s.n_ff = 12;
  s.n_ctx = 16;
  return s;
}

// A model file path in the temporary folder, unique to this process.
inline std::string TempModelPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + ".gguf"))
      .string();
}

// Per tensor of `shape`, the worst relative error of `grad` against central differences of
// LossAndGradient at `params`, on up to `samples` elements spread evenly over the tensor.
inline std::vector<std::pair<std::string, double>> GradientErrors(
    const TrainShape& shape, std::vector<double> params, std::span<const TrainExample> batch,
    const std::vector<double>& grad, const DistillOptions& distill, size_t samples) {
  std::vector<std::pair<std::string, double>> out;
  for (const ParameterTensor& t : ParameterLayout(shape)) {
    double worst = 0;
    const size_t stride = std::max<size_t>(1, t.size / samples);
    for (size_t j = 0; j < t.size; j += stride) {
      const size_t i = t.offset + j;
      const double h = 1e-5, keep = params[i];
      params[i] = keep + h;
      const double up = *LossAndGradient(shape, params, batch, nullptr, distill);
      params[i] = keep - h;
      const double down = *LossAndGradient(shape, params, batch, nullptr, distill);
      params[i] = keep;
      const double numeric = (up - down) / (2 * h);
      worst = std::max(worst, std::abs(numeric - grad[i]) / std::max(1e-3, std::abs(numeric)));
    }
    out.emplace_back(t.name, worst);
  }
  return out;
}

}  // namespace pareto::inference::testing
