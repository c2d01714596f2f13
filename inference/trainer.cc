#include "inference/trainer.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numbers>
#include <random>

#include "inference/kernels.h"
#include "inference/thread_pool.h"

namespace pareto::inference {
namespace {

// A batch is cut into at most this many shards, whatever the thread count, so the order
// of every floating-point sum is fixed by the batch alone.
constexpr int kMaxShards = 8;
// Element ranges of the parameter vector for parallel reductions and updates.
constexpr size_t kChunk = 1 << 14;

// ---- Vector operations: the core's kernels for float, plain loops for double ----

template <typename T>
struct Ops;

// MatMul: y[t][o] = sum_i W[o][i] x[t][i] (W has `out` rows of `in` values, as GGUF stores
// it). MatMulBackward, given dy: dx += dy W and dW += dy^T x.
template <>
struct Ops<float> {
  Isa isa = Isa::kPortable;
  float Dot(const float* a, const float* b, int n) const { return DotF32(isa, a, b, n); }
  void Axpy(float alpha, const float* x, float* y, int n) const { AxpyF32(isa, alpha, x, y, n); }
  // The core's F32 tile kernel on the calling thread (the shards are what runs in parallel).
  void MatMul(const float* W, const float* x, int n, int in, int out, float* y) const {
    const WeightMatrix m{TensorType::kF32,
                         reinterpret_cast<const uint8_t*>(W),
                         out,
                         in,
                         static_cast<size_t>(in) * sizeof(float),
                         WeightLayout::kFile};
    MatMulScratch none;  // F32 activations need no preparation
    inference::MatMul(isa, m, x, n, y, none, nullptr);
  }
  void MatMulBackward(const float* W, const float* x, const float* dy, int n, int in, int out,
                      float* dx, float* dW) const {
    const auto o = static_cast<size_t>(out), i = static_cast<size_t>(in);
    GemmAccumulateF32(isa, n, in, out, dy, 1, o, W, i, dx, i);  // dx[t] += sum_o dy[t][o] W[o]
    GemmAccumulateF32(isa, out, in, n, dy, o, 1, x, i, dW, i);  // dW[o] += sum_t dy[t][o] x[t]
  }
};

// The plain loops, in double: the reference the gradient checks run.
template <>
struct Ops<double> {
  double Dot(const double* a, const double* b, int n) const {
    double s = 0;
    for (int i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
  }
  void Axpy(double alpha, const double* x, double* y, int n) const {
    for (int i = 0; i < n; ++i) y[i] += alpha * x[i];
  }
  void MatMul(const double* W, const double* x, int n, int in, int out, double* y) const {
    for (int o = 0; o < out; ++o) {
      for (int t = 0; t < n; ++t) {
        y[static_cast<size_t>(t) * out + o] =
            Dot(W + static_cast<size_t>(o) * in, x + static_cast<size_t>(t) * in, in);
      }
    }
  }
  void MatMulBackward(const double* W, const double* x, const double* dy, int n, int in, int out,
                      double* dx, double* dW) const {
    for (int o = 0; o < out; ++o) {
      for (int t = 0; t < n; ++t) {
        const double g = dy[static_cast<size_t>(t) * out + o];
        Axpy(g, W + static_cast<size_t>(o) * in, dx + static_cast<size_t>(t) * in, in);
        Axpy(g, x + static_cast<size_t>(t) * in, dW + static_cast<size_t>(o) * in, in);
      }
    }
  }
};

// Where each tensor of one layer starts in the parameter vector.
struct LayerSlots {
  size_t attn_norm, wq, wk, wv, wo, ffn_norm, w_gate, w_up, w_down;
};

struct Slots {
  size_t token_embd = 0, output_norm = 0, output = 0;
  std::vector<LayerSlots> layers;
};

Slots SlotsOf(const TrainShape& s) {
  Slots slots;
  for (const ParameterTensor& t : ParameterLayout(s)) {
    if (t.name == "token_embd.weight") slots.token_embd = t.offset;
    if (t.name == "output_norm.weight") slots.output_norm = t.offset;
    if (t.name == "output.weight") slots.output = t.offset;
  }
  if (s.tied_output) slots.output = slots.token_embd;
  for (int l = 0; l < s.n_layer; ++l) {
    LayerSlots ls{};
    const std::string p = fmt::format("blk.{}.", l);
    for (const ParameterTensor& t : ParameterLayout(s)) {
      if (t.name.rfind(p, 0) != 0) continue;
      const std::string n = t.name.substr(p.size());
      if (n == "attn_norm.weight") ls.attn_norm = t.offset;
      if (n == "attn_q.weight") ls.wq = t.offset;
      if (n == "attn_k.weight") ls.wk = t.offset;
      if (n == "attn_v.weight") ls.wv = t.offset;
      if (n == "attn_output.weight") ls.wo = t.offset;
      if (n == "ffn_norm.weight") ls.ffn_norm = t.offset;
      if (n == "ffn_gate.weight") ls.w_gate = t.offset;
      if (n == "ffn_up.weight") ls.w_up = t.offset;
      if (n == "ffn_down.weight") ls.w_down = t.offset;
    }
    slots.layers.push_back(ls);
  }
  return slots;
}

// The core's rotary frequencies (Context::Create): base^(-2i/n_rot) in double, kept as float.
std::vector<float> RopeInverseFrequencies(const TrainShape& s) {
  const int n_rot = s.head_dim();
  std::vector<float> f(static_cast<size_t>(n_rot / 2));
  for (int i = 0; i < n_rot / 2; ++i) {
    f[i] = static_cast<float>(std::pow(static_cast<double>(s.rope_base), -2.0 * i / n_rot));
  }
  return f;
}

// ---- Losses at one position's logits (what the backward pass starts from) ----

// Cross-entropy of `target` under softmax(z); adds scale * dCE/dz to dz.
template <typename T>
double CrossEntropyAt(const T* z, int V, TokenId target, T scale, T* dz) {
  const T max = *std::max_element(z, z + V);
  double sum = 0;
  for (int v = 0; v < V; ++v) sum += std::exp(static_cast<double>(z[v] - max));
  for (int v = 0; v < V; ++v) {
    dz[v] += static_cast<T>(std::exp(static_cast<double>(z[v] - max)) / sum) * scale;
  }
  dz[target] -= scale;
  return std::log(sum) - static_cast<double>(z[target] - max);
}

// The KD term T^2 * KL(p || q) of trainer.h; adds scale * d/dz to dz, which is
// T * (q_v - p_v) (q over the whole vocabulary at temperature T, p over the top-k).
template <typename T>
double DistillAt(const T* z, int V, const SoftTarget& t, double temperature, T scale, T* dz) {
  const double inv_t = 1.0 / temperature;
  // p: the teacher's top-k, renormalised at temperature T.
  double pmax = -INFINITY;
  for (float l : t.logprobs) pmax = std::max(pmax, static_cast<double>(l) * inv_t);
  double psum = 0;
  for (float l : t.logprobs) psum += std::exp(static_cast<double>(l) * inv_t - pmax);
  // q: the student's softmax at temperature T.
  double zmax = -INFINITY;
  for (int v = 0; v < V; ++v) zmax = std::max(zmax, static_cast<double>(z[v]) * inv_t);
  double zsum = 0;
  for (int v = 0; v < V; ++v) zsum += std::exp(static_cast<double>(z[v]) * inv_t - zmax);
  const double log_zsum = std::log(zsum), log_psum = std::log(psum);
  double kl = 0;
  const double g = temperature * static_cast<double>(scale);
  for (int v = 0; v < V; ++v) {
    dz[v] += static_cast<T>(g * std::exp(static_cast<double>(z[v]) * inv_t - zmax - log_zsum));
  }
  for (size_t i = 0; i < t.ids.size(); ++i) {
    const double log_p = static_cast<double>(t.logprobs[i]) * inv_t - pmax - log_psum;
    const double log_q = static_cast<double>(z[t.ids[i]]) * inv_t - zmax - log_zsum;
    const double p = std::exp(log_p);
    kl += p * (log_p - log_q);
    dz[t.ids[i]] -= static_cast<T>(g * p);
  }
  return temperature * temperature * kl;
}

// Activations of one example kept for the backward pass, reused between examples.
template <typename T>
struct Workspace {
  struct Layer {
    std::vector<T> h_in, xn1, r1, q, k, v, p, o, h_mid, xn2, r2, g, u, m;
  };
  std::vector<Layer> layers;
  std::vector<T> h_out, xf, rf, cs, logits;
  // Gradients flowing back.
  std::vector<T> dh, dx, dq, dk, dv, dattn, dg, du, dm, dlogit;
};

// The forward and backward pass of the llama architecture over one sequence, written the
// plain way: one function per step, activations kept in a Workspace.
template <typename T>
class Net {
 public:
  Net(const TrainShape& shape, Ops<T> ops)
      : s_(shape), ops_(ops), slots_(SlotsOf(shape)), inv_freq_(RopeInverseFrequencies(shape)) {}

