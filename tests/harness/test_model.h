// A real, tiny model file for harness tests: a random 2-layer llama (inference/model_builder.h)
// with a byte-fallback SentencePiece vocabulary (<unk>, <s>, </s> and the 256 byte tokens), so
// any text encodes and every completion decodes to bytes. Its answers are nonsense, but it is
// loaded, tokenized, batched and timed exactly like a trained tier model.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <vector>

#include "inference/gguf.h"
#include "inference/model_builder.h"
#include "spec/model.h"

namespace pareto::testing {

// The model of `shape` (its n_vocab is set to the 259 tokens) with the byte vocabulary.
inline bool write_test_model(const std::filesystem::path& path,
                             pareto::inference::NewModelSpec shape) {
  using namespace pareto::inference;
  NewModelSpec spec = std::move(shape);
  spec.n_vocab = 259;
  auto writer = BuildRandomModel(spec, nullptr);
  if (!writer.ok()) return false;
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};  // unknown, control, control
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(fmt::format("<0x{:02X}>", b));
    types.push_back(6);  // byte
  }
  writer->Set("tokenizer.ggml.model", GgufValue::String("llama"));
  writer->Set("tokenizer.ggml.tokens", GgufValue::StringArray(tokens));
  writer->Set("tokenizer.ggml.scores", GgufValue::Float32Array(std::vector<float>(259, 0.0f)));
  writer->Set("tokenizer.ggml.token_type", GgufValue::Int32Array(types));
  writer->Set("tokenizer.ggml.unknown_token_id", GgufValue::Uint32(0));
  writer->Set("tokenizer.ggml.bos_token_id", GgufValue::Uint32(1));
  writer->Set("tokenizer.ggml.eos_token_id", GgufValue::Uint32(2));
  writer->Set("tokenizer.ggml.add_bos_token", GgufValue::Bool(true));
  writer->Set("tokenizer.ggml.add_space_prefix", GgufValue::Bool(false));
  return writer->WriteFile(path.string()).ok();
}

// The harness tests' model: 2 layers of 32.
inline bool write_test_model(const std::filesystem::path& path, std::uint64_t seed = 3) {
  pareto::inference::NewModelSpec spec;
  spec.n_embd = 32;
  spec.n_layer = 2;
  spec.n_head = 4;
  spec.n_head_kv = 2;
  spec.n_ff = 64;
  spec.n_ctx = 512;
  spec.seed = seed;
  return write_test_model(path, spec);
}

// An embedded tier `name` on the model file `path`, decoding on one thread.
inline pareto::spec::Tier embedded_tier(const std::string& name,
                                        const std::filesystem::path& path) {
  pareto::spec::Tier tier;
  tier.name = name;
  pareto::spec::GgufModel gguf;
  gguf.path = path;
  gguf.threads = 1;
  tier.model = gguf;
  return tier;
}

}  // namespace pareto::testing
