#include "inference/model.h"

#include <fmt/format.h>

#include <map>

#include "inference/quants.h"

namespace pareto::inference {
namespace {

// Reads the per-architecture hyperparameters ("<arch>.<name>").
class HyperParams {
 public:
  HyperParams(const GgufFile& file, std::string arch) : file_(file), arch_(std::move(arch)) {}

  Result<int> Int(const std::string& name, std::optional<int> fallback = std::nullopt) const {
    std::string key = arch_ + "." + name;
    if (!file_.Has(key)) {
      if (fallback) return *fallback;
      return Status::Error(fmt::format("missing metadata key '{}'", key));
    }
    auto v = file_.GetInt(key);
    if (!v.ok()) return v.status();
    if (*v < 0 || *v > (1 << 30))
      return Status::Error(fmt::format("{} = {} is out of range", key, *v));
    return static_cast<int>(*v);
  }

  Result<float> Float(const std::string& name, float fallback) const {
    std::string key = arch_ + "." + name;
    if (!file_.Has(key)) return fallback;
    auto v = file_.GetFloat(key);
    if (!v.ok()) return v.status();
    return static_cast<float>(*v);
  }

 private:
  const GgufFile& file_;
  std::string arch_;
};

std::string Shape(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

class WeightLoader {
 public:
  explicit WeightLoader(const GgufFile& file) : file_(file) {}

  // A matrix with `cols` inputs and `rows` outputs (GGUF dims [cols, rows]).
  Result<WeightMatrix> Matrix(const std::string& name, int64_t cols, int64_t rows) {
    const GgufTensorInfo* t = file_.FindTensor(name);
    if (t == nullptr) return Status::Error(fmt::format("missing tensor '{}'", name));
    if (t->dims.size() != 2 || t->dims[0] != cols || t->dims[1] != rows) {
      return Status::Error(fmt::format("tensor '{}' has shape {}, expected [{}, {}]", name,
                                       Shape(t->dims), cols, rows));
    }
    if (!IsComputeSupported(t->type)) {
      return Status::Error(fmt::format(
          "unsupported: tensor '{}' has type {} (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, "
          "Q6_K)",
          name, TensorTypeName(t->type)));
    }
    auto data = file_.TensorData(*t);
    parameters_ += t->elements;
    bytes_ += data.size();
    type_bytes_[TensorTypeName(t->type)] += data.size();
    return WeightMatrix{t->type, data.data(), rows, cols, static_cast<size_t>(data.size() / rows)};
  }

  // A vector of `n` values of any supported type, decoded to floats.
  Result<std::vector<float>> Vector(const std::string& name, int64_t n) {
    const GgufTensorInfo* t = file_.FindTensor(name);
    if (t == nullptr) return Status::Error(fmt::format("missing tensor '{}'", name));
    if (t->dims.size() != 1 || t->dims[0] != n) {
      return Status::Error(
          fmt::format("tensor '{}' has shape {}, expected [{}]", name, Shape(t->dims), n));
    }
    if (!IsComputeSupported(t->type)) {
      return Status::Error(
          fmt::format("unsupported: tensor '{}' has type {}", name, TensorTypeName(t->type)));
    }
    parameters_ += t->elements;
    bytes_ += t->bytes;
    auto values = Dequantize(t->type, file_.TensorData(*t), n);
    if (!values.ok()) return values.status().WithContext(name);
    return values;
  }

  int64_t parameters() const { return parameters_; }
  uint64_t bytes() const { return bytes_; }
  std::string dominant_type() const {
    std::string best;
    uint64_t most = 0;
    for (const auto& [name, b] : type_bytes_) {
      if (b > most) {
        most = b;
        best = name;
      }
    }
    return best;
  }

 private:
  const GgufFile& file_;
  int64_t parameters_ = 0;
  uint64_t bytes_ = 0;
  std::map<std::string, uint64_t> type_bytes_;
};

}  // namespace

Result<std::unique_ptr<Model>> Model::Load(const std::string& path, const LoadOptions& options) {
  auto file = GgufFile::Open(path);
  if (!file.ok()) return file.status();
  auto model = FromGguf(std::move(*file), options);
  if (!model.ok()) return model.status().WithContext(path);
  return model;
}

Result<std::unique_ptr<Model>> Model::FromGguf(GgufFile file, const LoadOptions& options) {
  std::unique_ptr<Model> m(new Model());
  m->file_ = std::move(file);
  const GgufFile& f = m->file_;
  ModelConfig& c = m->config_;

  auto arch = f.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  c.arch = *arch;
  if (c.arch == "llama") {
    c.rope_style = RopeStyle::kAdjacentPairs;
  } else if (c.arch == "qwen2") {
    c.rope_style = RopeStyle::kHalves;
    c.qkv_bias = true;
  } else {
    return Status::Error(
        fmt::format("unsupported: architecture '{}' (supported: llama, qwen2)", c.arch));
  }

  HyperParams hp(f, c.arch);
#define PARETO_READ(field, expr)    \
  {                                 \
    auto v = (expr);                \
    if (!v.ok()) return v.status(); \
    field = *v;                     \
  }
  PARETO_READ(c.n_embd, hp.Int("embedding_length"));
  PARETO_READ(c.n_layer, hp.Int("block_count"));
  PARETO_READ(c.n_head, hp.Int("attention.head_count"));
  PARETO_READ(c.n_head_kv, hp.Int("attention.head_count_kv", c.n_head));
  PARETO_READ(c.n_ff, hp.Int("feed_forward_length"));
  PARETO_READ(c.n_ctx_train, hp.Int("context_length", 2048));
  PARETO_READ(c.rope_base, hp.Float("rope.freq_base", 10000.0f));
  PARETO_READ(c.rms_eps, hp.Float("attention.layer_norm_rms_epsilon", 1e-5f));
  if (c.n_embd <= 0 || c.n_layer <= 0 || c.n_head <= 0 || c.n_head_kv <= 0 || c.n_ff <= 0) {
    return Status::Error(
        "embedding_length, block_count, head counts and feed_forward_length must be positive");
  }
  if (c.n_head % c.n_head_kv != 0) {
    return Status::Error(
        fmt::format("head_count {} is not a multiple of head_count_kv {}", c.n_head, c.n_head_kv));
  }
  PARETO_READ(c.head_dim, hp.Int("attention.key_length", c.n_embd / c.n_head));
  int value_length = 0;
  PARETO_READ(value_length, hp.Int("attention.value_length", c.head_dim));
  if (value_length != c.head_dim) {
    return Status::Error("unsupported: attention.value_length differs from key_length");
  }
  if (c.head_dim <= 0 || c.head_dim % 2 != 0) {
    return Status::Error(fmt::format("head dimension {} must be positive and even", c.head_dim));
  }
  // Far above any real model, low enough that no product of sizes overflows an int.
  constexpr int64_t kMaxWidth = 1 << 24;
  if (c.n_embd > kMaxWidth || c.n_ff > kMaxWidth || c.n_layer > (1 << 16) ||
      static_cast<int64_t>(c.n_head) * c.head_dim > kMaxWidth ||
      static_cast<int64_t>(c.n_head_kv) * c.head_dim > kMaxWidth) {
    return Status::Error("model sizes are out of range");
  }
  PARETO_READ(c.n_rot, hp.Int("rope.dimension_count", c.head_dim));
  if (c.n_rot <= 0 || c.n_rot > c.head_dim || c.n_rot % 2 != 0) {
    return Status::Error(
        fmt::format("rope.dimension_count {} must be even and at most {}", c.n_rot, c.head_dim));
  }
  std::string scaling_key = c.arch + ".rope.scaling.type";
  if (f.Has(scaling_key)) {
    auto type = f.GetString(scaling_key);
    if (!type.ok()) return type.status();
    if (*type == "linear") {
      PARETO_READ(c.rope_linear_scale, hp.Float("rope.scaling.factor", 1.0f));
      if (!(c.rope_linear_scale > 0)) return Status::Error("rope.scaling.factor must be positive");
    } else if (*type != "none") {
      return Status::Error(fmt::format("unsupported: rope scaling type '{}'", *type));
    }
  } else if (f.Has(c.arch + ".rope.scale_linear")) {
    PARETO_READ(c.rope_linear_scale, hp.Float("rope.scale_linear", 1.0f));
    if (!(c.rope_linear_scale > 0)) return Status::Error("rope.scale_linear must be positive");
  }
#undef PARETO_READ

  WeightLoader load(f);
  const GgufTensorInfo* embd = f.FindTensor("token_embd.weight");
  if (embd == nullptr) return Status::Error("missing tensor 'token_embd.weight'");
  if (embd->dims.size() != 2 || embd->dims[1] <= 0 || embd->dims[1] > (1 << 30)) {
    return Status::Error(fmt::format("tensor 'token_embd.weight' has shape {}", Shape(embd->dims)));
  }
  c.n_vocab = static_cast<int>(embd->dims[1]);
  auto token_embd = load.Matrix("token_embd.weight", c.n_embd, c.n_vocab);
  if (!token_embd.ok()) return token_embd.status();
  m->token_embd_ = *token_embd;
  auto out_norm = load.Vector("output_norm.weight", c.n_embd);
  if (!out_norm.ok()) return out_norm.status();
  m->output_norm_ = std::move(*out_norm);
  if (f.FindTensor("output.weight") != nullptr) {
    auto out = load.Matrix("output.weight", c.n_embd, c.n_vocab);
    if (!out.ok()) return out.status();
    m->output_ = *out;
  } else {
    c.tied_output = true;
    m->output_ = m->token_embd_;
  }
  if (f.FindTensor("rope_freqs.weight") != nullptr) {
    auto factors = load.Vector("rope_freqs.weight", c.n_rot / 2);
    if (!factors.ok()) return factors.status();
    for (float v : *factors) {
      if (!(v > 0)) return Status::Error("rope_freqs.weight holds a non-positive factor");
    }
    m->rope_factors_ = std::move(*factors);
  }

  for (int i = 0; i < c.n_layer; ++i) {
    LayerWeights l;
    std::string p = fmt::format("blk.{}.", i);
#define PARETO_LOAD(field, expr)    \
  {                                 \
    auto v = (expr);                \
    if (!v.ok()) return v.status(); \
    field = std::move(*v);          \
  }
    PARETO_LOAD(l.attn_norm, load.Vector(p + "attn_norm.weight", c.n_embd));
    PARETO_LOAD(l.ffn_norm, load.Vector(p + "ffn_norm.weight", c.n_embd));
    PARETO_LOAD(l.wq, load.Matrix(p + "attn_q.weight", c.n_embd, c.q_dim()));
    PARETO_LOAD(l.wk, load.Matrix(p + "attn_k.weight", c.n_embd, c.kv_dim()));
    PARETO_LOAD(l.wv, load.Matrix(p + "attn_v.weight", c.n_embd, c.kv_dim()));
    PARETO_LOAD(l.wo, load.Matrix(p + "attn_output.weight", c.q_dim(), c.n_embd));
    PARETO_LOAD(l.w_gate, load.Matrix(p + "ffn_gate.weight", c.n_embd, c.n_ff));
    PARETO_LOAD(l.w_up, load.Matrix(p + "ffn_up.weight", c.n_embd, c.n_ff));
    PARETO_LOAD(l.w_down, load.Matrix(p + "ffn_down.weight", c.n_ff, c.n_embd));
    if (c.qkv_bias) {
      PARETO_LOAD(l.bq, load.Vector(p + "attn_q.bias", c.q_dim()));
      PARETO_LOAD(l.bk, load.Vector(p + "attn_k.bias", c.kv_dim()));
      PARETO_LOAD(l.bv, load.Vector(p + "attn_v.bias", c.kv_dim()));
    }
#undef PARETO_LOAD
    m->layers_.push_back(std::move(l));
  }
  if (options.repack) {
    // The embedding keeps the file layout (rows are looked up, not multiplied); the output
    // projection gets its own repacked copy even when it is tied to the embedding.
    auto repack = [&](WeightMatrix& w) {
      std::vector<uint8_t> storage;
      if (auto packed = Repack(w, storage, options.isa.value_or(DetectIsa()))) {
        // The file's copy is not read again (unless it is also the embedding): let the OS
        // drop its pages, so memory holds one copy of the weights.
        if (w.data != m->token_embd_.data) {
          f.ReleasePages({w.data, w.row_bytes * static_cast<size_t>(w.rows)});
        }
        w = *packed;
        m->repacked_.push_back(std::move(storage));
      }
    };
    repack(m->output_);
    for (LayerWeights& l : m->layers_) {
      for (WeightMatrix* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
        repack(*w);
    }
  }
  m->parameters_ = load.parameters();
  m->weight_bytes_ = load.bytes();
  m->dominant_type_ = load.dominant_type();
  return m;
}

}  // namespace pareto::inference