  // Runs `tokens` forward; fills w.logits with the logits of positions [first, n) (row after
  // row) when `first` < n.
  void Forward(const T* params, std::span<const TokenId> tokens, int first, Workspace<T>& w) const {
    const int n = static_cast<int>(tokens.size());
    const int D = s_.n_embd, F = s_.n_ff, H = s_.n_head, KV = s_.kv_dim(), hd = s_.head_dim();
    w.layers.resize(static_cast<size_t>(s_.n_layer));
    Angles(n, w.cs);
    std::vector<T> x(static_cast<size_t>(n) * D);
    for (int t = 0; t < n; ++t) {
      const T* e = params + slots_.token_embd + static_cast<size_t>(tokens[t]) * D;
      std::copy_n(e, D, x.data() + static_cast<size_t>(t) * D);
    }
    for (int l = 0; l < s_.n_layer; ++l) {
      const LayerSlots& ls = slots_.layers[l];
      auto& a = w.layers[l];
      a.h_in = x;
      RmsNorm(x.data(), params + ls.attn_norm, n, a.xn1, a.r1);
      MatMul(params + ls.wq, a.xn1.data(), n, D, D, a.q);
      MatMul(params + ls.wk, a.xn1.data(), n, D, KV, a.k);
      MatMul(params + ls.wv, a.xn1.data(), n, D, KV, a.v);
      for (int t = 0; t < n; ++t) {
        Rope(a.q.data() + static_cast<size_t>(t) * D, H, w.cs.data() + t * hd, false);
        Rope(a.k.data() + static_cast<size_t>(t) * KV, s_.n_head_kv, w.cs.data() + t * hd, false);
      }
      Attend(n, a);
      std::vector<T> out;
      MatMul(params + ls.wo, a.o.data(), n, D, D, out);
      for (size_t i = 0; i < x.size(); ++i) x[i] += out[i];
      a.h_mid = x;
      RmsNorm(x.data(), params + ls.ffn_norm, n, a.xn2, a.r2);
      MatMul(params + ls.w_gate, a.xn2.data(), n, D, F, a.g);
      MatMul(params + ls.w_up, a.xn2.data(), n, D, F, a.u);
      a.m.resize(a.g.size());
      for (size_t i = 0; i < a.g.size(); ++i) a.m[i] = Silu(a.g[i]) * a.u[i];
      MatMul(params + ls.w_down, a.m.data(), n, F, D, out);
      for (size_t i = 0; i < x.size(); ++i) x[i] += out[i];
    }
    w.h_out = std::move(x);
    RmsNorm(w.h_out.data(), params + slots_.output_norm, n, w.xf, w.rf);
    if (first < n) {
      MatMul(params + slots_.output, w.xf.data() + static_cast<size_t>(first) * D, n - first, D,
             s_.n_vocab, w.logits);
    }
  }

