// Building model files: new models with random weights (for tests and benchmarks), and
// re-encoding a model's matrices as another tensor type (quantization).
//
// A random model is a valid file of the chosen architecture: Gaussian weights scaled by
// 1/sqrt(fan-in) so activations stay of order one through the layers, unit norms, small
// biases. Given a vocabulary file (any GGUF with tokenizer.* metadata, such as the
// vocabulary-only files llama.cpp publishes), its tokenizer metadata is copied and the
// vocabulary size follows it, so the new model tokenizes text like the original.
// The same seed gives the same file.
#pragma once

#include <cstdint>
#include <string>

#include "inference/gguf.h"
#include "inference/status.h"
#include "inference/tensor_type.h"

namespace pareto::inference {

struct NewModelSpec {
  std::string arch = "llama";  // llama or qwen2
  int n_embd = 64;
  int n_layer = 2;
  int n_head = 4;
  int n_head_kv = 2;
  int n_ff = 128;
  int n_vocab = 0;  // required without a vocabulary file; must match one when given
  int n_ctx = 2048;
  float rope_base = 10000.0f;
  float rms_eps = 1e-5f;
  bool tied_output = false;
  uint64_t seed = 1;
  TensorType type = TensorType::kF32;  // of the weight matrices (norms and biases are F32)
  std::string name = "pareto-random";
};

// Assembles the model in a writer; `vocab` may be null.
Result<GgufWriter> BuildRandomModel(const NewModelSpec& spec, const GgufFile* vocab);

struct QuantizeReport {
  int converted = 0;  // matrices written as the target type
  int fallback = 0;   // matrices whose rows do not fit the target's blocks (kept Q8_0 / F16)
  int kept = 0;       // vectors and other tensors copied unchanged
};

// Re-encodes every 2-D weight matrix of `in` as `type` (norms and biases stay as they are);
// metadata is copied with general.file_type updated. A matrix whose row length is not a
// multiple of the target's block falls back to Q8_0 (or F16 when even that does not fit).
// The source's tensors must be F32, F16, BF16 or one of the quantized types we decode.
Result<GgufWriter> QuantizeModel(const GgufFile& in, TensorType type, QuantizeReport* report);

// The llama.cpp general.file_type number for a model whose matrices are `type`.
int FileTypeFor(TensorType type);

}  // namespace pareto::inference
