// The embedded inference core on its own: logits, generate, bench, quantize, model new.
//
//   pareto logits   --model F (--text S | --tokens "1 2 3") [--all]
//   pareto generate --model F --prompt S [-n N] [--temp T] [--top-k K] [--top-p P] [--seed S]
//                   [--chat [--template NAME] [--system S]] [--stop S]... [--logprobs K] [--json]
//   pareto bench    --model F [-p 128] [-n 32] [-t THREADS] [-b BATCH] [-r REPEATS] [--json]
//                   [--energy [--profile cpu-ddr5]]
//   pareto quantize IN OUT TYPE
//   pareto model new --arch llama --embd 64 --layers 2 --heads 4 --kv-heads 2 --ffn 128
//                    [--vocab FILE.gguf | --n-vocab N] [--type f32] [--seed 1] -o OUT.gguf
//
// Results go to stdout (JSON where the command says so), progress and statistics to
// stderr. Exit codes: 2 for bad arguments, 3 when a model cannot be read or run.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "harness/cli/commands.h"
#include "harness/energy.h"
#include "inference/chat_template.h"
#include "inference/context.h"
#include "inference/generator.h"
#include "inference/gguf.h"
#include "inference/model.h"
#include "inference/model_builder.h"
#include "inference/tokenizer.h"