  // Forward and backward for one example: returns the summed cross-entropy of its answer
  // tokens and adds `scale` times its gradient to `grad`.
  double LossAndGradient(const T* params, const TrainExample& ex, T scale, T* grad, Workspace<T>& w,
                         const DistillOptions& distill) const {
    const int n = static_cast<int>(ex.tokens.size());
    const int first = ex.n_prompt - 1;  // the position predicting the first answer token
    const int D = s_.n_embd, F = s_.n_ff, H = s_.n_head, KV = s_.kv_dim(), hd = s_.head_dim();
    const int V = s_.n_vocab;
    Forward(params, std::span(ex.tokens).first(static_cast<size_t>(n - 1)), first, w);
    const int rows = n - 1 - first;

    // The loss and its gradient at the logits: cross-entropy, mixed with the KD term where
    // the example carries the teacher's distribution.
    double loss = 0;
    w.dlogit.assign(static_cast<size_t>(rows) * V, T(0));
    const T alpha = static_cast<T>(distill.alpha);
    for (int r = 0; r < rows; ++r) {
      const T* z = w.logits.data() + static_cast<size_t>(r) * V;
      T* dz = w.dlogit.data() + static_cast<size_t>(r) * V;
      const TokenId target = ex.tokens[first + r + 1];
      const bool soft = static_cast<size_t>(r) < ex.soft.size() && !ex.soft[r].ids.empty();
      if (!soft) {
        loss += CrossEntropyAt(z, V, target, scale, dz);
        continue;
      }
      loss += static_cast<double>(alpha) *
              DistillAt(z, V, ex.soft[r], distill.temperature, alpha * scale, dz);
      loss += static_cast<double>(T(1) - alpha) *
              CrossEntropyAt(z, V, target, (T(1) - alpha) * scale, dz);
    }

    // Output projection and final norm.
    const int m = n - 1;
    w.dh.assign(static_cast<size_t>(m) * D, T(0));
    std::vector<T> dxf(static_cast<size_t>(m) * D, T(0));
    MatMulBackward(params + slots_.output, w.xf.data() + static_cast<size_t>(first) * D,
                   w.dlogit.data(), rows, D, V, dxf.data() + static_cast<size_t>(first) * D,
                   grad + slots_.output);
    RmsNormBackward(w.h_out.data(), params + slots_.output_norm, w.rf.data(), dxf.data(), m,
                    w.dh.data(), grad + slots_.output_norm);

    for (int l = s_.n_layer - 1; l >= 0; --l) {
      const LayerSlots& ls = slots_.layers[l];
      auto& a = w.layers[l];
      // Feed-forward block: dh is the gradient at the block's output, which the residual
      // passes straight to its input.
      w.dm.assign(static_cast<size_t>(m) * F, T(0));
      MatMulBackward(params + ls.w_down, a.m.data(), w.dh.data(), m, F, D, w.dm.data(),
                     grad + ls.w_down);
      w.dg.resize(w.dm.size());
      w.du.resize(w.dm.size());
      for (size_t i = 0; i < w.dm.size(); ++i) {
        const T g = a.g[i], sig = Sigmoid(g);
        w.du[i] = w.dm[i] * g * sig;
        w.dg[i] = w.dm[i] * a.u[i] * sig * (T(1) + g * (T(1) - sig));
      }
      w.dx.assign(static_cast<size_t>(m) * D, T(0));
      MatMulBackward(params + ls.w_gate, a.xn2.data(), w.dg.data(), m, D, F, w.dx.data(),
                     grad + ls.w_gate);
      MatMulBackward(params + ls.w_up, a.xn2.data(), w.du.data(), m, D, F, w.dx.data(),
                     grad + ls.w_up);
      RmsNormBackward(a.h_mid.data(), params + ls.ffn_norm, a.r2.data(), w.dx.data(), m,
                      w.dh.data(), grad + ls.ffn_norm);

      // Attention block.
      w.dattn.assign(static_cast<size_t>(m) * D, T(0));
      MatMulBackward(params + ls.wo, a.o.data(), w.dh.data(), m, D, D, w.dattn.data(),
                     grad + ls.wo);
      AttendBackward(m, a, w);
      for (int t = 0; t < m; ++t) {
        Rope(w.dq.data() + static_cast<size_t>(t) * D, H, w.cs.data() + t * hd, true);
        Rope(w.dk.data() + static_cast<size_t>(t) * KV, s_.n_head_kv, w.cs.data() + t * hd, true);
      }
      w.dx.assign(static_cast<size_t>(m) * D, T(0));
      MatMulBackward(params + ls.wq, a.xn1.data(), w.dq.data(), m, D, D, w.dx.data(), grad + ls.wq);
      MatMulBackward(params + ls.wk, a.xn1.data(), w.dk.data(), m, D, KV, w.dx.data(),
                     grad + ls.wk);
      MatMulBackward(params + ls.wv, a.xn1.data(), w.dv.data(), m, D, KV, w.dx.data(),
                     grad + ls.wv);
      RmsNormBackward(a.h_in.data(), params + ls.attn_norm, a.r1.data(), w.dx.data(), m,
                      w.dh.data(), grad + ls.attn_norm);
    }
    for (int t = 0; t < m; ++t) {
      ops_.Axpy(T(1), w.dh.data() + static_cast<size_t>(t) * D,
                grad + slots_.token_embd + static_cast<size_t>(ex.tokens[t]) * D, D);
    }
    return loss;
  }

 private:
  static T Sigmoid(T x) { return T(1) / (T(1) + std::exp(-x)); }
  static T Silu(T x) { return x / (T(1) + std::exp(-x)); }

  // cos and sin of each rotation angle of each position, as the core computes them.
  void Angles(int n, std::vector<T>& cs) const {
    const int half = s_.head_dim() / 2;
    cs.resize(static_cast<size_t>(n) * 2 * half);
    for (int t = 0; t < n; ++t) {
      for (int j = 0; j < half; ++j) {
        const double angle = static_cast<double>(t) * inv_freq_[j];
        cs[static_cast<size_t>(t) * 2 * half + 2 * j] = static_cast<T>(std::cos(angle));
        cs[static_cast<size_t>(t) * 2 * half + 2 * j + 1] = static_cast<T>(std::sin(angle));
      }
    }
  }

  // Rotates adjacent pairs (x[2i], x[2i+1]) of each head by the position's angles, or back
  // by them (the backward pass of a rotation is the inverse rotation).
  void Rope(T* x, int n_heads, const T* cs, bool inverse) const {
    const int hd = s_.head_dim();
    for (int h = 0; h < n_heads; ++h) {
      T* v = x + static_cast<size_t>(h) * hd;
      for (int i = 0; i < hd / 2; ++i) {
        const T c = cs[2 * i], sn = inverse ? -cs[2 * i + 1] : cs[2 * i + 1];
        const T x0 = v[2 * i], x1 = v[2 * i + 1];
        v[2 * i] = x0 * c - x1 * sn;
        v[2 * i + 1] = x0 * sn + x1 * c;
      }
    }
  }

