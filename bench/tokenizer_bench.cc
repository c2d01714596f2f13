// Tokenizer throughput, in bytes of text per second: encoding with each reference vocabulary
// in ../shared/data/tokenizer (SentencePiece and byte-level BPE), decoding, and each
// pre-tokenizer on its own. The text is the reference inputs (English, code, CJK, Cyrillic,
// Khmer, emoji, whitespace runs) repeated to about 1 MiB.
//
//   build/tokenizer_bench --benchmark_filter='Encode'
//
// Needs ../shared (next to the repository); without it the vocabulary benchmarks report an
// error and only the pre-tokenizers run.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "inference/gguf.h"
#include "inference/tokenizer.h"
#include "inference/unicode_split.h"

namespace pareto::inference {
namespace {

namespace fs = std::filesystem;

fs::path VectorDir() {
  return fs::path(PARETO_SOURCE_DIR).parent_path() / "shared" / "data" / "tokenizer";
}

// The reference inputs with their separators dropped, repeated to ~1 MiB.
const std::string& Corpus() {
  static const std::string corpus = [] {
    std::string base;
    std::ifstream in(VectorDir() / "ggml-vocab-gpt-2.gguf.inp", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string raw = ss.str();
    const std::string sep = "\n__ggml_vocab_test__\n";
    for (size_t pos = 0, hit; (hit = raw.find(sep, pos)) != std::string::npos;
         pos = hit + sep.size()) {
      base += raw.substr(pos, hit - pos) + "\n";
    }
    // Without ../shared: ordinary prose and code, so the pre-tokenizers still have work.
    if (base.empty()) {
      base =
          "The quick brown fox jumps over the lazy dog; it's 1234 times faster.\n"
          "for (int i = 0; i < n; ++i) { sum += x[i] * y[i]; }\n";
    }
    std::string text;
    while (text.size() < (1 << 20)) text += base;
    return text;
  }();
  return corpus;
}

// Tokenizers are loaded once per vocabulary; null when the file is missing or unreadable.
const Tokenizer* LoadTokenizer(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second.get();
  std::unique_ptr<Tokenizer> tok;
  Result<GgufFile> file = GgufFile::Open((VectorDir() / ("ggml-vocab-" + name + ".gguf")).string());
  if (file.ok()) {
    Result<Tokenizer> t = Tokenizer::FromGguf(*file);
    if (t.ok()) tok = std::make_unique<Tokenizer>(std::move(*t));
  }
  return cache.emplace(name, std::move(tok)).first->second.get();
}

void Encode(benchmark::State& state, const std::string& name) {
  const Tokenizer* tok = LoadTokenizer(name);
  if (tok == nullptr) {
    state.SkipWithError(("vocabulary " + name + " not found under ../shared").c_str());
    return;
  }
  const std::string& text = Corpus();
  size_t tokens = 0;
  for (auto _ : state) {
    std::vector<TokenId> ids = tok->Encode(text);
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(tokens) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

void Decode(benchmark::State& state, const std::string& name) {
  const Tokenizer* tok = LoadTokenizer(name);
  if (tok == nullptr) {
    state.SkipWithError(("vocabulary " + name + " not found under ../shared").c_str());
    return;
  }
  const std::vector<TokenId> ids = tok->Encode(Corpus());
  for (auto _ : state) {
    std::string text = tok->Decode(ids);
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Corpus().size()));
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(ids.size()) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

void Split(benchmark::State& state, PreTokenizer kind) {
  const std::string& text = Corpus();
  for (auto _ : state) {
    std::vector<std::string_view> pieces = PreTokenize(kind, text);
    benchmark::DoNotOptimize(pieces.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

BENCHMARK_CAPTURE(Encode, llama_spm, std::string("llama-spm"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Encode, phi_3, std::string("phi-3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Encode, gpt_2, std::string("gpt-2"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Encode, deepseek_coder, std::string("deepseek-coder"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Decode, llama_spm, std::string("llama-spm"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Decode, gpt_2, std::string("gpt-2"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Split, gpt2, PreTokenizer::kGpt2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Split, llama3, PreTokenizer::kLlama3)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Split, qwen2, PreTokenizer::kQwen2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Split, deepseek_coder, PreTokenizer::kDeepseekCoder)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Split, smollm, PreTokenizer::kSmolLM)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pareto::inference

BENCHMARK_MAIN();