namespace pareto::cli {
namespace {

using namespace pareto::inference;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Options every command that runs a model shares.
struct RunOptions {
  std::string model;
  int threads = 0;
  int ctx = 0;  // 0: the smaller of the model's training context and 4096
  std::string isa;
  std::string kv_type = "f32";
  bool no_repack = false;
};

void AddRunOptions(CLI::App* cmd, RunOptions& o) {
  cmd->add_option("--model,-m", o.model, "GGUF model file")->required();
  cmd->add_option("--threads,-t", o.threads, "threads (default: all hardware threads)");
  cmd->add_option("--ctx,-c", o.ctx, "context positions per sequence");
  cmd->add_option("--isa", o.isa, "kernels: portable, avx2, avx512, avx512-vnni, amx (default: best)");
  add_kv_type_option(cmd, o.kv_type);
  cmd->add_flag("--no-repack", o.no_repack,
                "compute from the file's layout (else matrices are repacked at load for faster kernels)");
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Prints `status` for `command` and returns the exit code.
int Fail(const std::string& command, const std::string& message, int code) {
  fmt::print(stderr, "pareto {}: {}\n", command, message);
  return code;
}

Result<Isa> ParseIsa(const std::string& name) {
  if (name.empty()) return DetectIsa();
  for (Isa isa : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512, Isa::kAvx512Vnni, Isa::kAmx}) {
    if (IsaName(isa) == name) {
      auto available = AvailableIsas();
      if (std::find(available.begin(), available.end(), isa) == available.end()) {
        return Status::Error("this CPU lacks " + name);
      }
      return isa;
    }
  }
  return Status::Error("unknown --isa '" + name + "' (portable, avx2, avx512, avx512-vnni, amx)");
}

// A loaded model with a context for `n_seq` sequences.
struct Session {
  std::unique_ptr<Model> model;
  std::unique_ptr<Context> ctx;
};

// Exit code on failure (message printed), nullopt on success.
std::optional<int> OpenSession(const std::string& command, const RunOptions& o, int n_seq,
                               Session& s) {
  auto isa = ParseIsa(o.isa);
  if (!isa.ok()) return Fail(command, isa.message(), kUsage);
  LoadOptions lo;
  lo.repack = !o.no_repack;
  auto model = Model::Load(o.model, lo);
  if (!model.ok()) return Fail(command, model.message(), kRuntime);
  s.model = std::move(*model);
  ContextOptions co;
  co.n_ctx = o.ctx > 0 ? o.ctx : std::clamp(s.model->config().n_ctx_train, 512, 4096);
  co.n_seq = n_seq;
  co.n_threads = o.threads;
  co.isa = *isa;
  co.kv_type = ParseKvType(o.kv_type).value();  // checked when parsed
  auto ctx = Context::Create(*s.model, co);
  if (!ctx.ok()) return Fail(command, ctx.message(), kRuntime);
  s.ctx = std::move(*ctx);
  return std::nullopt;
}

// "1 2 3" or "1,2,3".
Result<std::vector<int32_t>> ParseTokenList(const std::string& text) {
  std::vector<int32_t> out;
  std::string t = text;
  std::replace(t.begin(), t.end(), ',', ' ');
  std::istringstream in(t);
  std::string word;
  while (in >> word) {
    try {
      size_t used = 0;
      long v = std::stol(word, &used);
      if (used != word.size() || v < 0 || v > INT32_MAX) throw std::invalid_argument(word);
      out.push_back(static_cast<int32_t>(v));
    } catch (const std::exception&) {
      return Status::Error("'" + word + "' is not a token id");
    }
  }
  if (out.empty()) return Status::Error("no token ids given");
  return out;
}

Json CountersJson(const ForwardCounters& c) {
  return {{"tokens", c.tokens},
          {"flops", c.flops},
          {"weight_bytes", c.weight_bytes},
          {"kv_bytes_read", c.kv_bytes_read},
          {"kv_bytes_written", c.kv_bytes_written}};
}

// ---- logits ----

struct LogitsArgs {
  RunOptions run;
  std::string text;
  std::string tokens;
  bool all = false;
};

int RunLogits(const LogitsArgs& a) {
  const std::string cmd = "logits";
  if (a.text.empty() == a.tokens.empty()) {
    return Fail(cmd, "give exactly one of --text and --tokens", kUsage);
  }
  std::vector<int32_t> ids;
  if (!a.tokens.empty()) {
    auto parsed = ParseTokenList(a.tokens);
    if (!parsed.ok()) return Fail(cmd, parsed.message(), kUsage);
    ids = std::move(*parsed);
  }
  Session s;
  if (auto code = OpenSession(cmd, a.run, 1, s)) return *code;
  if (!a.text.empty()) {
    auto tok = Tokenizer::FromGguf(s.model->file());
    if (!tok.ok()) return Fail(cmd, a.run.model + ": " + tok.message(), kRuntime);
    // As the model sees text: BOS added where the model wants it.
    ids = tok->Encode(a.text, {.add_special = true, .parse_special = false});
    if (ids.empty()) return Fail(cmd, "the text encodes to no tokens", kUsage);
  }
  if (static_cast<int>(ids.size()) > s.ctx->n_ctx()) {
    return Fail(
        cmd, fmt::format("{} tokens exceed the context of {} (--ctx)", ids.size(), s.ctx->n_ctx()),
        kUsage);
  }
  auto logits = s.ctx->Eval(ids, 0, a.all);
  if (!logits.ok()) return Fail(cmd, logits.message(), kUsage);
  const size_t v = static_cast<size_t>(s.model->config().n_vocab);
  Json out;
  out["tokens"] = ids;
  if (a.all) {
    Json rows = Json::array();
    for (size_t i = 0; i < ids.size(); ++i) {
      rows.push_back(std::vector<float>(logits->begin() + i * v, logits->begin() + (i + 1) * v));
    }
    out["logits"] = std::move(rows);
  } else {
    out["logits"] = *logits;
  }
  fmt::print("{}\n", Dump(out));
  return kOk;
}

// ---- generate ----

struct GenerateArgs {
  RunOptions run;
  std::string prompt;
  int n = 128;
  float temp = 0.8f;
  int top_k = 40;
  float top_p = 0.95f;
  uint64_t seed = 0;
  bool chat = false;
  std::string template_name;
  std::string system;
  std::vector<std::string> stop;
  int logprobs = 0;
  bool json = false;
};

int RunGenerate(const GenerateArgs& a) {
  const std::string cmd = "generate";
  if (a.n <= 0) return Fail(cmd, "-n must be positive", kUsage);
  Session s;
  if (auto code = OpenSession(cmd, a.run, 1, s)) return *code;
  auto tok = Tokenizer::FromGguf(s.model->file());
  if (!tok.ok()) return Fail(cmd, a.run.model + ": " + tok.message(), kRuntime);
  std::vector<TokenId> prompt;
  if (a.chat) {
    auto tmpl = ChatTemplateForModel(s.model->file(), *tok, a.template_name);
    if (!tmpl.ok()) return Fail(cmd, tmpl.message(), kUsage);
    std::vector<ChatMessage> messages;
    if (!a.system.empty()) messages.push_back({"system", a.system});
    messages.push_back({"user", a.prompt});
    auto text = RenderChat(*tmpl, messages, /*add_generation_prompt=*/true);
    if (!text.ok()) return Fail(cmd, text.message(), kUsage);
    prompt = tok->Encode(*text, {.add_special = true, .parse_special = true});
  } else {
    prompt = tok->Encode(a.prompt, {.add_special = true, .parse_special = false});
  }
  if (prompt.empty()) return Fail(cmd, "the prompt encodes to no tokens", kUsage);

  GenerateOptions go;
  go.max_tokens = a.n;
  go.sampler.temperature = a.temp;
  go.sampler.top_k = a.top_k;
  go.sampler.top_p = a.top_p;
  go.sampler.seed = a.seed;
  go.sampler.top_logprobs = a.logprobs;
  go.stop = a.stop;
  TextCallback stream;
  if (!a.json) {
    stream = [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return true;
    };
  }
  auto r = Generate(*s.ctx, *tok, prompt, go, 0, stream);
  if (!r.ok()) return Fail(cmd, r.message(), kUsage);
  const int n_gen = static_cast<int>(r->tokens.size());
  const double decode_s = r->total_seconds - r->ttft_seconds;
  const double decode_tps = n_gen > 1 && decode_s > 0 ? (n_gen - 1) / decode_s : 0;
  if (a.json) {
    Json tokens = Json::array(), lp = Json::array();
    for (const SampledToken& t : r->tokens) {
      tokens.push_back(t.id);
      Json top = Json::array();
      for (const TokenLogprob& x : t.top) top.push_back({{"id", x.id}, {"logprob", x.logprob}});
      lp.push_back({{"id", t.id}, {"logprob", t.logprob}, {"top", top}});
    }
    Json out = {{"text", r->text},
                {"prompt_tokens", r->prompt_tokens},
                {"completion_tokens", n_gen},
                {"tokens", tokens},
                {"finish_reason", r->finish_reason},
                {"ttft_ms", r->ttft_seconds * 1e3},
                {"total_ms", r->total_seconds * 1e3},
                {"decode_tokens_per_s", decode_tps},
                {"logprobs", lp},
                {"counters", CountersJson(r->counters)}};
    fmt::print("{}\n", Dump(out));
  } else {
    fmt::print("\n");
    fmt::print(stderr,
               "pareto generate: {} prompt tokens, {} generated ({}); first token after {:.1f} ms, "
               "then {:.1f} tokens/s\n",
               r->prompt_tokens, n_gen, r->finish_reason, r->ttft_seconds * 1e3, decode_tps);
  }
  return kOk;
}

// ---- bench ----

struct BenchArgs {
  RunOptions run;
  int prompt = 128;
  int gen = 32;
  int batch = 1;
  int repeats = 5;
  uint64_t seed = 1;
  bool json = false;
  bool energy = false;           // modelled pJ/token against batch size instead of speed
  bool batch_given = false;      // -b was on the command line
  std::string profile = "cpu-ddr5";
};

struct Sample {
  double seconds = 0;
  ForwardCounters counters;
};

struct Stats {
  double mean = 0, stddev = 0;
};

Stats TokensPerSecond(const std::vector<Sample>& samples, double tokens) {
  Stats s;
  std::vector<double> tps;
  for (const Sample& x : samples) tps.push_back(tokens / x.seconds);
  for (double v : tps) s.mean += v;
  s.mean /= static_cast<double>(tps.size());
  for (double v : tps) s.stddev += (v - s.mean) * (v - s.mean);
  s.stddev = tps.size() > 1 ? std::sqrt(s.stddev / static_cast<double>(tps.size() - 1)) : 0;
  return s;
}

// bench --energy: the modelled energy per generated token as more sequences share each pass
// over the weights. The counters of the core are exact for a given shape, so one run per
// batch size suffices; the timing beside them is one run's, for orientation only.
int RunBenchEnergy(const BenchArgs& a) {
  const std::string cmd = "bench";
  if (a.gen <= 0 || a.batch <= 0 || a.prompt < 0) {
    return Fail(cmd, "--energy needs -n >= 1 and -b >= 1", kUsage);
  }
  auto profile = harness::find_hardware_profile(a.profile);
  if (!profile.ok()) return Fail(cmd, profile.message(), kUsage);
  const int max_batch = a.batch_given ? a.batch : 16;
  RunOptions run = a.run;
  if (run.ctx <= 0) run.ctx = std::max(16, std::max(a.prompt, 1) + a.gen + 1);
  Session s;
  if (auto code = OpenSession(cmd, run, max_batch, s)) return *code;
  const ModelConfig& c = s.model->config();
  std::mt19937 rng(static_cast<uint32_t>(a.seed));
  std::uniform_int_distribution<int32_t> token(0, c.n_vocab - 1);

  struct Row {
    std::string test;
    int batch = 1;
    double seconds = 0;
    ForwardCounters counters;
    harness::ModelledEnergy energy;
  };
  std::vector<Row> rows;
  auto priced = [&](Row& row) -> Status {
    harness::WorkCounters w;
    w.flops = row.counters.flops;
    w.weight_bytes = static_cast<double>(row.counters.weight_bytes);
    w.kv_bytes_read = static_cast<double>(row.counters.kv_bytes_read);
    w.kv_bytes_written = static_cast<double>(row.counters.kv_bytes_written);
    w.tokens = row.counters.tokens;
    auto e = harness::model_energy(w, *profile);
    if (!e.ok()) return e.status();
    row.energy = *e;
    return Status::Ok();
  };
  if (a.prompt > 0) {
    Row row;
    row.test = fmt::format("pp{}", a.prompt);
    std::vector<int32_t> ids(static_cast<size_t>(a.prompt));
    for (int32_t& id : ids) id = token(rng);
    s.ctx->ClearSequence(0);
    Clock::time_point t0 = Clock::now();
    auto r = s.ctx->Eval(ids);
    if (!r.ok()) return Fail(cmd, r.message(), kRuntime);
    row.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    row.counters = s.ctx->last_counters();
    if (Status st = priced(row); !st.ok()) return Fail(cmd, st.message(), kRuntime);
    rows.push_back(row);
  }
  for (int b = 1; b <= max_batch; b = b * 2 > max_batch && b < max_batch ? max_batch : b * 2) {
    Row row;
    row.test = fmt::format("tg{} x{}", a.gen, b);
    row.batch = b;
    for (int q = 0; q < b; ++q) s.ctx->ClearSequence(q);
    std::vector<BatchEntry> step(static_cast<size_t>(b));
    std::vector<float> logits;
    Clock::time_point t0 = Clock::now();
    for (int i = 0; i < a.gen; ++i) {
      for (int q = 0; q < b; ++q) step[q] = {token(rng), q, true};
      Status st = s.ctx->Decode(step, &logits);
      if (!st.ok()) return Fail(cmd, st.message(), kRuntime);
      row.counters += s.ctx->last_counters();
    }
    row.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (Status st = priced(row); !st.ok()) return Fail(cmd, st.message(), kRuntime);
    rows.push_back(row);
    if (b == max_batch) break;
  }

  Json out = Json::array();
  if (!a.json) {
    fmt::print("modelled energy, profile {} ({}); dynamic energy only (docs/energy.md)\n",
               profile->name, profile->description);
    fmt::print("| test | batch | tokens | weights MB/token | KV MB/token | arithmetic pJ/token | "
               "memory pJ/token | pJ/token | t/s (one run) |\n");
    fmt::print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  }
  for (const Row& r : rows) {
    const double tokens = static_cast<double>(std::max<int64_t>(1, r.counters.tokens));
    const double pj = r.energy.joules() * 1e12 / tokens;
    const double arithmetic = r.energy.arithmetic_joules * 1e12 / tokens;
    const double memory = r.energy.memory_joules * 1e12 / tokens;
    const double weights_mb = static_cast<double>(r.counters.weight_bytes) / 1e6 / tokens;
    const double kv_mb =
        static_cast<double>(r.counters.kv_bytes_read + r.counters.kv_bytes_written) / 1e6 / tokens;
    if (a.json) {
      out.push_back({{"test", r.test},
                     {"batch", r.batch},
                     {"tokens", r.counters.tokens},
                     {"profile", profile->name},
                     {"source", "modelled"},
                     {"joules", r.energy.joules()},
                     {"pj_per_token", pj},
                     {"arithmetic_pj_per_token", arithmetic},
                     {"memory_pj_per_token", memory},
                     {"onchip_pj_per_token", r.energy.onchip_joules * 1e12 / tokens},
                     {"seconds", r.seconds},
                     {"counters", CountersJson(r.counters)}});
    } else {
      fmt::print("| {} | {} | {} | {:.3f} | {:.3f} | {:.0f} | {:.0f} | {:.0f} | {:.1f} |\n", r.test,
                 r.batch, r.counters.tokens, weights_mb, kv_mb, arithmetic, memory, pj,
                 r.seconds > 0 ? tokens / r.seconds : 0.0);
    }
  }
  if (a.json) fmt::print("{}\n", Dump(out));
  return kOk;
}

int RunBench(const BenchArgs& a) {
  if (a.energy) return RunBenchEnergy(a);
  const std::string cmd = "bench";
  if (a.prompt < 0 || a.gen < 0 || a.batch <= 0 || a.repeats <= 0 ||
      (a.prompt == 0 && a.gen == 0)) {
    return Fail(cmd, "-p and -n must be >= 0 (not both 0), -b and -r positive", kUsage);
  }
  RunOptions run = a.run;
  if (run.ctx <= 0) run.ctx = std::max(16, a.prompt + a.gen + 1);
  Session s;
  if (auto code = OpenSession(cmd, run, a.batch, s)) return *code;
  const ModelConfig& c = s.model->config();
  std::mt19937 rng(static_cast<uint32_t>(a.seed));
  std::uniform_int_distribution<int32_t> token(0, c.n_vocab - 1);

  struct Test {
    std::string name;
    double tokens;
    std::vector<Sample> samples;
  };
  std::vector<Test> tests;

  auto timed = [&](const std::function<Status()>& body, Sample* out) -> Status {
    Clock::time_point t0 = Clock::now();
    Status st = body();
    out->seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return st;
  };

  // Prefill: a prompt of -p random tokens in one pass, from an empty cache.
  auto prefill = [&](Sample* out) {
    std::vector<int32_t> ids(static_cast<size_t>(a.prompt));
    for (int32_t& id : ids) id = token(rng);
    s.ctx->ClearSequence(0);
    return timed(
        [&] {
          auto r = s.ctx->Eval(ids);
          out->counters = s.ctx->last_counters();
          return r.ok() ? Status::Ok() : r.status();
        },
        out);
  };
  // Decode: -n steps of one token for each of -b sequences, from empty caches.
  auto decode = [&](Sample* out) {
    for (int q = 0; q < a.batch; ++q) s.ctx->ClearSequence(q);
    std::vector<BatchEntry> step(static_cast<size_t>(a.batch));
    std::vector<float> logits;
    return timed(
        [&] {
          ForwardCounters total;
          for (int i = 0; i < a.gen; ++i) {
            for (int q = 0; q < a.batch; ++q) step[q] = {token(rng), q, true};
            Status st = s.ctx->Decode(step, &logits);
            if (!st.ok()) return st;
            total += s.ctx->last_counters();
          }
          out->counters = total;
          return Status::Ok();
        },
        out);
  };

  if (a.prompt > 0) tests.push_back({fmt::format("pp{}", a.prompt), double(a.prompt), {}});
  if (a.gen > 0) {
    tests.push_back(
        {a.batch > 1 ? fmt::format("tg{} x{}", a.gen, a.batch) : fmt::format("tg{}", a.gen),
         double(a.gen) * a.batch,
         {}});
  }
  for (Test& t : tests) {
    bool is_prefill = t.name.rfind("pp", 0) == 0;
    Sample warmup;
    Status st = is_prefill ? prefill(&warmup) : decode(&warmup);
    if (!st.ok()) return Fail(cmd, st.message(), kRuntime);
    for (int r = 0; r < a.repeats; ++r) {
      Sample x;
      st = is_prefill ? prefill(&x) : decode(&x);
      if (!st.ok()) return Fail(cmd, st.message(), kRuntime);
      t.samples.push_back(x);
    }
  }

  const double size_gib = static_cast<double>(s.model->weight_bytes()) / (1024.0 * 1024 * 1024);
  const double params_b = static_cast<double>(s.model->parameter_count()) / 1e9;
  Json rows = Json::array();
  if (!a.json) {
    fmt::print("| model | size | params | type | threads | isa | test | t/s | GB/s | GFLOP/s |\n");
    fmt::print("| --- | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: |\n");
  }
  for (const Test& t : tests) {
    Stats tps = TokensPerSecond(t.samples, t.tokens);
    double seconds = 0;
    for (const Sample& x : t.samples) seconds += x.seconds;
    const ForwardCounters& k = t.samples.back().counters;
    double mean_s = seconds / static_cast<double>(t.samples.size());
    double gbs =
        static_cast<double>(k.weight_bytes + k.kv_bytes_read + k.kv_bytes_written) / mean_s / 1e9;
    double gflops = k.flops / mean_s / 1e9;
    if (a.json) {
      rows.push_back({{"model", a.run.model},
                      {"arch", c.arch},
                      {"type", s.model->dominant_type()},
                      {"size_bytes", s.model->weight_bytes()},
                      {"params", s.model->parameter_count()},
                      {"threads", s.ctx->n_threads()},
                      {"isa", IsaName(s.ctx->isa())},
                      {"kv_type", KvTypeName(s.ctx->kv_type())},
                      {"test", t.name},
                      {"n_prompt", t.name.rfind("pp", 0) == 0 ? a.prompt : 0},
                      {"n_gen", t.name.rfind("tg", 0) == 0 ? a.gen : 0},
                      {"batch", t.name.rfind("tg", 0) == 0 ? a.batch : 1},
                      {"repeats", a.repeats},
                      {"tokens_per_s", tps.mean},
                      {"tokens_per_s_stddev", tps.stddev},
                      {"samples_s",
                       [&] {
                         std::vector<double> v;
                         for (const Sample& x : t.samples) v.push_back(x.seconds);
                         return v;
                       }()},
                      {"gb_per_s", gbs},
                      {"gflops_per_s", gflops},
                      {"counters", CountersJson(k)}});
    } else {
      fmt::print(
          "| {} {} | {:.2f} GiB | {:.2f} B | {} | {} | {} | {} | {:.2f} ± {:.2f} | {:.1f} | {:.1f} "
          "|\n",
          c.arch, c.n_layer, size_gib, params_b, s.model->dominant_type(), s.ctx->n_threads(),
          IsaName(s.ctx->isa()), t.name, tps.mean, tps.stddev, gbs, gflops);
    }
  }
  if (a.json) fmt::print("{}\n", Dump(rows));
  return kOk;
}

// ---- quantize ----

struct QuantizeArgs {
  std::string in, out, type;
};

int RunQuantize(const QuantizeArgs& a) {
  const std::string cmd = "quantize";
  auto type = ParseTensorTypeName(a.type);
  if (!type || !IsComputeSupported(*type)) {
    return Fail(cmd, "unsupported type '" + a.type + "' (F32, F16, BF16, Q8_0, Q6_K, Q4_K, Q4_0)",
                kUsage);
  }
  auto in = GgufFile::Open(a.in);
  if (!in.ok()) return Fail(cmd, in.message(), kRuntime);
  QuantizeReport report;
  auto w = QuantizeModel(*in, *type, &report);
  if (!w.ok()) return Fail(cmd, a.in + ": " + w.message(), kRuntime);
  Status st = w->WriteFile(a.out);
  if (!st.ok()) return Fail(cmd, st.message(), kRuntime);
  auto written = GgufFile::Open(a.out);
  uint64_t out_bytes = written.ok() ? written->file_size() : 0;
  fmt::print(stderr,
             "pareto quantize: {} matrices as {}, {} kept Q8_0/F16 (rows not a multiple of its "
             "block), {} other tensors copied; {:.1f} MB -> {:.1f} MB\n",
             report.converted, TensorTypeName(*type), report.fallback, report.kept,
             static_cast<double>(in->file_size()) / 1e6, static_cast<double>(out_bytes) / 1e6);
  return kOk;
}

// ---- model new ----

struct ModelNewArgs {
  NewModelSpec spec;
  std::string vocab;
  std::string type = "f32";
  std::string out;
};

int RunModelNew(ModelNewArgs a) {
  const std::string cmd = "model new";
  auto type = ParseTensorTypeName(a.type);
  if (!type) return Fail(cmd, "unknown --type '" + a.type + "'", kUsage);
  a.spec.type = *type;
  if (a.spec.n_head_kv <= 0) a.spec.n_head_kv = a.spec.n_head;
  std::optional<GgufFile> vocab;
  if (!a.vocab.empty()) {
    auto v = GgufFile::Open(a.vocab);
    if (!v.ok()) return Fail(cmd, v.message(), kRuntime);
    vocab = std::move(*v);
  }
  auto w = BuildRandomModel(a.spec, vocab ? &*vocab : nullptr);
  if (!w.ok()) return Fail(cmd, w.message(), kUsage);
  Status st = w->WriteFile(a.out);
  if (!st.ok()) return Fail(cmd, st.message(), kRuntime);
  auto model = Model::Load(a.out);
  if (!model.ok())
    return Fail(cmd, "the written model does not load: " + model.message(), kRuntime);
  fmt::print(stderr, "pareto model new: {} ({} {}, {} layers, {:.1f} M parameters, {:.1f} MB)\n",
             a.out, a.spec.arch, TensorTypeName(a.spec.type), a.spec.n_layer,
             static_cast<double>((*model)->parameter_count()) / 1e6,
             static_cast<double>((*model)->file().file_size()) / 1e6);
  return kOk;
}

}  // namespace

void add_kv_type_option(CLI::App* cmd, std::string& name) {
  cmd->add_option("--kv-type", name, "KV cache element: f32, or f16 (half the cache's memory and traffic)")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](const std::string& value) {
            return ParseKvType(value) ? std::string()
                                      : "unknown --kv-type '" + value + "' (f32, f16)";
          },
          "f32|f16"));
}