  // out = x / sqrt(mean(x^2) + eps) * weight per row; r keeps each row's 1/sqrt(...).
  void RmsNorm(const T* x, const T* weight, int n, std::vector<T>& out, std::vector<T>& r) const {
    const int D = s_.n_embd;
    out.resize(static_cast<size_t>(n) * D);
    r.resize(static_cast<size_t>(n));
    for (int t = 0; t < n; ++t) {
      const T* row = x + static_cast<size_t>(t) * D;
      const T ss = ops_.Dot(row, row, D);
      r[t] = T(1) / std::sqrt(ss / static_cast<T>(D) + static_cast<T>(s_.rms_eps));
      T* o = out.data() + static_cast<size_t>(t) * D;
      for (int i = 0; i < D; ++i) o[i] = row[i] * r[t] * weight[i];
    }
  }

  // Given dy at a norm's output: adds the gradient at its input to dx and at its weight to dw.
  void RmsNormBackward(const T* x, const T* weight, const T* r, const T* dy, int n, T* dx,
                       T* dw) const {
    const int D = s_.n_embd;
    for (int t = 0; t < n; ++t) {
      const T* xr = x + static_cast<size_t>(t) * D;
      const T* dyr = dy + static_cast<size_t>(t) * D;
      T* dxr = dx + static_cast<size_t>(t) * D;
      T dot = 0;
      for (int i = 0; i < D; ++i) {
        dw[i] += dyr[i] * xr[i] * r[t];
        dot += dyr[i] * weight[i] * xr[i];
      }
      const T k = dot * r[t] * r[t] * r[t] / static_cast<T>(D);
      for (int i = 0; i < D; ++i) dxr[i] += dyr[i] * weight[i] * r[t] - k * xr[i];
    }
  }

  void MatMul(const T* W, const T* x, int n, int in, int out, std::vector<T>& y) const {
    y.resize(static_cast<size_t>(n) * out);
    ops_.MatMul(W, x, n, in, out, y.data());
  }
  void MatMulBackward(const T* W, const T* x, const T* dy, int n, int in, int out, T* dx,
                      T* dW) const {
    ops_.MatMulBackward(W, x, dy, n, in, out, dx, dW);
  }

  // Causal attention of every head: p[h][t][j] = softmax_j(q_t . k_j / sqrt(hd)), j <= t,
  // and o_t = sum_j p[h][t][j] v_j; query head h reads key/value head h / (H / KV heads).
  template <typename L>
  void Attend(int n, L& a) const {
    const int H = s_.n_head, hd = s_.head_dim(), D = s_.n_embd, KV = s_.kv_dim();
    const int group = s_.n_head / s_.n_head_kv;
    const T scale = T(1) / std::sqrt(static_cast<T>(hd));
    a.p.assign(static_cast<size_t>(H) * n * n, T(0));
    a.o.assign(static_cast<size_t>(n) * D, T(0));
    for (int h = 0; h < H; ++h) {
      const int kvh = h / group;
      for (int t = 0; t < n; ++t) {
        const T* q = a.q.data() + static_cast<size_t>(t) * D + h * hd;
        T* p = a.p.data() + (static_cast<size_t>(h) * n + t) * n;
        T max = -INFINITY;
        for (int j = 0; j <= t; ++j) {
          p[j] = scale * ops_.Dot(q, a.k.data() + static_cast<size_t>(j) * KV + kvh * hd, hd);
          max = std::max(max, p[j]);
        }
        T sum = 0;
        for (int j = 0; j <= t; ++j) {
          p[j] = std::exp(p[j] - max);
          sum += p[j];
        }
        T* o = a.o.data() + static_cast<size_t>(t) * D + h * hd;
        for (int j = 0; j <= t; ++j) {
          p[j] /= sum;
          ops_.Axpy(p[j], a.v.data() + static_cast<size_t>(j) * KV + kvh * hd, o, hd);
        }
      }
    }
  }

  // From w.dattn (the gradient at the attention output): w.dq, w.dk, w.dv.
  template <typename L>
  void AttendBackward(int n, const L& a, Workspace<T>& w) const {
    const int H = s_.n_head, hd = s_.head_dim(), D = s_.n_embd, KV = s_.kv_dim();
    const int group = s_.n_head / s_.n_head_kv;
    const T scale = T(1) / std::sqrt(static_cast<T>(hd));
    w.dq.assign(static_cast<size_t>(n) * D, T(0));
    w.dk.assign(static_cast<size_t>(n) * KV, T(0));
    w.dv.assign(static_cast<size_t>(n) * KV, T(0));
    std::vector<T> dp(static_cast<size_t>(n));
    for (int h = 0; h < H; ++h) {
      const int kvh = h / group;
      for (int t = 0; t < n; ++t) {
        const T* p = a.p.data() + (static_cast<size_t>(h) * n + t) * n;
        const T* q = a.q.data() + static_cast<size_t>(t) * D + h * hd;
        const T* dout = w.dattn.data() + static_cast<size_t>(t) * D + h * hd;
        T weighted = 0;
        for (int j = 0; j <= t; ++j) {
          const size_t kv = static_cast<size_t>(j) * KV + kvh * hd;
          dp[j] = ops_.Dot(dout, a.v.data() + kv, hd);
          weighted += p[j] * dp[j];
          ops_.Axpy(p[j], dout, w.dv.data() + kv, hd);
        }
        T* dq = w.dq.data() + static_cast<size_t>(t) * D + h * hd;
        for (int j = 0; j <= t; ++j) {
          const size_t kv = static_cast<size_t>(j) * KV + kvh * hd;
          const T ds = p[j] * (dp[j] - weighted) * scale;
          if (ds == T(0)) continue;
          ops_.Axpy(ds, a.k.data() + kv, dq, hd);
          ops_.Axpy(ds, q, w.dk.data() + kv, hd);
        }
      }
    }
  }

