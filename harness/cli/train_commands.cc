// pareto train: trains an embedded model from a recipe (harness/train_recipe.h) with the
// inference core's trainer, and writes it as GGUF.
//
//   pareto train RECIPE.json [--steps N] [--threads T] [--out FILE] [--checkpoint FILE]
//                [--checkpoint-every N] [--resume] [--report-every N] [--examples N]
//
// Progress (loss, learning rate, tokens/s, elapsed, ETA) goes to stderr. Exit codes: 2 for a
// bad recipe or spec, 3 when training or writing fails.
#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/cli/commands.h"
#include "harness/train_recipe.h"
#include "inference/gguf.h"
#include "inference/model_builder.h"
#include "inference/tensor_type.h"
#include "inference/trainer.h"
#include "spec/checker.h"
#include "suites/generators.h"

namespace pareto::cli {
namespace {

namespace fs = std::filesystem;
using namespace pareto::inference;

struct TrainArgs {
  std::string recipe;
  int64_t steps = 0;  // 0: the recipe's
  int threads = 1;
  std::string out;         // empty: the recipe's output
  std::string checkpoint;  // empty: OUT.ckpt
  int64_t checkpoint_every = 200;
  int64_t report_every = 20;
  bool resume = false;
  int examples = 0;
};

std::string Duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

// The tokens of an example as text ("<s>" and "</s>" for the specials).
std::string Show(const std::vector<TokenId>& tokens, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (tokens[i] == kByteBos) {
      out += "<s>";
    } else if (tokens[i] == kByteEos) {
      out += "</s>";
    } else {
      out += static_cast<char>(tokens[i]);
    }
  }
  return out;
}

int RunTrain(const TrainArgs& a) {
  Result<harness::Recipe> recipe = harness::ReadRecipe(a.recipe);
  if (!recipe.ok()) {
    std::fprintf(stderr, "pareto train: %s\n", recipe.message().c_str());
    return kUsage;
  }
  if (a.steps > 0) recipe->options.steps = a.steps;
  recipe->options.warmup = std::min(recipe->options.warmup, recipe->options.steps / 2);
  recipe->options.threads = a.threads;

  spec::Diagnostics problems;
  std::vector<std::string> paths;
  for (const fs::path& p : recipe->suites) paths.push_back(p.string());
  std::vector<fs::path> files = spec::find_spec_files(paths, problems);
  if (!problems.empty()) {
    std::fputs(problems.render({}).c_str(), stderr);
    return kUsage;
  }
  const spec::GeneratorRegistry generators = suites::builtin_generators();
  spec::CheckResult checked = spec::check_files(files, generators);
  if (!checked.ok()) {
    std::fputs(checked.diagnostics.render({}).c_str(), stderr);
    return kUsage;
  }
  Result<harness::TrainingData> data =
      harness::TrainingData::Create(*recipe, checked.project, generators);
  if (!data.ok()) {
    std::fprintf(stderr, "pareto train: %s: %s\n", a.recipe.c_str(), data.message().c_str());
    return kUsage;
  }

  if (a.examples > 0) {
    Result<std::vector<TrainExample>> batch = data->Batch(0);
    if (!batch.ok()) {
      std::fprintf(stderr, "pareto train: %s\n", batch.message().c_str());
      return kRuntime;
    }
    for (size_t i = 0; i < batch->size() && static_cast<int>(i) < a.examples; ++i) {
      const TrainExample& ex = (*batch)[i];
      std::printf("--- prompt (%d tokens)\n%s\n--- answer\n%s\n", ex.n_prompt,
                  Show(ex.tokens, 0, static_cast<size_t>(ex.n_prompt)).c_str(),
                  Show(ex.tokens, static_cast<size_t>(ex.n_prompt), ex.tokens.size()).c_str());
    }
    return kOk;
  }

  const std::string out = a.out.empty() ? recipe->output.string() : a.out;
  const std::string checkpoint = a.checkpoint.empty() ? out + ".ckpt" : a.checkpoint;
  Result<std::unique_ptr<Trainer>> trainer =
      a.resume ? Trainer::Resume(checkpoint, recipe->shape, recipe->options)
               : Trainer::Create(recipe->shape, recipe->options);
  if (!trainer.ok()) {
    std::fprintf(stderr, "pareto train: %s\n", trainer.message().c_str());
    return a.resume ? kRuntime : kUsage;
  }
  std::fprintf(stderr,
               "pareto train: %s, %zu parameters (embd %d, layers %d, heads %d/%d, ffn %d), "
               "%zu tasks, batch %d, steps %lld%s\n",
               recipe->name.c_str(), ParameterCount(recipe->shape), recipe->shape.n_embd,
               recipe->shape.n_layer, recipe->shape.n_head, recipe->shape.n_head_kv,
               recipe->shape.n_ff, data->tasks().size(), recipe->batch,
               static_cast<long long>(recipe->options.steps),
               a.resume ? fmt::format(", resumed at {}", (*trainer)->step()).c_str() : "");

  RunOptions run;
  run.report_every = a.report_every;
  run.checkpoint_path = checkpoint;
  run.checkpoint_every = a.checkpoint_every;
  const auto start = std::chrono::steady_clock::now();
  Status status = (*trainer)->Run(
      [&](int64_t step) { return data->Batch(step); }, run,
      [](const TrainProgress& p) {
        std::fprintf(stderr, "step %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  %s  eta %s\n",
                     static_cast<long long>(p.step), static_cast<long long>(p.steps), p.loss, p.lr,
                     p.tokens_per_s, Duration(p.elapsed_s).c_str(), Duration(p.eta_s).c_str());
      });
  if (!status.ok()) {
    std::fprintf(stderr, "pareto train: %s\n", status.message().c_str());
    return kRuntime;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<GgufKeyValue> extra = {
      {"pareto.recipe", GgufValue::String(recipe->text)},
      {"pareto.train.steps", GgufValue::Uint64(static_cast<uint64_t>(recipe->options.steps))},
      {"pareto.train.seed", GgufValue::Uint64(recipe->options.seed)},
  };
  Result<GgufWriter> writer = (*trainer)->ToGguf(recipe->name, extra);
  if (!writer.ok()) {
    std::fprintf(stderr, "pareto train: %s\n", writer.message().c_str());
    return kRuntime;
  }
  if (recipe->type != "f32") {
    // Re-encode through the core's own quantizer (the model's F32 bytes parsed in memory).
    Result<std::vector<uint8_t>> bytes = writer->Serialize();
    if (!bytes.ok()) {
      std::fprintf(stderr, "pareto train: %s\n", bytes.message().c_str());
      return kRuntime;
    }
    Result<GgufFile> file = GgufFile::Parse(*bytes);
    std::optional<TensorType> type = ParseTensorTypeName(recipe->type);
    if (!file.ok() || !type) {
      std::fprintf(stderr, "pareto train: %s\n",
                   !file.ok() ? file.message().c_str() : "unknown tensor type");
      return kRuntime;
    }
    Result<GgufWriter> quantized = QuantizeModel(*file, *type, nullptr);
    if (!quantized.ok()) {
      std::fprintf(stderr, "pareto train: %s\n", quantized.message().c_str());
      return kRuntime;
    }
    if (Status s = quantized->WriteFile(out); !s.ok()) {
      std::fprintf(stderr, "pareto train: %s\n", s.message().c_str());
      return kRuntime;
    }
  } else if (Status s = writer->WriteFile(out); !s.ok()) {
    std::fprintf(stderr, "pareto train: %s\n", s.message().c_str());
    return kRuntime;
  }
  std::fprintf(stderr, "pareto train: wrote %s (%lld steps in %s)\n", out.c_str(),
               static_cast<long long>((*trainer)->step()), Duration(seconds).c_str());
  return kOk;
}

}  // namespace

void add_train_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "train an embedded model from a recipe");
  cmd->add_option("recipe", a->recipe, "recipe JSON file (docs/training.md)")->required();
  cmd->add_option("--steps", a->steps, "steps (default: the recipe's)");
  cmd->add_option("--threads,-t", a->threads, "threads (results do not depend on it)");
  cmd->add_option("--out,-o", a->out, "model file to write (default: the recipe's output)");
  cmd->add_option("--checkpoint", a->checkpoint, "checkpoint file (default: OUT.ckpt)");
  cmd->add_option("--checkpoint-every", a->checkpoint_every, "steps between checkpoints");
  cmd->add_flag("--resume", a->resume, "continue from the checkpoint");
  cmd->add_option("--report-every", a->report_every, "steps between progress lines");
  cmd->add_option("--examples", a->examples,
                  "print this many training examples of the first batch and exit");
  cmd->callback([a, &exit_code] { exit_code = RunTrain(*a); });
}

}  // namespace pareto::cli
