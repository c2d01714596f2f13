// pareto serve: the embedded core behind an OpenAI-compatible HTTP API.
//
//   pareto serve --model F [--host 127.0.0.1] [--port 8080] [--api-key-env V] [--name ID]
//                [--parallel 8] [--ctx 2048] [--threads N] [--template NAME]
//                [--max-tokens 256] [--kv-type f32|f16] [--energy-profile cpu-ddr5]
//
// Binds loopback unless told otherwise. Prints where it listens on stderr, serves until
// SIGINT or SIGTERM, then lets requests in flight finish and exits 0. Exit 2 for bad
// arguments, 3 when the model cannot be loaded or the address bound. The server knows no
// energy model; this command gives it the harness's modelled energy (harness/energy.h) so
// /metrics can report joules with their source.
#include <fmt/core.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "harness/cli/commands.h"
#include "harness/energy.h"
#include "inference/chat_template.h"
#include "inference/model.h"
#include "inference/openai_server.h"
#include "inference/tokenizer.h"

namespace pareto::cli {
namespace {

using namespace pareto::inference;

struct ServeArgs {
  std::string model;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string api_key_env;
  std::string name;
  int parallel = 8;
  int ctx = 0;
  int threads = 0;
  std::string template_name;
  int max_tokens = 256;
  std::string kv_type = "f32";
  std::string energy_profile = "cpu-ddr5";
};

int Fail(const std::string& message, int code) {
  fmt::print(stderr, "pareto serve: {}\n", message);
  return code;
}

int RunServe(const ServeArgs& a) {
  if (a.port < 0 || a.port > 65535) return Fail("--port must be 0..65535", kUsage);
  if (a.parallel < 1 || a.max_tokens < 1) return Fail("--parallel and --max-tokens must be positive", kUsage);
  OpenAiServerOptions o;
  o.host = a.host;
  o.port = static_cast<uint16_t>(a.port);
  o.parallel = a.parallel;
  o.n_threads = a.threads;
  o.default_max_tokens = a.max_tokens;
  o.model_id = a.name.empty() ? std::filesystem::path(a.model).stem().string() : a.name;
  if (!a.api_key_env.empty()) {
    const char* key = std::getenv(a.api_key_env.c_str());
    if (key == nullptr || *key == 0) {
      return Fail("the API key variable " + a.api_key_env + " is not set", kUsage);
    }
    o.api_key = key;
  }
  o.kv_type = ParseKvType(a.kv_type).value();  // checked when parsed
  auto profile = harness::find_hardware_profile(a.energy_profile);
  if (!profile.ok()) return Fail(profile.message(), kUsage);

  auto model = Model::Load(a.model);
  if (!model.ok()) return Fail(model.message(), kRuntime);
  auto tok = Tokenizer::FromGguf((*model)->file());
  if (!tok.ok()) return Fail(a.model + ": " + tok.message(), kRuntime);
  ChatTemplate chat;
  auto tmpl = ChatTemplateForModel((*model)->file(), *tok, a.template_name);
  if (tmpl.ok()) {
    chat = *tmpl;
  } else if (!a.template_name.empty()) {
    return Fail(tmpl.message(), kUsage);
  } else {
    fmt::print(stderr,
               "pareto serve: {}; chat requests use the plain completion format (--template "
               "names another)\n",
               tmpl.message());
  }
  o.n_ctx = a.ctx > 0 ? a.ctx : std::clamp((*model)->config().n_ctx_train, 512, 2048);
  const harness::HardwareProfile hw = *profile;
  o.energy_joules = [hw](const ForwardCounters& c) {
    harness::WorkCounters w;
    w.flops = c.flops;
    w.weight_bytes = static_cast<double>(c.weight_bytes);
    w.kv_bytes_read = static_cast<double>(c.kv_bytes_read);
    w.kv_bytes_written = static_cast<double>(c.kv_bytes_written);
    w.tokens = c.tokens;
    auto e = harness::model_energy(w, hw);
    return e.ok() ? e->joules() : 0.0;
  };
  o.energy_label = "modelled";

  // The signals are taken by sigwait below, so block them before any server thread exists
  // (threads inherit the mask).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = OpenAiServer::Start(**model, std::move(*tok), chat, o);
  if (!server.ok()) return Fail(server.message(), kRuntime);
  fmt::print(stderr,
             "pareto serve: listening on {} (model '{}', {} sequences of {} positions, {} KV "
             "cache{})\n",
             (*server)->base_url(), o.model_id, o.parallel, o.n_ctx, KvTypeName(o.kv_type),
             o.api_key.empty() ? "" : ", API key required");
  std::fflush(stderr);
  int sig = 0;
  sigwait(&signals, &sig);
  fmt::print(stderr, "pareto serve: {} received; finishing requests in flight\n",
             sig == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stderr);
  (*server)->Shutdown();
  fmt::print(stderr, "pareto serve: stopped\n");
  return kOk;
}

}  // namespace

void add_serve_commands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "an OpenAI-compatible server for the embedded core");
  cmd->add_option("--model,-m", args->model, "GGUF model file")->required();
  cmd->add_option("--host", args->host, "address to bind (default 127.0.0.1: loopback only)");
  cmd->add_option("--port", args->port, "port (default 8080; 0 picks a free one)");
  cmd->add_option("--api-key-env", args->api_key_env,
                  "environment variable holding the key clients must send as a bearer token");
  cmd->add_option("--name", args->name, "the model id clients ask for (default: the file's stem)");
  cmd->add_option("--parallel,-p", args->parallel, "requests decoded together (default 8)");
  cmd->add_option("--ctx,-c", args->ctx, "positions per request (default: min(training, 2048))");
  cmd->add_option("--threads,-t", args->threads, "threads of the forward pass (default: all)");
  cmd->add_option("--template", args->template_name,
                  "chat format: chatml, llama3, llama2, phi3, completion (default: the model's)");
  cmd->add_option("--max-tokens", args->max_tokens, "tokens generated when a request names none");
  add_kv_type_option(cmd, args->kv_type);
  cmd->add_option("--energy-profile", args->energy_profile,
                  "hardware profile of the modelled energy in /metrics (cpu-ddr5, gpu-hbm3e)");
  cmd->callback([args, &exit_code] { exit_code = RunServe(*args); });
}

}  // namespace pareto::cli
