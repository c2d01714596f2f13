// The OpenAI wire format, both ways: request bodies of /v1/chat/completions and
// /v1/completions, their replies (whole or as server-sent events), and error bodies.
//
// The client (openai_client.h) encodes requests and decodes replies; the server
// (openai_server.h) decodes requests and encodes replies, so one module states the format
// once. Everything that comes from a peer is untrusted: the decoders take any bytes and
// return a value or an error, never crash, never throw, bound nesting depth, sizes and
// counts, and reject wrong types with a message naming the field (`param`). Text that is not
// valid UTF-8 (a token that is half a character) is written with U+FFFD replacements, as
// JSON requires; `bytes` carries a token's exact bytes alongside.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inference/chat_template.h"
#include "inference/status.h"
#include "inference/tokenizer.h"

namespace pareto::inference::openai {

// What a request asks for. `chat` chooses the endpoint: messages for chat completions, a
// prompt (text or token ids) for completions.
struct TextRequest {
  bool chat = true;
  std::string model;
  std::vector<ChatMessage> messages;
  std::string prompt;
  std::vector<TokenId> prompt_tokens;  // completions: a prompt given as token ids
  std::optional<int> max_tokens;       // absent: the server's default
  double temperature = 1.0;            // OpenAI's default
  double top_p = 1.0;
  int top_k = 0;  // 0: none (an extension vLLM and llama.cpp's server accept)
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage: a last chunk with usage
  bool logprobs = false;
  int top_logprobs = 0;
};

// An OpenAI-style error: {"error": {"message", "type", "param", "code"}} with an HTTP status.
struct ApiError {
  int status = 400;
  std::string type = "invalid_request_error";
  std::string message;
  std::string param;  // the offending field, or empty
  std::string code;   // e.g. "model_not_found", or empty
};

// Limits the decoder enforces on a request (beyond the HTTP body size the server bounds).
struct RequestLimits {
  size_t max_messages = 1024;
  size_t max_stop = 4;
  int max_top_logprobs = 20;
  int max_tokens = 1 << 20;
};

std::string EncodeRequest(const TextRequest& request);

// A decoded request, or the 400 explaining what is wrong with it.
struct DecodedRequest {
  TextRequest request;
  std::optional<ApiError> error;
};
DecodedRequest DecodeRequest(std::string_view body, bool chat, const RequestLimits& limits = {});

std::string EncodeError(const ApiError& error);
// The message of an error body (OpenAI's shape, or a bare {"error": "text"} as some servers
// send); nullopt when the body is not one. Cut to at most 2000 bytes.
std::optional<std::string> DecodeErrorMessage(std::string_view body);

// One generated token with its log-probability and the most likely alternatives.
struct TokenAlternative {
  std::string token;
  float logprob = 0;
  bool operator==(const TokenAlternative&) const = default;
};
struct TokenLogprobs {
  std::string token;  // the token's bytes (possibly part of a UTF-8 character)
  float logprob = 0;
  std::vector<TokenAlternative> top;  // most likely first
  bool operator==(const TokenLogprobs&) const = default;
};

struct Usage {
  int prompt_tokens = 0;
  int completion_tokens = 0;
  bool operator==(const Usage&) const = default;
};

// A whole reply (stream = false).
struct TextResponse {
  std::string id;
  std::string model;
  int64_t created = 0;
  std::string text;
  std::string finish_reason;
  bool has_logprobs = false;
  std::vector<TokenLogprobs> logprobs;
  std::optional<Usage> usage;
};

std::string EncodeResponse(const TextResponse& response, bool chat);
Result<TextResponse> DecodeResponse(std::string_view body, bool chat);

// One event of a streamed reply. The first chat chunk carries the role; the last one the
// finish reason; with include_usage a final chunk has no choices and the usage.
struct StreamChunk {
  std::string text;
  std::vector<TokenLogprobs> logprobs;
  std::string finish_reason;  // empty until the last chunk
  std::optional<Usage> usage;
  bool role = false;      // chat: delta.role = "assistant"
  bool no_choice = false; // the usage-only chunk
};

// The JSON of a chunk (without the SSE framing).
std::string EncodeChunk(const StreamChunk& chunk, bool chat, std::string_view id,
                        std::string_view model, int64_t created);
// A chunk's JSON; an error for anything else, including a peer's {"error": ...} event
// (whose message becomes the error's).
Result<StreamChunk> DecodeChunk(std::string_view data, bool chat);

// Splits a server-sent event stream into the data of each event. Bytes come in any pieces;
// lines end with LF, CRLF or CR; "data:" lines of one event are joined with LF; comments,
// "event:", "id:" and "retry:" lines are skipped. A line longer than max_line is an error.
class SseReader {
 public:
  explicit SseReader(size_t max_line = 4 << 20) : max_line_(max_line) {}
  // Appends every event completed by `bytes` to `events`.
  Status Feed(std::string_view bytes, std::vector<std::string>* events);

 private:
  void EndLine(std::vector<std::string>* events);
  size_t max_line_;
  std::string line_;
  std::string data_;
  bool has_data_ = false;
  bool after_cr_ = false;
};

// GET /v1/models: {"object": "list", "data": [{"id": ..., "object": "model", ...}]}.
std::string EncodeModelList(const std::vector<std::string>& ids, int64_t created);
Result<std::vector<std::string>> DecodeModelList(std::string_view body);

// The event framing a server writes: "data: <json>\n\n".
std::string SseEvent(std::string_view data);

// True when `json` nests arrays and objects at most `max_depth` deep (strings are skipped).
// Checked before parsing peer bodies so a hostile "[[[[..." cannot exhaust the stack.
bool JsonDepthWithin(std::string_view json, int max_depth);

}  // namespace pareto::inference::openai