void add_core_commands(CLI::App& app, int& exit_code) {
  {
    auto a = std::make_shared<LogitsArgs>();
    CLI::App* cmd = app.add_subcommand("logits", "a model's logits for a text or token ids (JSON)");
    AddRunOptions(cmd, a->run);
    cmd->add_option("--text", a->text,
                    "text, tokenized as the model does (with BOS where it wants one)");
    cmd->add_option("--tokens", a->tokens, "token ids, space- or comma-separated");
    cmd->add_flag("--all", a->all, "logits of every position, not only the last");
    cmd->callback([a, &exit_code] { exit_code = RunLogits(*a); });
  }
  {
    auto a = std::make_shared<GenerateArgs>();
    CLI::App* cmd = app.add_subcommand("generate", "generate text with a GGUF model");
    AddRunOptions(cmd, a->run);
    cmd->add_option("--prompt,-p", a->prompt, "the prompt (the user message with --chat)")
        ->required();
    cmd->add_option("-n,--n-predict", a->n, "tokens to generate at most (default 128)");
    cmd->add_option("--temp", a->temp, "temperature; 0 is greedy (default 0.8)");
    cmd->add_option("--top-k", a->top_k, "sample among the k most likely (default 40; 0: all)");
    cmd->add_option("--top-p", a->top_p, "nucleus sampling threshold (default 0.95)");
    cmd->add_option("--seed,-s", a->seed, "sampling seed (default 0)");
    cmd->add_flag("--chat", a->chat, "wrap the prompt in the model's chat template");
    cmd->add_option("--template", a->template_name,
                    "chat format: chatml, llama3, llama2, phi3, completion");
    cmd->add_option("--system", a->system, "system message (with --chat)");
    cmd->add_option("--stop", a->stop, "stop string (repeatable); cut from the output");
    cmd->add_option("--logprobs", a->logprobs, "top log-probabilities per token (with --json)");
    cmd->add_flag("--json", a->json, "print one JSON object instead of streaming text");
    cmd->callback([a, &exit_code] { exit_code = RunGenerate(*a); });
  }
  {
    auto a = std::make_shared<BenchArgs>();
    CLI::App* cmd =
        app.add_subcommand("bench", "prefill and decode tokens/s of a model (like llama-bench)");
    AddRunOptions(cmd, a->run);
    cmd->add_option("-p,--n-prompt", a->prompt,
                    "prompt tokens for the prefill test (default 128; 0: skip)");
    cmd->add_option("-n,--n-gen", a->gen, "tokens for the decode test (default 32; 0: skip)");
    cmd->add_option("-b,--batch", a->batch, "sequences decoded together (default 1)");
    cmd->add_option("-r,--repetitions", a->repeats,
                    "timed runs per test, after one warm-up (default 5)");
    cmd->add_option("--seed", a->seed, "seed of the random token ids");
    cmd->add_flag("--json", a->json, "print the results as a JSON array");
    cmd->add_flag("--energy", a->energy,
                  "modelled pJ/token for batch sizes 1, 2, 4, ... up to -b (default 16)");
    cmd->add_option("--profile", a->profile, "hardware profile for --energy: cpu-ddr5, gpu-hbm3e")
        ->capture_default_str();
    cmd->callback([a, cmd, &exit_code] {
      a->batch_given = cmd->count("--batch") > 0;
      exit_code = RunBench(*a);
    });
  }
  {
    auto a = std::make_shared<QuantizeArgs>();
    CLI::App* cmd =
        app.add_subcommand("quantize", "convert a GGUF model's matrices to another tensor type");
    cmd->add_option("in", a->in, "input GGUF model")->required();
    cmd->add_option("out", a->out, "output GGUF model")->required();
    cmd->add_option("type", a->type, "Q8_0, Q6_K, Q4_K, Q4_0, F16, BF16 or F32")->required();
    cmd->callback([a, &exit_code] { exit_code = RunQuantize(*a); });
  }
  {
    CLI::App* model = app.add_subcommand("model", "make new models (model new)");
    model->require_subcommand(1);
    auto a = std::make_shared<ModelNewArgs>();
    a->spec.n_head_kv = 0;
    CLI::App* cmd =
        model->add_subcommand("new", "a model with random weights, for tests and benchmarks");
    cmd->add_option("--arch", a->spec.arch, "llama or qwen2 (default llama)");
    cmd->add_option("--embd", a->spec.n_embd, "embedding width")->required();
    cmd->add_option("--layers", a->spec.n_layer, "layers")->required();
    cmd->add_option("--heads", a->spec.n_head, "attention heads")->required();
    cmd->add_option("--kv-heads", a->spec.n_head_kv, "key/value heads (default: --heads)");
    cmd->add_option("--ffn", a->spec.n_ff, "feed-forward width")->required();
    cmd->add_option("--vocab", a->vocab, "GGUF file whose tokenizer the model takes");
    cmd->add_option("--n-vocab", a->spec.n_vocab, "vocabulary size (without --vocab)");
    cmd->add_option("--ctx", a->spec.n_ctx, "training context length to record (default 2048)");
    cmd->add_option("--rope-base", a->spec.rope_base, "RoPE theta (default 10000)");
    cmd->add_flag("--tied", a->spec.tied_output, "tie the output projection to the embedding");
    cmd->add_option("--type", a->type, "type of the weight matrices (default f32)");
    cmd->add_option("--seed", a->spec.seed, "seed of the weights (default 1)");
    cmd->add_option("-o,--output", a->out, "output file")->required();
    cmd->callback([a, &exit_code] { exit_code = RunModelNew(*a); });
  }
}

}  // namespace pareto::cli
