// pareto tokenize: the token ids of a text under a GGUF model's own tokenizer.
//
//   pareto tokenize --model F --text S [--special] [--json]
//
// Prints the ids on one line, space-separated. Without --special the text is split as
// plain text (no BOS/EOS, special-token spellings are ordinary text); with it, BOS/EOS are
// added as the model does and special tokens written in the text become their ids.
// --json prints {"tokens": [...], "pieces": [...]} (each token's decoded text).
#include <fmt/core.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/cli/commands.h"
#include "inference/gguf.h"
#include "inference/tokenizer.h"

namespace pareto::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  std::string text;
  bool special = false;
  bool json = false;
};

int RunTokenize(const TokenizeArgs& args) {
  using namespace pareto::inference;
  Result<GgufFile> file = GgufFile::Open(args.model);
  if (!file.ok()) {
    fmt::print(stderr, "pareto tokenize: {}\n", file.message());
    return kRuntime;
  }
  Result<Tokenizer> tokenizer = Tokenizer::FromGguf(*file);
  if (!tokenizer.ok()) {
    fmt::print(stderr, "pareto tokenize: {}: {}\n", args.model, tokenizer.message());
    return kRuntime;
  }
  const std::vector<TokenId> ids =
      tokenizer->Encode(args.text, {.add_special = args.special, .parse_special = args.special});
  if (args.json) {
    nlohmann::json pieces = nlohmann::json::array();
    for (TokenId id : ids) pieces.push_back(tokenizer->TokenPiece(id, /*render_special=*/true));
    const nlohmann::json out = {{"tokens", ids}, {"pieces", pieces}};
    // A piece can be part of a UTF-8 character (byte tokens): replace, don't throw.
    fmt::print("{}\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    std::string line;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) line += ' ';
      line += std::to_string(ids[i]);
    }
    fmt::print("{}\n", line);
  }
  return kOk;
}

}  // namespace

void add_tokenize_commands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand("tokenize", "token ids of a text under a model's tokenizer");
  cmd->add_option("--model,-m", args->model, "GGUF model file (its tokenizer is used)")->required();
  cmd->add_option("--text,-t", args->text, "the text to tokenize")->required();
  cmd->add_flag("--special", args->special,
                "add BOS/EOS as the model does and parse special tokens in the text");
  cmd->add_flag("--json", args->json, "print {\"tokens\": [...], \"pieces\": [...]}");
  cmd->callback([args, &exit_code] { exit_code = RunTokenize(*args); });
}

}  // namespace pareto::cli
