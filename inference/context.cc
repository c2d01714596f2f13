#include "inference/context.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "inference/quants.h"

namespace pareto::inference {
namespace {

void AddBias(float* x, const std::vector<float>& bias, int n) {
  const size_t dim = bias.size();
  for (int i = 0; i < n; ++i) {
    for (size_t d = 0; d < dim; ++d) x[i * dim + d] += bias[d];
  }
}

// Rotates the first n_rot dimensions of each of n_heads heads of one token; `cs` holds
// cos and sin of each of the n_rot/2 angles of the token's position.
void Rope(float* x, int n_heads, int head_dim, int n_rot, RopeStyle style, const float* cs) {
  const int half = n_rot / 2;
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<size_t>(h) * head_dim;
    for (int i = 0; i < half; ++i) {
      const float c = cs[2 * i], s = cs[2 * i + 1];
      const int a = style == RopeStyle::kAdjacentPairs ? 2 * i : i;
      const int b = style == RopeStyle::kAdjacentPairs ? 2 * i + 1 : i + half;
      const float x0 = v[a], x1 = v[b];
      v[a] = x0 * c - x1 * s;
      v[b] = x0 * s + x1 * c;
    }
  }
}

uint64_t MatrixBytes(const WeightMatrix& w) { return w.row_bytes * static_cast<uint64_t>(w.rows); }

}  // namespace

std::string KvTypeName(KvType type) { return type == KvType::kF16 ? "f16" : "f32"; }

std::optional<KvType> ParseKvType(std::string_view name) {
  if (name == "f32") return KvType::kF32;
  if (name == "f16") return KvType::kF16;
  return std::nullopt;
}

Result<std::unique_ptr<Context>> Context::Create(const Model& model,
                                                 const ContextOptions& options) {
  if (options.n_ctx <= 0 || options.n_seq <= 0) {
    return Status::Error("context size and sequence count must be positive");
  }
  Isa isa = options.isa.value_or(DetectIsa());
  auto available = AvailableIsas();
  if (std::find(available.begin(), available.end(), isa) == available.end()) {
    return Status::Error("this CPU lacks the instruction set " + IsaName(isa));
  }
  int threads = options.n_threads;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const ModelConfig& c = model.config();
  uint64_t elements = static_cast<uint64_t>(c.n_layer) * options.n_seq * options.n_ctx * c.kv_dim();
  if (elements > (uint64_t{1} << 36)) {
    return Status::Error(fmt::format("a KV cache of {} x {} positions would not fit in memory",
                                     options.n_seq, options.n_ctx));
  }
  std::unique_ptr<Context> ctx(new Context(model, options, isa, threads));
  ctx->kv_elements_ = elements;
  ctx->k_cache_.reset(new uint8_t[elements * ctx->kv_element_bytes_]);
  ctx->v_cache_.reset(new uint8_t[elements * ctx->kv_element_bytes_]);
  return ctx;
}

Context::Context(const Model& model, const ContextOptions& options, Isa isa, int threads)
    : model_(model),
      n_ctx_(options.n_ctx),
      n_seq_(options.n_seq),
      isa_(isa),
      kv_type_(options.kv_type),
      kv_element_bytes_(options.kv_type == KvType::kF16 ? sizeof(uint16_t) : sizeof(float)),
      pool_(threads),
      seq_len_(static_cast<size_t>(options.n_seq), 0) {
  const ModelConfig& c = model.config();
  // Rotation frequencies: base^(-2i/n_rot), divided by the file's per-frequency factors
  // (Llama 3) and by the linear position scale.
  rope_inv_freq_.resize(static_cast<size_t>(c.n_rot / 2));
  for (int i = 0; i < c.n_rot / 2; ++i) {
    double f = std::pow(static_cast<double>(c.rope_base), -2.0 * i / c.n_rot);
    if (!model.rope_freq_factors().empty()) f /= model.rope_freq_factors()[i];
    rope_inv_freq_[i] = static_cast<float>(f / c.rope_linear_scale);
  }
}