  TrainShape s_;
  Ops<T> ops_;
  Slots slots_;
  std::vector<float> inv_freq_;
};

Status CheckBatch(const TrainShape& s, std::span<const TrainExample> batch) {
  if (batch.empty()) return Status::Error("a batch needs at least one example");
  for (size_t i = 0; i < batch.size(); ++i) {
    const TrainExample& ex = batch[i];
    const size_t n = ex.tokens.size();
    if (ex.n_prompt < 1 || static_cast<size_t>(ex.n_prompt) >= n) {
      return Status::Error(fmt::format(
          "example {}: needs a prompt of at least one token and an answer (prompt {}, {} tokens)",
          i, ex.n_prompt, n));
    }
    if (n > static_cast<size_t>(s.n_ctx)) {
      return Status::Error(
          fmt::format("example {}: {} tokens exceed the context of {}", i, n, s.n_ctx));
    }
    for (TokenId t : ex.tokens) {
      if (t < 0 || t >= s.n_vocab) {
        return Status::Error(
            fmt::format("example {}: token {} outside the vocabulary of {}", i, t, s.n_vocab));
      }
    }
    if (ex.soft.size() > n - static_cast<size_t>(ex.n_prompt)) {
      return Status::Error(fmt::format("example {}: {} soft targets for {} answer tokens", i,
                                       ex.soft.size(), n - static_cast<size_t>(ex.n_prompt)));
    }
    for (size_t r = 0; r < ex.soft.size(); ++r) {
      const SoftTarget& t = ex.soft[r];
      if (t.ids.size() != t.logprobs.size()) {
        return Status::Error(
            fmt::format("example {}, answer token {}: {} soft ids but {} log-probabilities", i, r,
                        t.ids.size(), t.logprobs.size()));
      }
      for (size_t k = 0; k < t.ids.size(); ++k) {
        if (t.ids[k] < 0 || t.ids[k] >= s.n_vocab || !std::isfinite(t.logprobs[k])) {
          return Status::Error(fmt::format(
              "example {}, answer token {}: soft target {} (token {}, log-probability {}) is "
              "outside the vocabulary or not finite",
              i, r, k, t.ids[k], t.logprobs[k]));
        }
      }
    }
  }
  return Status::Ok();
}

Status CheckDistill(const DistillOptions& d) {
  if (!(d.temperature > 0) || !std::isfinite(d.temperature)) {
    return Status::Error(
        fmt::format("the distillation temperature must be positive, got {}", d.temperature));
  }
  if (!(d.alpha >= 0 && d.alpha <= 1)) {
    return Status::Error(fmt::format("alpha must lie in [0, 1], got {}", d.alpha));
  }
  return Status::Ok();
}

int64_t TargetCount(std::span<const TrainExample> batch) {
  int64_t n = 0;
  for (const TrainExample& ex : batch) n += static_cast<int64_t>(ex.tokens.size()) - ex.n_prompt;
  return n;
}

constexpr const char* kMomentM = "pareto.adam.m";
constexpr const char* kMomentV = "pareto.adam.v";
constexpr const char* kStepKey = "pareto.train.step";

std::vector<uint8_t> FloatBytes(const float* v, size_t n) {
  std::vector<uint8_t> out(n * sizeof(float));
  std::memcpy(out.data(), v, out.size());
  return out;
}

}  // namespace

Status CheckShape(const TrainShape& s) {
  if (s.n_vocab <= 0 || s.n_embd <= 0 || s.n_layer <= 0 || s.n_head <= 0 || s.n_head_kv <= 0 ||
      s.n_ff <= 0 || s.n_ctx <= 1) {
    return Status::Error("model sizes must be positive (and the context at least 2)");
  }
  if (s.n_embd % s.n_head != 0 || s.head_dim() % 2 != 0) {
    return Status::Error(fmt::format(
        "embedding size {} must be an even multiple of the head count {}", s.n_embd, s.n_head));
  }
  if (s.n_head % s.n_head_kv != 0) {
    return Status::Error(fmt::format("head count {} must be a multiple of the KV head count {}",
                                     s.n_head, s.n_head_kv));
  }
  if (static_cast<int64_t>(s.n_embd) * std::max(s.n_vocab, s.n_ff) > (int64_t{1} << 31)) {
    return Status::Error("model too large to train here");
  }
  return Status::Ok();
}

std::vector<ParameterTensor> ParameterLayout(const TrainShape& s) {
  std::vector<ParameterTensor> out;
  size_t offset = 0;
  auto add = [&](std::string name, std::vector<int64_t> dims) {
    size_t size = 1;
    for (int64_t d : dims) size *= static_cast<size_t>(d);
    const bool matrix = dims.size() == 2;
    out.push_back({std::move(name), std::move(dims), offset, size, matrix});
    offset += size;
  };
  const int D = s.n_embd, KV = s.kv_dim();
  add("token_embd.weight", {D, s.n_vocab});
  add("output_norm.weight", {D});
  if (!s.tied_output) add("output.weight", {D, s.n_vocab});
  for (int l = 0; l < s.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    add(p + "attn_norm.weight", {D});
    add(p + "attn_q.weight", {D, D});
    add(p + "attn_k.weight", {D, KV});
    add(p + "attn_v.weight", {D, KV});
    add(p + "attn_output.weight", {D, D});
    add(p + "ffn_norm.weight", {D});
    add(p + "ffn_gate.weight", {D, s.n_ff});
    add(p + "ffn_up.weight", {D, s.n_ff});
    add(p + "ffn_down.weight", {s.n_ff, D});
  }
  return out;
}

size_t ParameterCount(const TrainShape& shape) {
  const auto layout = ParameterLayout(shape);
  return layout.back().offset + layout.back().size;
}

double LearningRate(const TrainOptions& o, int64_t step) {
  if (o.warmup > 0 && step < o.warmup) return o.lr * static_cast<double>(step + 1) / o.warmup;
  const double span = static_cast<double>(std::max<int64_t>(1, o.steps - o.warmup - 1));
  const double progress = std::clamp(static_cast<double>(step - o.warmup) / span, 0.0, 1.0);
  return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1.0 + std::cos(std::numbers::pi * progress));
}

struct Trainer::State {
  TrainShape shape;
  TrainOptions options;
  std::vector<ParameterTensor> layout;
  std::vector<float> params, m, v, grad;
  std::vector<std::vector<float>> shard_grad;
  std::vector<Workspace<float>> shard_work;
  int64_t step = 0;
  Isa isa = Isa::kPortable;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Net<float>> net;

