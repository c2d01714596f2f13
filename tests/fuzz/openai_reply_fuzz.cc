// libFuzzer target: what an OpenAI-compatible peer sends the client (whole replies, error
// bodies, model lists, server-sent event streams cut at any byte) must decode to a value or
// an error, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inference/openai_protocol.h"

using namespace pareto::inference::openai;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the endpoint and where the stream is split.
  const bool chat = data[0] & 1;
  const size_t split = size > 1 ? data[0] % size : 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  (void)DecodeResponse(body, chat);
  (void)DecodeErrorMessage(body);
  (void)DecodeModelList(body);
  (void)DecodeChunk(body, chat);

  SseReader reader(1 << 16);
  std::vector<std::string> events;
  if (reader.Feed(body.substr(0, split), &events).ok() &&
      reader.Feed(body.substr(std::min(split, body.size())), &events).ok()) {
    (void)reader.Feed("\n\n", &events);
  }
  for (const std::string& e : events) {
    auto chunk = DecodeChunk(e, chat);
    // What decodes must encode again without trouble.
    if (chunk.ok()) (void)EncodeChunk(*chunk, chat, "id", "model", 0);
  }
  return 0;
}