void Context::EnsureScratch(int n) {
  if (n <= capacity_) return;
  const ModelConfig& c = model_.config();
  const size_t m = static_cast<size_t>(n);
  x_.resize(m * c.n_embd);
  xn_.resize(m * c.n_embd);
  out_.resize(m * c.n_embd);
  q_.resize(m * c.q_dim());
  att_.resize(m * c.q_dim());
  k_.resize(m * c.kv_dim());
  v_.resize(m * c.kv_dim());
  gate_.resize(m * c.n_ff);
  up_.resize(m * c.n_ff);
  scores_.resize(static_cast<size_t>(pool_.size()) * (c.n_head / c.n_head_kv) * n_ctx_);
  capacity_ = n;
}

uint8_t* Context::CacheAt(const std::unique_ptr<uint8_t[]>& cache, int layer, int seq,
                          int pos) const {
  const size_t kv = static_cast<size_t>(model_.config().kv_dim());
  return cache.get() +
         ((static_cast<size_t>(layer) * n_seq_ + seq) * n_ctx_ + pos) * kv * kv_element_bytes_;
}

void Context::Store(const float* x, uint8_t* entry) const {
  const int kv = model_.config().kv_dim();
  if (kv_type_ == KvType::kF16) {
    FloatsToHalves(isa_, x, reinterpret_cast<uint16_t*>(entry), kv);
  } else {
    std::memcpy(entry, x, static_cast<size_t>(kv) * sizeof(float));
  }
}

void Context::TruncateSequence(int seq, int length) {
  if (seq < 0 || seq >= n_seq_) return;
  seq_len_[seq] = std::clamp(length, 0, seq_len_[seq]);
}

// Causal attention of each batch token over its own sequence's cache, positions 0..pos.
// A task is one token's query heads that share a key/value head (or a part of them, when
// there would be too few tasks to keep the threads busy).
void Context::Attention(int layer, int n, const int* seqs, const int* positions) {
  const ModelConfig& c = model_.config();
  const int hd = c.head_dim;
  const int group = c.n_head / c.n_head_kv;
  int parts = 1;
  while (n * c.n_head_kv * parts < 4 * pool_.size() && group % (parts * 2) == 0) parts *= 2;
  const int heads = group / parts;  // query heads per task
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const size_t stride = static_cast<size_t>(c.kv_dim());
  const size_t ld = static_cast<size_t>(n_ctx_);
  // E: the cache's element type (the kernels have an overload for each).
  auto attend = [&]<typename E>(E) {
    pool_.Run(n * c.n_head_kv * parts, [&](int task, int worker) {
      const int i = task / (c.n_head_kv * parts), rest = task % (c.n_head_kv * parts);
      const int g = rest / parts, h0 = g * group + rest % parts * heads;
      const int seq = seqs[i], len = positions[i] + 1;
      const size_t q_offset = static_cast<size_t>(i) * c.q_dim() + static_cast<size_t>(h0) * hd;
      float* scores = scores_.data() + static_cast<size_t>(worker) * group * ld;
      const E* keys = reinterpret_cast<const E*>(CacheAt(k_cache_, layer, seq, 0)) + g * hd;
      const E* values = reinterpret_cast<const E*>(CacheAt(v_cache_, layer, seq, 0)) + g * hd;
      AttentionScores(isa_, q_.data() + q_offset, heads, keys, stride, len, hd, scale, scores, ld);
      for (int h = 0; h < heads; ++h) Softmax(isa_, scores + h * ld, len);
      AttentionValues(isa_, scores, ld, heads, values, stride, len, hd, att_.data() + q_offset);
    });
  };
  if (kv_type_ == KvType::kF16) {
    attend(uint16_t{});
  } else {
    attend(float{});
  }
}