  State(const TrainShape& s, const TrainOptions& o)
      : shape(s), options(o), layout(ParameterLayout(s)), isa(DetectIsa()) {
    const size_t n = ParameterCount(s);
    params.assign(n, 0.0f);
    m.assign(n, 0.0f);
    v.assign(n, 0.0f);
    grad.assign(n, 0.0f);
    pool = std::make_unique<ThreadPool>(std::max(1, o.threads));
    net = std::make_unique<Net<float>>(s, Ops<float>{isa});
  }
};

Trainer::Trainer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Trainer::~Trainer() = default;

const TrainShape& Trainer::shape() const { return state_->shape; }
const TrainOptions& Trainer::options() const { return state_->options; }
int64_t Trainer::step() const { return state_->step; }
const std::vector<float>& Trainer::parameters() const { return state_->params; }

Result<std::unique_ptr<Trainer>> Trainer::Create(const TrainShape& shape,
                                                 const TrainOptions& options) {
  if (Status s = CheckShape(shape); !s.ok()) return s;
  if (options.steps < 1 || options.warmup < 0 || !(options.lr > 0) || options.min_lr < 0) {
    return Status::Error("training needs at least one step, a positive rate and warm-up >= 0");
  }
  if (Status s = CheckDistill(options.distill); !s.ok()) return s;
  auto state = std::make_unique<State>(shape, options);
  // Gaussian weights from a fixed generator (mt19937_64 is specified bit for bit; the
  // standard's distributions are not, so the normal deviates are made here).
  std::mt19937_64 bits(options.seed);
  auto uniform = [&] { return (static_cast<double>(bits() >> 11) + 0.5) * 0x1.0p-53; };
  auto gaussian = [&] {
    return std::sqrt(-2.0 * std::log(uniform())) * std::cos(2 * std::numbers::pi * uniform());
  };
  const double residual = 1.0 / std::sqrt(2.0 * shape.n_layer);
  for (const ParameterTensor& t : state->layout) {
    float* p = state->params.data() + t.offset;
    if (!t.is_matrix) {
      std::fill_n(p, t.size, 1.0f);
      continue;
    }
    double scale = 1.0 / std::sqrt(static_cast<double>(t.dims[0]));
    if (t.name == "token_embd.weight") scale = shape.tied_output ? scale : 1.0;
    if (t.name.ends_with("attn_output.weight") || t.name.ends_with("ffn_down.weight")) {
      scale *= residual;
    }
    for (size_t i = 0; i < t.size; ++i) p[i] = static_cast<float>(gaussian() * scale);
  }
  return std::unique_ptr<Trainer>(new Trainer(std::move(state)));
}

// The batch's summed loss; its gradient (scaled by 1 / answer tokens) lands in st.grad.
double Trainer::Accumulate(std::span<const TrainExample> batch) {
  State& st = *state_;
  const int64_t targets = TargetCount(batch);
  const int shards = static_cast<int>(std::min<size_t>(batch.size(), kMaxShards));
  st.shard_grad.resize(static_cast<size_t>(shards));
  st.shard_work.resize(static_cast<size_t>(shards));
  std::vector<double> shard_loss(static_cast<size_t>(shards), 0.0);
  const float scale = 1.0f / static_cast<float>(targets);
  const size_t P = st.params.size();

  st.pool->Run(shards, [&](int shard, int) {
    std::vector<float>& g = st.shard_grad[shard];
    g.assign(P, 0.0f);
    const size_t begin = batch.size() * shard / shards, end = batch.size() * (shard + 1) / shards;
    for (size_t i = begin; i < end; ++i) {
      shard_loss[shard] += st.net->LossAndGradient(st.params.data(), batch[i], scale, g.data(),
                                                   st.shard_work[shard], st.options.distill);
    }
  });

  // Sum the shards in order, per fixed chunk.
  const int chunks = static_cast<int>((P + kChunk - 1) / kChunk);
  st.pool->Run(chunks, [&](int c, int) {
    const size_t begin = c * kChunk, end = std::min(P, begin + kChunk);
    for (size_t i = begin; i < end; ++i) {
      float sum = st.shard_grad[0][i];
      for (int s = 1; s < shards; ++s) sum += st.shard_grad[s][i];
      st.grad[i] = sum;
    }
  });
  double loss = 0;
  for (double l : shard_loss) loss += l;
  return loss;
}

Result<double> Trainer::LossAndGradient(std::span<const TrainExample> batch,
                                        std::vector<float>* grad) {
  if (Status s = CheckBatch(state_->shape, batch); !s.ok()) return s;
  const double loss = Accumulate(batch) / static_cast<double>(TargetCount(batch));
  if (grad != nullptr) *grad = state_->grad;
  return loss;
}

Result<StepStats> Trainer::Step(std::span<const TrainExample> batch) {
  State& st = *state_;
  if (Status s = CheckBatch(st.shape, batch); !s.ok()) return s;
  const int64_t targets = TargetCount(batch);
  const double loss = Accumulate(batch);
  const size_t P = st.params.size();

  // The squared norm per fixed chunk.
  const int chunks = static_cast<int>((P + kChunk - 1) / kChunk);
  std::vector<double> chunk_sq(static_cast<size_t>(chunks), 0.0);
  st.pool->Run(chunks, [&](int c, int) {
    const size_t begin = c * kChunk, end = std::min(P, begin + kChunk);
    double sq = 0;
    for (size_t i = begin; i < end; ++i) sq += static_cast<double>(st.grad[i]) * st.grad[i];
    chunk_sq[c] = sq;
  });
  double sq = 0;
  for (double c : chunk_sq) sq += c;
  const double norm = std::sqrt(sq);
  const TrainOptions& o = st.options;
  const double clip = (o.clip > 0 && norm > o.clip) ? o.clip / norm : 1.0;

  // AdamW with bias correction; decay only on matrices.
  const double lr = LearningRate(o, st.step);
  const int64_t t = st.step + 1;
  const double c1 = 1.0 - std::pow(o.beta1, static_cast<double>(t));
  const double c2 = 1.0 - std::pow(o.beta2, static_cast<double>(t));
  const auto update = [&](size_t begin, size_t end, bool decay) {
    const float b1 = static_cast<float>(o.beta1), b2 = static_cast<float>(o.beta2);
    const float step_size = static_cast<float>(lr / c1);
    const float inv_c2 = static_cast<float>(1.0 / c2);
    const float eps = static_cast<float>(o.adam_eps);
    const float keep = decay ? static_cast<float>(1.0 - lr * o.weight_decay) : 1.0f;
    const float gscale = static_cast<float>(clip);
    for (size_t i = begin; i < end; ++i) {
      const float g = st.grad[i] * gscale;
      st.m[i] = b1 * st.m[i] + (1.0f - b1) * g;
      st.v[i] = b2 * st.v[i] + (1.0f - b2) * g * g;
      st.params[i] =
          st.params[i] * keep - step_size * st.m[i] / (std::sqrt(st.v[i] * inv_c2) + eps);
    }
  };
  // Tasks: each tensor cut into chunks.
  struct Range {
    size_t begin, end;
    bool decay;
  };
  std::vector<Range> ranges;
  for (const ParameterTensor& tensor : st.layout) {
    for (size_t b = 0; b < tensor.size; b += kChunk) {
      ranges.push_back(
          {tensor.offset + b, tensor.offset + std::min(tensor.size, b + kChunk), tensor.is_matrix});
    }
  }
  st.pool->Run(static_cast<int>(ranges.size()),
               [&](int r, int) { update(ranges[r].begin, ranges[r].end, ranges[r].decay); });

  ++st.step;
  StepStats stats;
  stats.step = st.step;
  stats.loss = loss / static_cast<double>(targets);
  stats.grad_norm = norm;
  stats.lr = lr;
  for (const TrainExample& ex : batch) stats.tokens += static_cast<int64_t>(ex.tokens.size());
  stats.targets = targets;
  return stats;
}

Status Trainer::Run(const BatchSource& source, const RunOptions& run, const ProgressFn& progress) {
  State& st = *state_;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto last = start;
  double loss_sum = 0;
  int64_t loss_steps = 0, tokens = 0, done = 0;
  while (st.step < st.options.steps) {
    Result<std::vector<TrainExample>> batch = source(st.step);
    if (!batch.ok()) return batch.status().WithContext(fmt::format("step {}", st.step + 1));
    Result<StepStats> stats = Step(*batch);
    if (!stats.ok()) return stats.status().WithContext(fmt::format("step {}", st.step + 1));
    loss_sum += stats->loss;
    ++loss_steps;
    ++done;
    tokens += stats->tokens;
    const bool final = st.step == st.options.steps;
    if (progress && (final || (run.report_every > 0 && st.step % run.report_every == 0))) {
      const auto now = Clock::now();
      const double window = std::chrono::duration<double>(now - last).count();
      const double elapsed = std::chrono::duration<double>(now - start).count();
      TrainProgress p;
      p.step = st.step;
      p.steps = st.options.steps;
      p.loss = loss_sum / static_cast<double>(loss_steps);
      p.lr = stats->lr;
      p.tokens_per_s = window > 0 ? static_cast<double>(tokens) / window : 0;
      p.elapsed_s = elapsed;
      p.eta_s =
          elapsed / static_cast<double>(done) * static_cast<double>(st.options.steps - st.step);
      progress(p);
      last = now;
      loss_sum = 0;
      loss_steps = 0;
      tokens = 0;
    }
    if (!run.checkpoint_path.empty() &&
        (final || (run.checkpoint_every > 0 && st.step % run.checkpoint_every == 0))) {
      if (Status s = SaveCheckpoint(run.checkpoint_path); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

Result<std::vector<float>> Trainer::Logits(std::span<const TokenId> tokens) const {
  const State& st = *state_;
  if (tokens.empty() || tokens.size() > static_cast<size_t>(st.shape.n_ctx)) {
    return Status::Error("a sequence needs 1 to n_ctx tokens");
  }
  for (TokenId t : tokens) {
    if (t < 0 || t >= st.shape.n_vocab)
      return Status::Error(fmt::format("token {} outside the vocabulary", t));
  }
  Workspace<float> w;
  st.net->Forward(st.params.data(), tokens, 0, w);
  return w.logits;
}

Result<GgufWriter> Trainer::ToGguf(const std::string& name,
                                   const std::vector<GgufKeyValue>& extra) const {
  const State& st = *state_;
  const TrainShape& s = st.shape;
  GgufWriter w;
  const std::string a = "llama";
  auto u32 = [](int v) { return GgufValue::Uint32(static_cast<uint32_t>(v)); };
  w.Set("general.architecture", GgufValue::String(a));
  w.Set("general.name", GgufValue::String(name));
  w.Set("general.file_type", GgufValue::Uint32(0));
  w.Set(a + ".vocab_size", u32(s.n_vocab));
  w.Set(a + ".context_length", u32(s.n_ctx));
  w.Set(a + ".embedding_length", u32(s.n_embd));
  w.Set(a + ".block_count", u32(s.n_layer));
  w.Set(a + ".feed_forward_length", u32(s.n_ff));
  w.Set(a + ".attention.head_count", u32(s.n_head));
  w.Set(a + ".attention.head_count_kv", u32(s.n_head_kv));
  w.Set(a + ".rope.dimension_count", u32(s.head_dim()));
  w.Set(a + ".rope.freq_base", GgufValue::Float32(s.rope_base));
  w.Set(a + ".attention.layer_norm_rms_epsilon", GgufValue::Float32(s.rms_eps));
  if (s.n_vocab == kByteVocabularySize) AddByteLevelVocabulary(w);
  for (const GgufKeyValue& kv : extra) w.Set(kv.key, kv.value);
  for (const ParameterTensor& t : st.layout) {
    Status status = w.AddTensor(t.name, TensorType::kF32, t.dims,
                                FloatBytes(st.params.data() + t.offset, t.size));
    if (!status.ok()) return status;
  }
  return w;
}

Status Trainer::SaveModel(const std::string& path, const std::string& name,
                          const std::vector<GgufKeyValue>& extra) const {
  Result<GgufWriter> w = ToGguf(name, extra);
  if (!w.ok()) return w.status();
  return w->WriteFile(path);
}

Status Trainer::SaveCheckpoint(const std::string& path) const {
  const State& st = *state_;
  Result<GgufWriter> w =
      ToGguf("pareto-checkpoint", {{kStepKey, GgufValue::Uint64(static_cast<uint64_t>(st.step))}});
  if (!w.ok()) return w.status();
  const auto n = static_cast<int64_t>(st.params.size());
  if (Status s =
          w->AddTensor(kMomentM, TensorType::kF32, {n}, FloatBytes(st.m.data(), st.m.size()));
      !s.ok()) {
    return s;
  }
  if (Status s =
          w->AddTensor(kMomentV, TensorType::kF32, {n}, FloatBytes(st.v.data(), st.v.size()));
      !s.ok()) {
    return s;
  }
  return w->WriteFile(path);
}

Result<TrainShape> ShapeOf(const GgufFile& file) {
  Result<std::string> arch = file.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  if (*arch != "llama") {
    return Status::Error(fmt::format("architecture {}: the trainer trains llama models", *arch));
  }
  TrainShape s;
  struct Key {
    const char* name;
    int* value;
  };
  for (const Key& k :
       {Key{"embedding_length", &s.n_embd}, Key{"block_count", &s.n_layer},
        Key{"feed_forward_length", &s.n_ff}, Key{"attention.head_count", &s.n_head},
        Key{"attention.head_count_kv", &s.n_head_kv}, Key{"context_length", &s.n_ctx}}) {
    Result<int64_t> v = file.GetInt(std::string("llama.") + k.name);
    if (!v.ok()) return v.status();
    if (*v < 1 || *v > (int64_t{1} << 30)) {
      return Status::Error(fmt::format("llama.{} = {} is not a size", k.name, *v));
    }
    *k.value = static_cast<int>(*v);
  }
  const GgufTensorInfo* embd = file.FindTensor("token_embd.weight");
  if (embd == nullptr || embd->dims.size() != 2) {
    return Status::Error("no two-dimensional token_embd.weight");
  }
  s.n_vocab = static_cast<int>(embd->dims[1]);
  if (Result<double> base = file.GetFloat("llama.rope.freq_base"); base.ok()) {
    s.rope_base = static_cast<float>(*base);
  }
  if (Result<double> eps = file.GetFloat("llama.attention.layer_norm_rms_epsilon"); eps.ok()) {
    s.rms_eps = static_cast<float>(*eps);
  }
  s.tied_output = file.FindTensor("output.weight") == nullptr;
  if (Status st = CheckShape(s); !st.ok()) return st;
  return s;
}

Result<std::unique_ptr<Trainer>> Trainer::FromModel(const std::string& model_path,
                                                    const TrainOptions& options) {
  Result<GgufFile> file = GgufFile::Open(model_path);
  if (!file.ok()) return file.status();
  Result<TrainShape> shape = ShapeOf(*file);
  if (!shape.ok()) return shape.status().WithContext(model_path);
  Result<std::unique_ptr<Trainer>> trainer = Create(*shape, options);
  if (!trainer.ok()) return trainer.status();
  State& st = *(*trainer)->state_;
  for (const ParameterTensor& t : st.layout) {
    const GgufTensorInfo* info = file->FindTensor(t.name);
    if (info == nullptr) return Status::Error(fmt::format("{}: no tensor {}", model_path, t.name));
    if (info->type != TensorType::kF32 || static_cast<size_t>(info->elements) != t.size) {
      return Status::Error(
          fmt::format("{}: tensor {} is not F32 of {} elements (the trainer trains F32 files)",
                      model_path, t.name, t.size));
    }
    std::memcpy(st.params.data() + t.offset, file->TensorData(*info).data(),
                t.size * sizeof(float));
  }
  if (file->tensors().size() != st.layout.size()) {
    return Status::Error(
        fmt::format("{}: holds tensors a llama model of its shape does not", model_path));
  }
  return trainer;
}

Result<std::unique_ptr<Trainer>> Trainer::Resume(const std::string& checkpoint_path,
                                                 const TrainShape& shape,
                                                 const TrainOptions& options) {
  Result<GgufFile> file = GgufFile::Open(checkpoint_path);
  if (!file.ok()) return file.status();
  Result<std::unique_ptr<Trainer>> trainer = Create(shape, options);
  if (!trainer.ok()) return trainer.status();
  State& st = *(*trainer)->state_;
  auto fail = [&](const std::string& what) {
    return Status::Error(fmt::format("{}: {}", checkpoint_path, what));
  };
  Result<int64_t> step = file->GetInt(kStepKey);
  if (!step.ok()) return fail(step.message());
  if (*step < 0 || *step > options.steps) {
    return fail(
        fmt::format("checkpoint at step {} is past the run's {} steps", *step, options.steps));
  }
  auto read = [&](const std::string& name, size_t size, float* out) -> Status {
    const GgufTensorInfo* t = file->FindTensor(name);
    if (t == nullptr) return fail("no tensor " + name);
    if (t->type != TensorType::kF32 || static_cast<size_t>(t->elements) != size) {
      return fail(fmt::format("tensor {} does not match the model's shape", name));
    }
    std::memcpy(out, file->TensorData(*t).data(), size * sizeof(float));
    return Status::Ok();
  };
  for (const ParameterTensor& t : st.layout) {
    if (Status s = read(t.name, t.size, st.params.data() + t.offset); !s.ok()) return s;
  }
  if (file->tensors().size() != st.layout.size() + 2) {
    return fail("the checkpoint holds other tensors than this model's shape has");
  }
  if (Status s = read(kMomentM, st.m.size(), st.m.data()); !s.ok()) return s;
  if (Status s = read(kMomentV, st.v.size(), st.v.data()); !s.ok()) return s;
  st.step = *step;
  return trainer;
}

Result<double> LossAndGradient(const TrainShape& shape, std::span<const double> params,
                               std::span<const TrainExample> batch, std::vector<double>* grad,
                               const DistillOptions& distill) {
  if (Status s = CheckDistill(distill); !s.ok()) return s;
  if (Status s = CheckShape(shape); !s.ok()) return s;
  if (Status s = CheckBatch(shape, batch); !s.ok()) return s;
  if (params.size() != ParameterCount(shape)) {
    return Status::Error(
        fmt::format("{} parameters for a shape of {}", params.size(), ParameterCount(shape)));
  }
  Net<double> net(shape, Ops<double>{});
  Workspace<double> w;
  std::vector<double> local;
  std::vector<double>& g = grad != nullptr ? *grad : local;
  g.assign(params.size(), 0.0);
  const double scale = 1.0 / static_cast<double>(TargetCount(batch));
  double loss = 0;
  for (const TrainExample& ex : batch)
    loss += net.LossAndGradient(params.data(), ex, scale, g.data(), w, distill);
  return loss * scale;
}

double DistillLoss(std::span<const double> logits, const SoftTarget& target, double temperature,
                   double scale, double* grad) {
  const int V = static_cast<int>(logits.size());
  std::vector<double> local;
  if (grad == nullptr) {
    local.assign(logits.size(), 0.0);
    grad = local.data();
  }
  return DistillAt(logits.data(), V, target, temperature, scale, grad);
}

}  // namespace pareto::inference
