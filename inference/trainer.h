// Trainer: trains small `llama` models from scratch on prompt/answer examples and writes
// GGUF files the inference core (and llama.cpp) load.
//
// The model is the core's `llama` (inference/model.h): token embedding, per layer RMSNorm,
// grouped-query attention with rotary positions on adjacent pairs, RMSNorm, SwiGLU FFN,
// then a final RMSNorm and an output projection (its own matrix, or the embedding when
// tied). The trainer's forward pass follows the core's conventions to the letter (the same
// rotary angles, norm epsilon and kernels), and a test checks that the core's logits of a
// written file equal the trainer's own.
//
// Training: cross-entropy on the answer tokens only (the prompt is context, not target),
// averaged over a batch's answer tokens; AdamW (decoupled weight decay on matrices, not on
// norms) with linear warm-up and cosine decay to `min_lr`; gradients clipped to a global
// L2 norm. Gradients of every tensor are checked against central finite differences in
// double precision (LossAndGradient below runs the same code in double).
//
// Determinism: the same shape, options, examples and seed give the same weights bit for bit
// on the same machine (instruction set), whatever the thread count: a batch is cut into a
// fixed number of shards that does not depend on the threads, each shard's gradient is
// accumulated in example order, and shards are summed in shard order.
//
// Distillation (knowledge distillation, KD): an example may carry the teacher's top-k
// log-probabilities at its answer positions (`soft`). There the loss is
//   alpha * T^2 * KL(p || q) + (1 - alpha) * CE(hard label)
// with p = softmax(teacher logprobs / T) renormalised over the teacher's top-k, and
// q = softmax(student logits / T) over the whole vocabulary, read at the top-k tokens (so the
// term also pulls the student's mass into the teacher's top-k). The T^2 factor keeps the
// soft term's gradient on the scale of the hard term's as T changes (Hinton et al., 2015).
// Positions without a teacher distribution take the hard-label loss alone.
//
// Training data comes through a BatchSource: a function of the step number, so that a run
// resumed from a checkpoint (weights, optimizer moments and step) sees exactly the batches
// the uninterrupted run would have, and ends with the same weights.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "inference/gguf.h"
#include "inference/status.h"
#include "inference/tokenizer.h"

namespace pareto::inference {

// The model's shape.
struct TrainShape {
  int n_vocab = kByteVocabularySize;
  int n_embd = 64;
  int n_layer = 2;
  int n_head = 4;
  int n_head_kv = 4;
  int n_ff = 192;
  int n_ctx = 256;  // the longest example (prompt + answer) trained on, and the file's context
  float rope_base = 10000.0f;
  float rms_eps = 1e-5f;
  bool tied_output = false;

