// Model: a decoder-only transformer loaded from a GGUF file, its weights left in the map.
//
// Supported architectures (general.architecture):
//   llama  RMSNorm, rotary positions on adjacent pairs, grouped-query attention, SwiGLU FFN;
//          covers Llama 1-3, TinyLlama, SmolLM and the like (Llama 3's rope_freqs.weight
//          frequency factors are honoured).
//   qwen2  the same with biases on q, k and v and rotary positions on the two halves of
//          each head (NeoX style).
// The output projection is output.weight, or the token embedding when the file ties them.
// Anything else (another architecture, a tensor type the kernels lack, a missing tensor or
// a shape that disagrees with the metadata) is an error naming it at load, so a model that
// loads can run. A Model is immutable after Load and can serve many Contexts at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inference/gguf.h"
#include "inference/kernels.h"
#include "inference/status.h"

namespace pareto::inference {

enum class RopeStyle {
  kAdjacentPairs,  // rotate (x[2i], x[2i+1]): llama
  kHalves,         // rotate (x[i], x[i + n/2]): NeoX, qwen2
};

struct ModelConfig {
  std::string arch;
  int n_vocab = 0;
  int n_embd = 0;
  int n_layer = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  int n_ff = 0;
  int n_ctx_train = 0;
  int n_rot = 0;  // rotary dimensions per head (<= head_dim)
  float rope_base = 10000.0f;
  float rope_linear_scale = 1.0f;  // positions are divided by this (rope.scaling.type linear)
  float rms_eps = 1e-5f;
  RopeStyle rope_style = RopeStyle::kAdjacentPairs;
  bool qkv_bias = false;
  bool tied_output = false;

  int q_dim() const { return n_head * head_dim; }
  int kv_dim() const { return n_head_kv * head_dim; }
};

// One layer's weights: matrices in file format, norms and biases as floats.
struct LayerWeights {
  std::vector<float> attn_norm, ffn_norm;
  std::vector<float> bq, bk, bv;  // qwen2 only
  WeightMatrix wq, wk, wv, wo;
  WeightMatrix w_gate, w_up, w_down;
};

struct LoadOptions {
  // Copy matrices whose type has a faster layout (Q4_0) into it at load. The mapped file's
  // pages of those matrices are then never touched again (the OS can drop them), so memory
  // stays at about one copy of the weights; off, every matrix is read from the map.
  bool repack = true;
  // The instruction set to repack for (see Repack); nullopt: the best this CPU has.
  std::optional<Isa> isa;
};

class Model {
 public:
  // Opens and checks a model file. Errors name the file and the offending key or tensor.
  static Result<std::unique_ptr<Model>> Load(const std::string& path,
                                             const LoadOptions& options = {});
  // The same from an already-open file (tests build models in memory).
  static Result<std::unique_ptr<Model>> FromGguf(GgufFile file, const LoadOptions& options = {});

  const ModelConfig& config() const { return config_; }
  // The file, for its tokenizer metadata and chat template.
  const GgufFile& file() const { return file_; }

  const WeightMatrix& token_embedding() const { return token_embd_; }
  const WeightMatrix& output() const { return output_; }
  const std::vector<float>& output_norm() const { return output_norm_; }
  const std::vector<LayerWeights>& layers() const { return layers_; }
  // Per-frequency divisors of the rotary angles (Llama 3 scaling), or empty.
  const std::vector<float>& rope_freq_factors() const { return rope_factors_; }

  // Parameters in the weight matrices and norms, and their bytes in the file.
  int64_t parameter_count() const { return parameters_; }
  uint64_t weight_bytes() const { return weight_bytes_; }
  // The type most matrices have ("Q4_0", "F16", ...): what users call the quantization.
  std::string dominant_type() const { return dominant_type_; }

 private:
  Model() = default;
  GgufFile file_;
  ModelConfig config_;
  WeightMatrix token_embd_, output_;
  std::vector<float> output_norm_;
  std::vector<LayerWeights> layers_;
  std::vector<float> rope_factors_;
  int64_t parameters_ = 0;
  uint64_t weight_bytes_ = 0;
  std::string dominant_type_;
  std::vector<std::vector<uint8_t>> repacked_;  // storage of repacked matrices
};

}  // namespace pareto::inference
