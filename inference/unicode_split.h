// Pre-tokenizers: how byte-level BPE vocabularies cut text into words before merging.
//
// Each pre-tokenizer is the split a published regular expression makes (the regex is quoted
// beside each enumerator), written by hand over Unicode classes because the regexes need
// \p{L}/\p{N}/\p{P} and lookahead. PreTokenize returns consecutive, non-empty pieces that
// concatenate back to the input exactly, for any bytes: an ill-formed UTF-8 byte is a piece
// character of class "other" (neither letter, number nor whitespace).
#pragma once

#include <string_view>
#include <vector>

namespace pareto::inference {

enum class PreTokenizer {
  // The whole text is one piece.
  kNone,
  // GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  kGpt2,
  // Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
  //          ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  kLlama3,
  // Qwen2: as Llama 3 with single digits (\p{N} instead of \p{N}{1,3}).
  kQwen2,
  // DeepSeek Coder: the regexes [\r\n], \s?\p{L}+, \s?\p{P}+, [U+4E00-U+9FA5 U+0800-U+4E00
  // U+AC00-U+D7FF]+ and \p{N}, applied in turn, each splitting every piece the previous ones
  // made into its matches and the text between them.
  kDeepseekCoder,
  // SmolLM, StarCoder: \p{N}, then the GPT-2 regex, applied in turn as above (every digit
  // is a piece of its own).
  kSmolLM,
  // What llama.cpp uses for byte-level BPE files without a known pre-tokenizer ("default"
  // or no tokenizer.ggml.pre): [\p{P}$+<=>^~|]+, the GPT-2 regex, \p{N}+, [0-9][0-9][0-9].
  kBpeDefault,
  // Falcon: [\p{P}$+<=>^~|`]+, the GPT-2 regex, [0-9][0-9][0-9].
  kFalcon,
};

std::vector<std::string_view> PreTokenize(PreTokenizer kind, std::string_view text);

}  // namespace pareto::inference
