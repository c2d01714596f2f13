// Context: the state of running a Model — a KV cache for several sequences, scratch
// buffers, a thread pool — and the forward pass.
//
// Decode() runs one forward pass over a batch of tokens drawn from any of the context's
// sequences: each entry appends one token to its sequence (its position is the sequence's
// current length), so a batch can hold a whole prompt (prefill), one next token of each of
// several sequences (batched decoding), or a mix. Every weight matrix is read once per
// pass however many tokens the batch holds — that is what batching buys.
//
// Each pass fills ForwardCounters with what it cost: floating-point operations, bytes of
// weights read, and bytes of KV cache read and written. The energy model and the reports
// are built on these counters.
//
// A Context is used by one thread at a time; several Contexts may share one Model.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/kernels.h"
#include "inference/model.h"
#include "inference/status.h"
#include "inference/thread_pool.h"

namespace pareto::inference {

// The KV cache's element: float, or IEEE half precision (half the memory and the bytes
// attention reads; keys and values rounded to 11 significant bits).
enum class KvType { kF32, kF16 };
std::string KvTypeName(KvType type);  // "f32", "f16"
std::optional<KvType> ParseKvType(std::string_view name);

struct ContextOptions {
  int n_ctx = 2048;   // positions per sequence
  int n_seq = 1;      // sequences held at once
  int n_threads = 0;  // 0: the machine's hardware threads
  // Instruction set; nullopt picks the best the CPU has.
  std::optional<Isa> isa;
  KvType kv_type = KvType::kF32;
};

struct BatchEntry {
  int32_t token = 0;
  int seq = 0;
  bool logits = false;  // return this position's logits
};

// What one forward pass cost. Weight bytes count every matrix once per pass plus the
// embedding rows looked up; KV bytes count the cache entries attention read and wrote.
struct ForwardCounters {
  int64_t tokens = 0;
  double flops = 0;
  uint64_t weight_bytes = 0;
  uint64_t kv_bytes_read = 0;
  uint64_t kv_bytes_written = 0;

  ForwardCounters& operator+=(const ForwardCounters& o) {
    tokens += o.tokens;
    flops += o.flops;
    weight_bytes += o.weight_bytes;
    kv_bytes_read += o.kv_bytes_read;
    kv_bytes_written += o.kv_bytes_written;
    return *this;
  }
};

class Context {
 public:
  // The model must outlive the context.
  static Result<std::unique_ptr<Context>> Create(const Model& model, const ContextOptions& options);

  const Model& model() const { return model_; }
  int n_ctx() const { return n_ctx_; }
  int n_seq() const { return n_seq_; }
  Isa isa() const { return isa_; }
  KvType kv_type() const { return kv_type_; }
  int n_threads() const { return pool_.size(); }

  // Runs the batch. `logits` receives n_vocab floats for each entry with logits = true, in
  // batch order. Errors (bad token id, unknown sequence, a full sequence) leave the cache as
  // it was.
  Status Decode(std::span<const BatchEntry> batch, std::vector<float>* logits);

  // Convenience: appends `tokens` to sequence `seq` and returns the last position's logits
  // (all positions' when `all`, row after row).
  Result<std::vector<float>> Eval(std::span<const int32_t> tokens, int seq = 0, bool all = false);

  // Positions held for a sequence; dropping positions from the end (to reuse a prompt
  // prefix) or all of them.
  int SequenceLength(int seq) const { return seq_len_[seq]; }
  void TruncateSequence(int seq, int length);
  void ClearSequence(int seq) { TruncateSequence(seq, 0); }

  const ForwardCounters& last_counters() const { return last_; }
  // Bytes held by the KV cache.
  uint64_t kv_cache_bytes() const { return 2 * kv_elements_ * kv_element_bytes_; }

 private:
  Context(const Model& model, const ContextOptions& options, Isa isa, int threads);
  void EnsureScratch(int n_tokens);
  // The entry of one position in a cache (k_cache_ or v_cache_).
  uint8_t* CacheAt(const std::unique_ptr<uint8_t[]>& cache, int layer, int seq, int pos) const;
  // Writes kv_dim floats into a cache entry, converted to the cache's element.
  void Store(const float* x, uint8_t* entry) const;
  void Attention(int layer, int n, const int* seqs, const int* positions);

  const Model& model_;
  int n_ctx_;
  int n_seq_;
  Isa isa_;
  KvType kv_type_;
  size_t kv_element_bytes_;
  ThreadPool pool_;
  MatMulScratch mm_scratch_;
  // [layer][seq][pos][kv_dim] elements of kv_type_; not zero-filled, so pages are committed
  // only as used.
  size_t kv_elements_ = 0;
  std::unique_ptr<uint8_t[]> k_cache_, v_cache_;
  std::vector<int> seq_len_;
  ForwardCounters last_;

  // Scratch, sized for the largest batch seen.
  int capacity_ = 0;
  std::vector<float> x_, xn_, q_, k_, v_, att_, gate_, up_, out_;
  std::vector<float> scores_;  // per worker: n_ctx floats per query head of a group
  std::vector<float> rope_inv_freq_;
  std::vector<float> rope_cs_;  // per batch token: cos, sin of each rotation angle
};

}  // namespace pareto::inference