  int head_dim() const { return n_embd / n_head; }
  int kv_dim() const { return n_head_kv * head_dim(); }
};

// An error naming the first size that cannot make a model.
Status CheckShape(const TrainShape& shape);

// One tensor of the flat parameter vector: GGUF name, dims as GGUF writes them (dims[0] is
// the row length), and where its elements start.
struct ParameterTensor {
  std::string name;
  std::vector<int64_t> dims;
  size_t offset = 0;
  size_t size = 0;
  bool is_matrix = false;  // weight-decayed
};

// Every tensor in the order they sit in the parameter vector.
std::vector<ParameterTensor> ParameterLayout(const TrainShape& shape);
size_t ParameterCount(const TrainShape& shape);

// A training example: tokens[0, n_prompt) are the prompt (BOS first, as the core encodes
// it), tokens[n_prompt, size) the answer to learn (ending in EOS). The loss is the
// cross-entropy of predicting each answer token from the tokens before it.
// The teacher's distribution at one answer position: its top-k tokens, most likely first,
// with their natural log-probabilities under the teacher's own (temperature 1) distribution.
struct SoftTarget {
  std::vector<TokenId> ids;
  std::vector<float> logprobs;  // one per id, finite
};

struct TrainExample {
  std::vector<TokenId> tokens;
  int n_prompt = 0;
  // Distillation: soft[i] is the teacher's distribution for answer token i (the token at
  // n_prompt + i). Empty, shorter than the answer, or an entry without ids: those positions
  // learn the hard label only.
  std::vector<SoftTarget> soft = {};
};

// How the soft (KD) and hard (cross-entropy) terms mix where a teacher distribution is given.
struct DistillOptions {
  double temperature = 2.0;  // T > 0
  double alpha = 0.5;        // the KD term's weight, in [0, 1]; 1 - alpha goes to the hard label
};

// One position's KD term: T^2 * KL(p || q) (see the top of this file) for the student's
// logits `logits` (the whole vocabulary) and the teacher's top-k `target`; adds `scale` times
// its gradient with respect to the logits to `grad` (the same size as `logits`) when not
// null. Ids must lie inside the vocabulary. The trainer's loss runs this same code.
double DistillLoss(std::span<const double> logits, const SoftTarget& target, double temperature,
                   double scale, double* grad);

struct TrainOptions {
  int64_t steps = 1000;
  int64_t warmup = 100;  // steps of linear warm-up from 0 to lr
  double lr = 3e-3;
  double min_lr = 3e-4;  // the cosine decay's floor, reached at the last step
  double beta1 = 0.9;
  double beta2 = 0.99;
  double adam_eps = 1e-8;
  double weight_decay = 0.1;
  double clip = 1.0;       // global gradient norm; <= 0: no clipping
  uint64_t seed = 1;       // initial weights
  DistillOptions distill;  // for examples that carry soft targets
  int threads = 1;         // does not change results
};

// The learning rate of step `step` (0-based) under `options`' schedule.
double LearningRate(const TrainOptions& options, int64_t step);

// What one step did.
struct StepStats {
  int64_t step = 0;      // the step just done (1-based count of steps done)
  double loss = 0;       // mean loss over the batch's answer tokens (nats; the KD mix where
                         // examples carry soft targets, else cross-entropy)
  double grad_norm = 0;  // before clipping
  double lr = 0;         // the rate applied
  int64_t tokens = 0;    // tokens run through the model (prompt and answer)
  int64_t targets = 0;   // answer tokens scored
};

struct TrainProgress {
  int64_t step = 0, steps = 0;
  double loss = 0;  // mean over the steps since the last report
  double lr = 0;
  double tokens_per_s = 0;  // over the steps since the last report
  double elapsed_s = 0;     // wall time of this run (not counting a resumed run's past)
  double eta_s = 0;
};

using BatchSource = std::function<Result<std::vector<TrainExample>>(int64_t step)>;
using ProgressFn = std::function<void(const TrainProgress&)>;

struct RunOptions {
  int64_t report_every = 10;       // steps between progress calls (the last step always reports)
  std::string checkpoint_path;     // empty: no checkpoints
  int64_t checkpoint_every = 200;  // steps between checkpoints (and one at the end)
};

class Trainer {
 public:
  // Fresh weights from options.seed: Gaussian, 1/sqrt(fan-in) (residual outputs scaled down
  // by 1/sqrt(2 n_layer)), embeddings N(0, 1), norms 1.
  static Result<std::unique_ptr<Trainer>> Create(const TrainShape& shape,
                                                 const TrainOptions& options);
  // Weights from a model file (a `llama` GGUF with F32 tensors, as ToGguf writes: a trained
  // model to train on, e.g. a student to distill); the shape comes from the file's metadata
  // (ShapeOf), the optimizer starts fresh at step 0.
  static Result<std::unique_ptr<Trainer>> FromModel(const std::string& model_path,
                                                    const TrainOptions& options);
  // Weights, optimizer moments and step from a checkpoint written by SaveCheckpoint; the
  // shape comes from the file and must match `shape`; options are the caller's (a changed
  // schedule applies from the resumed step on).
  static Result<std::unique_ptr<Trainer>> Resume(const std::string& checkpoint_path,
                                                 const TrainShape& shape,
                                                 const TrainOptions& options);
  ~Trainer();

  const TrainShape& shape() const;
  const TrainOptions& options() const;
  int64_t step() const;  // steps done
  const std::vector<float>& parameters() const;

  // One optimizer step on `batch` (at least one example, each within n_ctx and with at
  // least one answer token, every token inside the vocabulary).
  Result<StepStats> Step(std::span<const TrainExample> batch);

  // The batch's mean loss (as StepStats::loss) and, when `grad` is not null, its gradient
  // laid out as parameters(): the float computation Step trains with, changing nothing.
  Result<double> LossAndGradient(std::span<const TrainExample> batch, std::vector<float>* grad);

  // Steps from step() to options.steps, drawing batches from `source`, reporting progress
  // and writing checkpoints as `run` says.
  Status Run(const BatchSource& source, const RunOptions& run, const ProgressFn& progress);

  // Logits of every position of one token sequence (row after row), from the trainer's own
  // float forward pass.
  Result<std::vector<float>> Logits(std::span<const TokenId> tokens) const;

  // The model as a GGUF file: llama metadata, the byte-level vocabulary (when n_vocab is
  // its size), F32 tensors, `name` as general.name; `extra` metadata is added as given
  // (recipe, seed, steps).
  Result<GgufWriter> ToGguf(const std::string& name, const std::vector<GgufKeyValue>& extra) const;
  Status SaveModel(const std::string& path, const std::string& name,
                   const std::vector<GgufKeyValue>& extra) const;
  // The model plus optimizer state (a loadable model file too).
  Status SaveCheckpoint(const std::string& path) const;

 private:
  struct State;
  explicit Trainer(std::unique_ptr<State> state);
  double Accumulate(std::span<const TrainExample> batch);
  std::unique_ptr<State> state_;
};

// The shape a `llama` GGUF file's metadata and tensors describe (errors name what is missing).
Result<TrainShape> ShapeOf(const GgufFile& file);

// The loss of `batch` for the parameters `params` (laid out as ParameterLayout), and its
// gradient in `grad` when not null, in double precision: the same code as training, for
// checking gradients against finite differences.
Result<double> LossAndGradient(const TrainShape& shape, std::span<const double> params,
                               std::span<const TrainExample> batch, std::vector<double>* grad,
                               const DistillOptions& distill = {});

}  // namespace pareto::inference