Status Context::Decode(std::span<const BatchEntry> batch, std::vector<float>* logits) {
  const ModelConfig& c = model_.config();
  const int n = static_cast<int>(batch.size());
  if (n == 0) return Status::Ok();
  std::vector<int> seqs(n), positions(n);
  std::vector<int> added(static_cast<size_t>(n_seq_), 0);
  int n_logits = 0;
  for (int i = 0; i < n; ++i) {
    const BatchEntry& e = batch[i];
    if (e.token < 0 || e.token >= c.n_vocab) {
      return Status::Error(
          fmt::format("token id {} is outside the vocabulary (0..{})", e.token, c.n_vocab - 1));
    }
    if (e.seq < 0 || e.seq >= n_seq_) {
      return Status::Error(
          fmt::format("sequence {} does not exist (the context holds {})", e.seq, n_seq_));
    }
    seqs[i] = e.seq;
    positions[i] = seq_len_[e.seq] + added[e.seq]++;
    if (positions[i] >= n_ctx_) {
      return Status::Error(
          fmt::format("sequence {} is full: the context holds {} positions", e.seq, n_ctx_));
    }
    if (e.logits) ++n_logits;
  }
  EnsureScratch(n);
  ForwardCounters counters;
  counters.tokens = n;
  const size_t embd = static_cast<size_t>(c.n_embd);
  const size_t kv_dim = static_cast<size_t>(c.kv_dim());

  // Token embeddings.
  const WeightMatrix& te = model_.token_embedding();
  for (int i = 0; i < n; ++i) {
    DequantizeRow(te.type, te.data + static_cast<size_t>(batch[i].token) * te.row_bytes, c.n_embd,
                  x_.data() + i * embd);
  }
  counters.weight_bytes += static_cast<uint64_t>(n) * te.row_bytes;

  // The rotation angles depend only on the position: cos and sin once per token.
  const int half_rot = c.n_rot / 2;
  rope_cs_.resize(static_cast<size_t>(n) * c.n_rot);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < half_rot; ++j) {
      double angle = static_cast<double>(positions[i]) * rope_inv_freq_[j];
      rope_cs_[i * c.n_rot + 2 * j] = static_cast<float>(std::cos(angle));
      rope_cs_[i * c.n_rot + 2 * j + 1] = static_cast<float>(std::sin(angle));
    }
  }

  // xn = RMS-normalised x, row by row; x += out (the residual stream).
  auto norm = [&](const std::vector<float>& weight) {
    for (int i = 0; i < n; ++i) {
      RmsNormRow(isa_, x_.data() + i * embd, weight.data(), c.n_embd, c.rms_eps,
                 xn_.data() + i * embd);
    }
  };
  auto residual = [&] {
    for (int i = 0; i < n; ++i)
      AxpyF32(isa_, 1.0f, out_.data() + i * embd, x_.data() + i * embd, c.n_embd);
  };

  auto count = [&](const WeightMatrix& w) {
    counters.flops += 2.0 * static_cast<double>(w.rows) * w.cols * n;
    counters.weight_bytes += MatrixBytes(w);
  };
  auto matmul = [&](const WeightMatrix& w, const float* in, float* out) {
    MatMul(isa_, w, in, n, out, mm_scratch_, &pool_);
    count(w);
  };
  // Products of one input: its activations prepared once, one parallel loop.
  auto shared_matmul = [&](std::span<const MatMulJob> jobs, const float* in) {
    MatMulShared(isa_, jobs, in, n, mm_scratch_, &pool_);
    for (const MatMulJob& j : jobs) count(*j.w);
  };

  for (int l = 0; l < c.n_layer; ++l) {
    const LayerWeights& w = model_.layers()[l];
    // Attention block.
    norm(w.attn_norm);
    const MatMulJob qkv[] = {{&w.wq, q_.data()}, {&w.wk, k_.data()}, {&w.wv, v_.data()}};
    shared_matmul(qkv, xn_.data());
    if (c.qkv_bias) {
      AddBias(q_.data(), w.bq, n);
      AddBias(k_.data(), w.bk, n);
      AddBias(v_.data(), w.bv, n);
    }
    for (int i = 0; i < n; ++i) {
      const float* cs = rope_cs_.data() + static_cast<size_t>(i) * c.n_rot;
      Rope(q_.data() + i * static_cast<size_t>(c.q_dim()), c.n_head, c.head_dim, c.n_rot,
           c.rope_style, cs);
      Rope(k_.data() + i * kv_dim, c.n_head_kv, c.head_dim, c.n_rot, c.rope_style, cs);
      Store(k_.data() + i * kv_dim, CacheAt(k_cache_, l, seqs[i], positions[i]));
      Store(v_.data() + i * kv_dim, CacheAt(v_cache_, l, seqs[i], positions[i]));
    }
    Attention(l, n, seqs.data(), positions.data());
    matmul(w.wo, att_.data(), out_.data());
    residual();

    // Feed-forward block.
    norm(w.ffn_norm);
    const MatMulJob gate_up[] = {{&w.w_gate, gate_.data()}, {&w.w_up, up_.data()}};
    shared_matmul(gate_up, xn_.data());
    for (int i = 0; i < n; ++i) {
      const size_t row = static_cast<size_t>(i) * c.n_ff;
      SiluMul(isa_, gate_.data() + row, up_.data() + row, c.n_ff);
    }
    matmul(w.w_down, gate_.data(), out_.data());
    residual();

    counters.weight_bytes +=
        (w.attn_norm.size() + w.ffn_norm.size() + w.bq.size() + w.bk.size() + w.bv.size()) *
        sizeof(float);
    for (int i = 0; i < n; ++i) {
      // Scores and weighted sum: 2 * head_dim flops per head and position, each.
      double ctx = positions[i] + 1.0;
      counters.flops += 4.0 * c.n_head * c.head_dim * ctx;
      counters.kv_bytes_read += static_cast<uint64_t>(ctx * 2 * kv_dim * kv_element_bytes_);
    }
    counters.kv_bytes_written += static_cast<uint64_t>(n) * 2 * kv_dim * kv_element_bytes_;
  }

  // Final norm and output projection, only for the positions that want logits.
  if (logits != nullptr && n_logits == 0) logits->clear();
  if (n_logits > 0 && logits != nullptr) {
    std::vector<float> rows(static_cast<size_t>(n_logits) * embd);
    int k = 0;
    for (int i = 0; i < n; ++i) {
      if (!batch[i].logits) continue;
      RmsNormRow(isa_, x_.data() + i * embd, model_.output_norm().data(), c.n_embd, c.rms_eps,
                 rows.data() + k * embd);
      ++k;
    }
    // Every value is written below; not clearing first spares zeroing the buffer (a
    // megabyte at batch 8) on every step.
    logits->resize(static_cast<size_t>(n_logits) * c.n_vocab);
    const WeightMatrix& out = model_.output();
    MatMul(isa_, out, rows.data(), n_logits, logits->data(), mm_scratch_, &pool_);
    counters.flops += 2.0 * static_cast<double>(out.rows) * out.cols * n_logits;
    counters.weight_bytes += MatrixBytes(out) + embd * sizeof(float);
  }

  for (int s = 0; s < n_seq_; ++s) seq_len_[s] += added[s];
  last_ = counters;
  return Status::Ok();
}

Result<std::vector<float>> Context::Eval(std::span<const int32_t> tokens, int seq, bool all) {
  std::vector<BatchEntry> batch(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    batch[i] = {tokens[i], seq, all || i + 1 == tokens.size()};
  }
  std::vector<float> logits;
  Status s = Decode(batch, &logits);
  if (!s.ok()) return s;
  return logits;
}

}  // namespace pareto::inference
