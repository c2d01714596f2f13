#include "inference/model_builder.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <numbers>
#include <vector>

#include "inference/quants.h"

namespace pareto::inference {
namespace {

// splitmix64 plus Box-Muller: fast, and the same numbers on every platform and library
// (std::normal_distribution is not specified bit for bit).
class Gaussian {
 public:
  explicit Gaussian(uint64_t seed) : state_(seed) {}
  float Next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = (static_cast<double>(NextBits() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
    double u2 = static_cast<double>(NextBits() >> 11) * 0x1.0p-53;
    double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = static_cast<float>(r * std::sin(2 * std::numbers::pi * u2));
    has_spare_ = true;
    return static_cast<float>(r * std::cos(2 * std::numbers::pi * u2));
  }

 private:
  uint64_t NextBits() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t state_;
  float spare_ = 0;
  bool has_spare_ = false;
};

std::vector<uint8_t> FloatBytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(float));
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

}  // namespace

int FileTypeFor(TensorType type) {
  switch (type) {
    case TensorType::kF32:
      return 0;
    case TensorType::kF16:
      return 1;
    case TensorType::kQ4_0:
      return 2;
    case TensorType::kQ8_0:
      return 7;
    case TensorType::kQ4_K:
      return 14;  // "Q4_K_S": every matrix Q4_K
    case TensorType::kQ6_K:
      return 18;
    case TensorType::kBF16:
      return 32;
    default:
      return 0;
  }
}

Result<GgufWriter> BuildRandomModel(const NewModelSpec& spec, const GgufFile* vocab) {
  if (spec.arch != "llama" && spec.arch != "qwen2") {
    return Status::Error(
        fmt::format("unsupported: architecture '{}' (supported: llama, qwen2)", spec.arch));
  }
  if (spec.n_embd <= 0 || spec.n_layer <= 0 || spec.n_head <= 0 || spec.n_head_kv <= 0 ||
      spec.n_ff <= 0 || spec.n_ctx <= 0) {
    return Status::Error("sizes must be positive");
  }
  if (spec.n_embd % spec.n_head != 0 || (spec.n_embd / spec.n_head) % 2 != 0) {
    return Status::Error(
        fmt::format("embedding size {} must be an even multiple of the head count {}", spec.n_embd,
                    spec.n_head));
  }
  if (spec.n_head % spec.n_head_kv != 0) {
    return Status::Error(fmt::format("head count {} must be a multiple of the KV head count {}",
                                     spec.n_head, spec.n_head_kv));
  }
  if (!IsComputeSupported(spec.type)) {
    return Status::Error("unsupported: tensor type " + TensorTypeName(spec.type));
  }
  int64_t block = BlockElements(spec.type);
  if (spec.n_embd % block != 0 || spec.n_ff % block != 0) {
    return Status::Error(
        fmt::format("{} needs the embedding ({}) and FFN ({}) sizes to be multiples of {}",
                    TensorTypeName(spec.type), spec.n_embd, spec.n_ff, block));
  }

  GgufWriter w;
  int n_vocab = spec.n_vocab;
  if (vocab != nullptr) {
    auto tokens = vocab->GetStringArray("tokenizer.ggml.tokens");
    if (!tokens.ok()) return tokens.status().WithContext("vocabulary file");
    if (n_vocab != 0 && n_vocab != static_cast<int>(tokens->size())) {
      return Status::Error(fmt::format("vocabulary size {} disagrees with the vocabulary file ({})",
                                       n_vocab, tokens->size()));
    }
    n_vocab = static_cast<int>(tokens->size());
  }
  if (n_vocab <= 0)
    return Status::Error("the vocabulary size is required without a vocabulary file");

  const std::string& a = spec.arch;
  const int head_dim = spec.n_embd / spec.n_head;
  w.Set("general.architecture", GgufValue::String(a));
  w.Set("general.name", GgufValue::String(spec.name));
  w.Set("general.file_type", GgufValue::Uint32(static_cast<uint32_t>(FileTypeFor(spec.type))));
  w.Set(a + ".vocab_size", GgufValue::Uint32(static_cast<uint32_t>(n_vocab)));
  w.Set(a + ".context_length", GgufValue::Uint32(static_cast<uint32_t>(spec.n_ctx)));
  w.Set(a + ".embedding_length", GgufValue::Uint32(static_cast<uint32_t>(spec.n_embd)));
  w.Set(a + ".block_count", GgufValue::Uint32(static_cast<uint32_t>(spec.n_layer)));
  w.Set(a + ".feed_forward_length", GgufValue::Uint32(static_cast<uint32_t>(spec.n_ff)));
  w.Set(a + ".attention.head_count", GgufValue::Uint32(static_cast<uint32_t>(spec.n_head)));
  w.Set(a + ".attention.head_count_kv", GgufValue::Uint32(static_cast<uint32_t>(spec.n_head_kv)));
  w.Set(a + ".rope.dimension_count", GgufValue::Uint32(static_cast<uint32_t>(head_dim)));
  w.Set(a + ".rope.freq_base", GgufValue::Float32(spec.rope_base));
  w.Set(a + ".attention.layer_norm_rms_epsilon", GgufValue::Float32(spec.rms_eps));
  if (vocab != nullptr) {
    for (const GgufKeyValue& kv : vocab->metadata()) {
      if (kv.key.rfind("tokenizer.", 0) == 0) w.Set(kv.key, kv.value);
    }
  }

  Gaussian rng(spec.seed);
  Status status = Status::Ok();
  // A matrix with `cols` inputs and `rows` outputs, N(0, scale^2), in the spec's type.
  auto matrix = [&](const std::string& name, int cols, int rows, float scale) {
    if (!status.ok()) return;
    std::vector<float> v(static_cast<size_t>(cols) * rows);
    for (float& x : v) x = rng.Next() * scale;
    auto q = Quantize(spec.type, v);
    if (!q.ok()) {
      status = q.status().WithContext(name);
      return;
    }
    status = w.AddTensor(name, spec.type, {cols, rows}, std::move(*q));
  };
  auto vector = [&](const std::string& name, int n, float mean, float scale) {
    if (!status.ok()) return;
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = mean + rng.Next() * scale;
    status = w.AddTensor(name, TensorType::kF32, {n}, FloatBytes(v));
  };

  const int q_dim = spec.n_embd, kv_dim = spec.n_head_kv * head_dim;
  const float in_embd = 1.0f / std::sqrt(static_cast<float>(spec.n_embd));
  const float in_ff = 1.0f / std::sqrt(static_cast<float>(spec.n_ff));
  matrix("token_embd.weight", spec.n_embd, n_vocab, 1.0f);
  vector("output_norm.weight", spec.n_embd, 1.0f, 0.1f);
  if (!spec.tied_output) matrix("output.weight", spec.n_embd, n_vocab, in_embd);
  for (int i = 0; i < spec.n_layer; ++i) {
    std::string p = fmt::format("blk.{}.", i);
    vector(p + "attn_norm.weight", spec.n_embd, 1.0f, 0.1f);
    matrix(p + "attn_q.weight", spec.n_embd, q_dim, in_embd);
    matrix(p + "attn_k.weight", spec.n_embd, kv_dim, in_embd);
    matrix(p + "attn_v.weight", spec.n_embd, kv_dim, in_embd);
    if (a == "qwen2") {
      vector(p + "attn_q.bias", q_dim, 0.0f, 0.1f);
      vector(p + "attn_k.bias", kv_dim, 0.0f, 0.1f);
      vector(p + "attn_v.bias", kv_dim, 0.0f, 0.1f);
    }
    matrix(p + "attn_output.weight", q_dim, spec.n_embd, in_embd);
    vector(p + "ffn_norm.weight", spec.n_embd, 1.0f, 0.1f);
    matrix(p + "ffn_gate.weight", spec.n_embd, spec.n_ff, in_embd);
    matrix(p + "ffn_up.weight", spec.n_embd, spec.n_ff, in_embd);
    matrix(p + "ffn_down.weight", spec.n_ff, spec.n_embd, in_ff);
  }
  if (!status.ok()) return status;
  return w;
}

Result<GgufWriter> QuantizeModel(const GgufFile& in, TensorType type, QuantizeReport* report) {
  if (!IsComputeSupported(type)) {
    return Status::Error("unsupported: target type " + TensorTypeName(type));
  }
  QuantizeReport local;
  QuantizeReport& r = report != nullptr ? *report : local;
  GgufWriter w;
  if (auto s = w.SetAlignment(static_cast<uint32_t>(in.alignment())); !s.ok()) return s;
  for (const GgufKeyValue& kv : in.metadata()) w.Set(kv.key, kv.value);
  w.Set("general.file_type", GgufValue::Uint32(static_cast<uint32_t>(FileTypeFor(type))));

  for (const GgufTensorInfo& t : in.tensors()) {
    auto data = in.TensorData(t);
    bool is_matrix = t.dims.size() == 2 && t.name.size() > 7 &&
                     t.name.compare(t.name.size() - 7, 7, ".weight") == 0;
    if (!is_matrix) {
      ++r.kept;
      if (auto s = w.AddTensorView(t.name, t.type, t.dims, data); !s.ok()) return s;
      continue;
    }
    TensorType target = type;
    if (t.dims[0] % BlockElements(target) != 0) {
      target = t.dims[0] % 32 == 0 ? TensorType::kQ8_0 : TensorType::kF16;
      ++r.fallback;
    } else {
      ++r.converted;
    }
    if (target == t.type) {
      if (auto s = w.AddTensorView(t.name, t.type, t.dims, data); !s.ok()) return s;
      continue;
    }
    auto values = Dequantize(t.type, data, t.elements);
    if (!values.ok()) return values.status().WithContext(t.name);
    auto bytes = Quantize(target, *values);
    if (!bytes.ok()) return bytes.status().WithContext(t.name);
    if (auto s = w.AddTensor(t.name, target, t.dims, std::move(*bytes)); !s.ok()) return s;
  }
  return w;
}

}  // namespace pareto::inference
