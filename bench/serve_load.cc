// serve_load: N concurrent streaming clients against an OpenAI-compatible endpoint for a
// fixed time, on loopback; reports errors, throughput and latency percentiles, and (with
// --pid) the server's resident memory over the run, to show it stays flat.
//
//   serve_load --url http://127.0.0.1:8080/v1 --model tiny [--clients 64] [--seconds 60]
//              [--max-tokens 32] [--pid PID]
//
// Refuses URLs that are not loopback: it is a load generator. Prints one JSON object.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "inference/openai_client.h"

using namespace pareto::inference;
using Clock = std::chrono::steady_clock;

namespace {

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

long RssKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = "http://127.0.0.1:8080/v1", model = "pareto";
  int clients = 64, seconds = 60, max_tokens = 32, pid = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") url = v;
    else if (k == "--model") model = v;
    else if (k == "--clients") clients = std::stoi(v);
    else if (k == "--seconds") seconds = std::stoi(v);
    else if (k == "--max-tokens") max_tokens = std::stoi(v);
    else if (k == "--pid") pid = std::stoi(v);
    else {
      fmt::print(stderr, "serve_load: unknown option {}\n", k);
      return 2;
    }
  }
  if (url.rfind("http://127.0.0.1:", 0) != 0 && url.rfind("http://localhost:", 0) != 0) {
    fmt::print(stderr, "serve_load: only loopback URLs (http://127.0.0.1:PORT/v1)\n");
    return 2;
  }
  OpenAiClientOptions o;
  o.base_url = url;
  o.model = model;
  o.concurrency = clients;
  o.max_retries = 0;
  auto client = OpenAiClient::Create(o);
  if (!client.ok()) {
    fmt::print(stderr, "serve_load: {}\n", client.message());
    return 2;
  }
  std::mutex mutex;
  std::vector<double> ttft, e2e, itl;
  std::vector<std::string> errors;
  std::atomic<long> tokens{0}, requests{0};
  std::vector<long> rss;
  const Clock::time_point start = Clock::now(), end = start + std::chrono::seconds(seconds);
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done && pid > 0) {
      rss.push_back(RssKiB(pid));
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  });
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int n = 0; Clock::now() < end; ++n) {
        openai::TextRequest r;
        r.messages = {{"user", fmt::format("Request {} of client {}: tell me a story.", n, c)}};
        r.max_tokens = max_tokens;
        r.temperature = 0.8;
        r.seed = static_cast<uint64_t>(c * 100000 + n);
        r.stream = true;
        r.include_usage = true;
        auto res = (*client)->Complete(r);
        std::lock_guard lock(mutex);
        ++requests;
        if (!res.ok()) {
          errors.push_back(res.message());
          continue;
        }
        tokens += res->completion_tokens;
        ttft.push_back(res->ttft_seconds);
        e2e.push_back(res->total_seconds);
        for (double g : res->InterTokenSeconds()) itl.push_back(g);
      }
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  sampler.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::string rss_text;
  for (size_t i = 0; i < rss.size(); ++i) rss_text += (i ? "," : "") + std::to_string(rss[i]);
  fmt::print(
      "{{\"clients\": {}, \"seconds\": {:.1f}, \"requests\": {}, \"errors\": {}, "
      "\"completion_tokens\": {}, \"tokens_per_s\": {:.1f}, \"requests_per_s\": {:.2f}, "
      "\"ttft_ms\": {{\"p50\": {:.1f}, \"p95\": {:.1f}}}, \"e2e_ms\": {{\"p50\": {:.1f}, \"p95\": "
      "{:.1f}}}, \"itl_ms\": {{\"p50\": {:.2f}, \"p95\": {:.2f}}}, \"server_rss_kib\": [{}]{}}}\n",
      clients, elapsed, requests.load(), errors.size(), tokens.load(),
      static_cast<double>(tokens.load()) / elapsed, static_cast<double>(requests.load()) / elapsed,
      Percentile(ttft, 0.5) * 1e3, Percentile(ttft, 0.95) * 1e3, Percentile(e2e, 0.5) * 1e3,
      Percentile(e2e, 0.95) * 1e3, Percentile(itl, 0.5) * 1e3, Percentile(itl, 0.95) * 1e3,
      rss_text, errors.empty() ? "" : ", \"first_error\": \"" + errors[0].substr(0, 200) + "\"");
  return errors.empty() ? 0 : 1;
}
