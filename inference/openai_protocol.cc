#include "inference/openai_protocol.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace pareto::inference::openai {
namespace {

using Json = nlohmann::json;

constexpr int kMaxDepth = 64;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Parses peer JSON without exceptions; nullopt for anything malformed or too deep.
std::optional<Json> ParsePeerJson(std::string_view text) {
  if (!JsonDepthWithin(text, kMaxDepth)) return std::nullopt;
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

const Json* Field(const Json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<int64_t> AsInteger(const Json& v) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

std::optional<double> AsNumber(const Json& v) {
  if (!v.is_number()) return std::nullopt;
  double d = v.get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

ApiError BadParam(std::string param, std::string message) {
  ApiError e;
  e.message = std::move(message);
  e.param = std::move(param);
  return e;
}

// Message content: a string, or an array of {"type": "text", "text": "..."} parts.
std::optional<std::string> ContentText(const Json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return std::nullopt;
  std::string out;
  for (const Json& part : content) {
    const Json* type = Field(part, "type");
    const Json* text = Field(part, "text");
    if (!type || !type->is_string() || type->get<std::string>() != "text" || !text ||
        !text->is_string()) {
      return std::nullopt;
    }
    out += text->get<std::string>();
  }
  return out;
}

// Reads an integer field within [lo, hi]; sets `error` when present and wrong.
std::optional<int64_t> IntField(const Json& body, const char* name, int64_t lo, int64_t hi,
                                std::optional<ApiError>& error) {
  const Json* v = Field(body, name);
  if (!v || error) return std::nullopt;
  auto n = AsInteger(*v);
  if (!n || *n < lo || *n > hi) {
    error = BadParam(name, fmt::format("'{}' must be an integer from {} to {}", name, lo, hi));
    return std::nullopt;
  }
  return n;
}

std::optional<double> NumberField(const Json& body, const char* name, double lo, double hi,
                                  std::optional<ApiError>& error) {
  const Json* v = Field(body, name);
  if (!v || error) return std::nullopt;
  auto d = AsNumber(*v);
  if (!d || *d < lo || *d > hi) {
    error = BadParam(name, fmt::format("'{}' must be a number from {} to {}", name, lo, hi));
    return std::nullopt;
  }
  return d;
}

std::optional<bool> BoolField(const Json& body, const char* name, std::optional<ApiError>& error) {
  const Json* v = Field(body, name);
  if (!v || error) return std::nullopt;
  if (!v->is_boolean()) {
    error = BadParam(name, fmt::format("'{}' must be a boolean", name));
    return std::nullopt;
  }
  return v->get<bool>();
}

Json LogprobsContent(const std::vector<TokenLogprobs>& tokens) {
  auto bytes_of = [](const std::string& s) {
    Json b = Json::array();
    for (unsigned char c : s) b.push_back(static_cast<int>(c));
    return b;
  };
  Json content = Json::array();
  for (const TokenLogprobs& t : tokens) {
    Json top = Json::array();
    for (const TokenAlternative& a : t.top) {
      top.push_back({{"token", a.token}, {"logprob", a.logprob}, {"bytes", bytes_of(a.token)}});
    }
    content.push_back({{"token", t.token},
                       {"logprob", t.logprob},
                       {"bytes", bytes_of(t.token)},
                       {"top_logprobs", std::move(top)}});
  }
  return content;
}

// The completions endpoint's older shape: parallel arrays and a map per position.
Json LegacyLogprobs(const std::vector<TokenLogprobs>& tokens) {
  Json toks = Json::array(), lps = Json::array(), tops = Json::array(), offsets = Json::array();
  size_t offset = 0;
  for (const TokenLogprobs& t : tokens) {
    toks.push_back(t.token);
    lps.push_back(t.logprob);
    Json top = Json::object();
    for (const TokenAlternative& a : t.top) {
      // A map cannot hold two alternatives that render to the same text; keep the first.
      if (!top.contains(a.token)) top[a.token] = a.logprob;
    }
    tops.push_back(std::move(top));
    offsets.push_back(offset);
    offset += t.token.size();
  }
  return {{"tokens", toks}, {"token_logprobs", lps}, {"top_logprobs", tops}, {"text_offset", offsets}};
}

// Token bytes from a peer: the "bytes" array when it is valid, else the token string.
std::string TokenBytes(const Json& entry) {
  const Json* bytes = Field(entry, "bytes");
  if (bytes && bytes->is_array() && bytes->size() <= 1024) {
    std::string out;
    bool ok = true;
    for (const Json& b : *bytes) {
      auto v = AsInteger(b);
      if (!v || *v < 0 || *v > 255) {
        ok = false;
        break;
      }
      out.push_back(static_cast<char>(*v));
    }
    if (ok) return out;
  }
  const Json* token = Field(entry, "token");
  return token && token->is_string() ? token->get<std::string>() : std::string();
}

float LogprobOf(const Json& v) {
  auto d = AsNumber(v);
  // Servers write -inf as a huge negative number or null; keep it finite and very unlikely.
  if (!d) return -9999.0f;
  return static_cast<float>(std::max(*d, -9999.0));
}

Result<std::vector<TokenLogprobs>> DecodeLogprobs(const Json& lp, bool chat) {
  std::vector<TokenLogprobs> out;
  if (chat || lp.contains("content")) {
    const Json* content = Field(lp, "content");
    if (!content) return out;
    if (!content->is_array()) return Status::Error("logprobs.content is not an array");
    for (const Json& entry : *content) {
      if (!entry.is_object()) return Status::Error("a logprobs.content entry is not an object");
      TokenLogprobs t;
      t.token = TokenBytes(entry);
      const Json* v = Field(entry, "logprob");
      t.logprob = v ? LogprobOf(*v) : -9999.0f;
      if (const Json* top = Field(entry, "top_logprobs")) {
        if (!top->is_array()) return Status::Error("top_logprobs is not an array");
        for (const Json& alt : *top) {
          if (!alt.is_object()) return Status::Error("a top_logprobs entry is not an object");
          const Json* av = Field(alt, "logprob");
          t.top.push_back({TokenBytes(alt), av ? LogprobOf(*av) : -9999.0f});
        }
      }
      out.push_back(std::move(t));
    }
    return out;
  }
  const Json* tokens = Field(lp, "tokens");
  if (!tokens) return out;
  const Json* values = Field(lp, "token_logprobs");
  const Json* tops = Field(lp, "top_logprobs");
  if (!tokens->is_array() || (values && !values->is_array()) || (tops && !tops->is_array())) {
    return Status::Error("logprobs.tokens, token_logprobs and top_logprobs must be arrays");
  }
  for (size_t i = 0; i < tokens->size(); ++i) {
    const Json& tok = (*tokens)[i];
    if (!tok.is_string()) return Status::Error("a logprobs token is not a string");
    TokenLogprobs t;
    t.token = tok.get<std::string>();
    t.logprob = values && i < values->size() ? LogprobOf((*values)[i]) : -9999.0f;
    if (tops && i < tops->size() && (*tops)[i].is_object()) {
      for (const auto& [k, v] : (*tops)[i].items()) t.top.push_back({k, LogprobOf(v)});
      std::stable_sort(t.top.begin(), t.top.end(),
                       [](const auto& a, const auto& b) { return a.logprob > b.logprob; });
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::optional<Usage> DecodeUsage(const Json& body) {
  const Json* u = Field(body, "usage");
  if (!u || !u->is_object()) return std::nullopt;
  const Json* p = Field(*u, "prompt_tokens");
  const Json* c = Field(*u, "completion_tokens");
  if (!p || !c) return std::nullopt;
  auto pi = AsInteger(*p), ci = AsInteger(*c);
  if (!pi || !ci || *pi < 0 || *ci < 0 || *pi > INT32_MAX || *ci > INT32_MAX) return std::nullopt;
  return Usage{static_cast<int>(*pi), static_cast<int>(*ci)};
}

Json UsageJson(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

std::string StringField(const Json& body, const char* name) {
  const Json* v = Field(body, name);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

bool JsonDepthWithin(std::string_view json, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : json) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

std::string EncodeRequest(const TextRequest& r) {
  Json j;
  j["model"] = r.model;
  if (r.chat) {
    Json messages = Json::array();
    for (const ChatMessage& m : r.messages) {
      messages.push_back({{"role", m.role}, {"content", m.content}});
    }
    j["messages"] = std::move(messages);
  } else if (!r.prompt_tokens.empty()) {
    j["prompt"] = r.prompt_tokens;
  } else {
    j["prompt"] = r.prompt;
  }
  if (r.max_tokens) j["max_tokens"] = *r.max_tokens;
  j["temperature"] = r.temperature;
  if (r.top_p != 1.0) j["top_p"] = r.top_p;
  if (r.top_k > 0) j["top_k"] = r.top_k;
  if (r.seed) j["seed"] = *r.seed;
  if (!r.stop.empty()) j["stop"] = r.stop;
  j["stream"] = r.stream;
  if (r.stream && r.include_usage) j["stream_options"] = {{"include_usage", true}};
  if (r.logprobs) {
    if (r.chat) {
      j["logprobs"] = true;
      j["top_logprobs"] = r.top_logprobs;
    } else {
      j["logprobs"] = r.top_logprobs;
    }
  }
  return Dump(j);
}

DecodedRequest DecodeRequest(std::string_view body, bool chat, const RequestLimits& limits) {
  DecodedRequest out;
  TextRequest& r = out.request;
  r.chat = chat;
  std::optional<ApiError>& error = out.error;
  auto parsed = ParsePeerJson(body);
  if (!parsed) {
    error = BadParam("", "the request body is not valid JSON (or nests deeper than 64 levels)");
    return out;
  }
  const Json& j = *parsed;
  if (!j.is_object()) {
    error = BadParam("", "the request body must be a JSON object");
    return out;
  }
  try {
    const Json* model = Field(j, "model");
    if (!model || !model->is_string()) {
      error = BadParam("model", "'model' is required and must be a string");
      return out;
    }
    r.model = model->get<std::string>();

    if (chat) {
      const Json* messages = Field(j, "messages");
      if (!messages || !messages->is_array() || messages->empty()) {
        error = BadParam("messages", "'messages' must be a non-empty array");
        return out;
      }
      if (messages->size() > limits.max_messages) {
        error = BadParam("messages", fmt::format("at most {} messages", limits.max_messages));
        return out;
      }
      for (size_t i = 0; i < messages->size(); ++i) {
        const Json& m = (*messages)[i];
        const std::string param = fmt::format("messages[{}]", i);
        const Json* role = Field(m, "role");
        if (!role || !role->is_string()) {
          error = BadParam(param + ".role", "every message needs a string 'role'");
          return out;
        }
        std::string role_text = role->get<std::string>();
        if (role_text != "system" && role_text != "user" && role_text != "assistant" &&
            role_text != "developer") {
          error = BadParam(param + ".role",
                           "'role' must be system, developer, user or assistant; got '" +
                               role_text.substr(0, 40) + "'");
          return out;
        }
        if (role_text == "developer") role_text = "system";
        const Json* content = Field(m, "content");
        std::optional<std::string> text = content ? ContentText(*content) : std::nullopt;
        if (!text) {
          error = BadParam(param + ".content",
                           "'content' must be a string or an array of text parts");
          return out;
        }
        r.messages.push_back({std::move(role_text), std::move(*text)});
      }
    } else {
      const Json* prompt = Field(j, "prompt");
      if (!prompt) {
        error = BadParam("prompt", "'prompt' is required");
        return out;
      }
      const Json* p = prompt;
      // A list of one prompt is the same as the prompt.
      if (p->is_array() && p->size() == 1 && ((*p)[0].is_string() || (*p)[0].is_array())) {
        p = &(*p)[0];
      }
      if (p->is_string()) {
        r.prompt = p->get<std::string>();
      } else if (p->is_array() && !p->empty()) {
        for (const Json& t : *p) {
          auto id = AsInteger(t);
          if (!id || *id < 0 || *id > INT32_MAX) {
            error = BadParam("prompt",
                             "'prompt' must be a string, or one prompt as an array of token ids "
                             "(several prompts per request are not supported)");
            return out;
          }
          r.prompt_tokens.push_back(static_cast<TokenId>(*id));
        }
      } else {
        error = BadParam("prompt", "'prompt' must be a string or an array of token ids");
        return out;
      }
      if (auto echo = BoolField(j, "echo", error); echo && *echo) {
        error = BadParam("echo", "'echo' is not supported");
      }
    }

    if (auto v = IntField(j, "max_tokens", 1, limits.max_tokens, error)) {
      r.max_tokens = static_cast<int>(*v);
    }
    if (auto v = IntField(j, "max_completion_tokens", 1, limits.max_tokens, error)) {
      r.max_tokens = static_cast<int>(*v);
    }
    if (auto v = NumberField(j, "temperature", 0, 2, error)) r.temperature = *v;
    if (auto v = NumberField(j, "top_p", 0, 1, error)) {
      if (*v <= 0) {
        error = BadParam("top_p", "'top_p' must be above 0");
      } else {
        r.top_p = *v;
      }
    }
    if (auto v = IntField(j, "top_k", -1, 1 << 20, error)) r.top_k = static_cast<int>(std::max<int64_t>(*v, 0));
    if (const Json* v = Field(j, "seed"); v && !error) {
      auto s = AsInteger(*v);
      if (v->is_number_unsigned()) {
        r.seed = v->get<uint64_t>();
      } else if (s) {
        r.seed = static_cast<uint64_t>(*s);
      } else {
        error = BadParam("seed", "'seed' must be an integer");
      }
    }
    if (auto v = IntField(j, "n", 1, 1, error); !v && !error && Field(j, "n")) {
      error = BadParam("n", "only n = 1 is supported");
    }
    for (const char* name : {"presence_penalty", "frequency_penalty"}) {
      if (auto v = NumberField(j, name, -2, 2, error); v && *v != 0 && !error) {
        error = BadParam(name, fmt::format("'{}' other than 0 is not supported", name));
      }
    }
    if (const Json* stop = Field(j, "stop"); stop && !error) {
      if (stop->is_string()) {
        r.stop.push_back(stop->get<std::string>());
      } else if (stop->is_array() && stop->size() <= limits.max_stop &&
                 std::all_of(stop->begin(), stop->end(),
                             [](const Json& s) { return s.is_string(); })) {
        for (const Json& s : *stop) r.stop.push_back(s.get<std::string>());
      } else {
        error = BadParam("stop", fmt::format("'stop' must be a string or an array of at most {} "
                                             "strings",
                                             limits.max_stop));
      }
    }
    if (auto v = BoolField(j, "stream", error)) r.stream = *v;
    if (const Json* so = Field(j, "stream_options"); so && !error) {
      if (!so->is_object()) {
        error = BadParam("stream_options", "'stream_options' must be an object");
      } else if (auto v = BoolField(*so, "include_usage", error)) {
        r.include_usage = *v;
      }
    }
    if (chat) {
      if (auto v = BoolField(j, "logprobs", error)) r.logprobs = *v;
      if (auto v = IntField(j, "top_logprobs", 0, limits.max_top_logprobs, error)) {
        r.top_logprobs = static_cast<int>(*v);
        if (!r.logprobs && *v > 0 && !error) {
          error = BadParam("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        }
      }
    } else if (const Json* v = Field(j, "logprobs"); v && !error) {
      auto n = AsInteger(*v);
      if (!n || *n < 0 || *n > limits.max_top_logprobs) {
        error = BadParam("logprobs", fmt::format("'logprobs' must be an integer from 0 to {}",
                                                 limits.max_top_logprobs));
      } else {
        r.logprobs = true;
        r.top_logprobs = static_cast<int>(*n);
      }
    }
  } catch (const Json::exception& e) {
    // Unreachable when the checks above are complete; an error value all the same.
    error = BadParam("", std::string("malformed request: ") + e.what());
  }
  return out;
}

std::string EncodeError(const ApiError& e) {
  Json err = {{"message", e.message}, {"type", e.type}};
  err["param"] = e.param.empty() ? Json(nullptr) : Json(e.param);
  err["code"] = e.code.empty() ? Json(nullptr) : Json(e.code);
  return Dump(Json{{"error", err}});
}

std::optional<std::string> DecodeErrorMessage(std::string_view body) {
  auto j = ParsePeerJson(body);
  if (!j) return std::nullopt;
  const Json* err = Field(*j, "error");
  std::string message;
  if (err && err->is_string()) {
    message = err->get<std::string>();
  } else if (err && err->is_object()) {
    message = StringField(*err, "message");
    if (message.empty()) message = Dump(*err);
  } else if (const Json* m = Field(*j, "message"); m && m->is_string()) {
    message = m->get<std::string>();
  } else {
    return std::nullopt;
  }
  if (message.size() > 2000) message.resize(2000);
  return message;
}

std::string EncodeResponse(const TextResponse& r, bool chat) {
  Json choice = {{"index", 0}, {"finish_reason", r.finish_reason}};
  if (chat) {
    choice["message"] = {{"role", "assistant"}, {"content", r.text}};
    choice["logprobs"] = r.has_logprobs ? Json{{"content", LogprobsContent(r.logprobs)}}
                                        : Json(nullptr);
  } else {
    choice["text"] = r.text;
    choice["logprobs"] = r.has_logprobs ? LegacyLogprobs(r.logprobs) : Json(nullptr);
  }
  Json j = {{"id", r.id},
            {"object", chat ? "chat.completion" : "text_completion"},
            {"created", r.created},
            {"model", r.model},
            {"choices", Json::array({choice})}};
  if (r.usage) j["usage"] = UsageJson(*r.usage);
  return Dump(j);
}

Result<TextResponse> DecodeResponse(std::string_view body, bool chat) {
  auto j = ParsePeerJson(body);
  if (!j) return Status::Error("the reply is not valid JSON");
  if (!j->is_object()) return Status::Error("the reply is not a JSON object");
  try {
    if (Field(*j, "error")) {
      return Status::Error("the reply is an error: " + DecodeErrorMessage(body).value_or("?"));
    }
    TextResponse r;
    r.id = StringField(*j, "id");
    r.model = StringField(*j, "model");
    if (const Json* c = Field(*j, "created")) r.created = AsInteger(*c).value_or(0);
    const Json* choices = Field(*j, "choices");
    if (!choices || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
      return Status::Error("the reply has no choices");
    }
    const Json& choice = (*choices)[0];
    if (chat) {
      const Json* message = Field(choice, "message");
      if (!message || !message->is_object()) return Status::Error("the reply has no message");
      const Json* content = Field(*message, "content");
      if (content) {
        auto text = ContentText(*content);
        if (!text) return Status::Error("the reply's message content is not text");
        r.text = std::move(*text);
      }
    } else {
      const Json* text = Field(choice, "text");
      if (!text || !text->is_string()) return Status::Error("the reply's choice has no text");
      r.text = text->get<std::string>();
    }
    r.finish_reason = StringField(choice, "finish_reason");
    if (const Json* lp = Field(choice, "logprobs")) {
      if (!lp->is_object()) return Status::Error("the reply's logprobs is not an object");
      auto decoded = DecodeLogprobs(*lp, chat);
      if (!decoded.ok()) return decoded.status();
      r.has_logprobs = true;
      r.logprobs = std::move(*decoded);
    }
    r.usage = DecodeUsage(*j);
    return r;
  } catch (const Json::exception& e) {
    return Status::Error(std::string("malformed reply: ") + e.what());
  }
}

std::string EncodeChunk(const StreamChunk& c, bool chat, std::string_view id,
                        std::string_view model, int64_t created) {
  Json j = {{"id", id},
            {"object", chat ? "chat.completion.chunk" : "text_completion"},
            {"created", created},
            {"model", model}};
  Json choices = Json::array();
  if (!c.no_choice) {
    Json choice = {{"index", 0}};
    choice["finish_reason"] = c.finish_reason.empty() ? Json(nullptr) : Json(c.finish_reason);
    if (chat) {
      Json delta = Json::object();
      if (c.role) delta["role"] = "assistant";
      if (!c.text.empty() || c.role) delta["content"] = c.text;
      choice["delta"] = std::move(delta);
      choice["logprobs"] =
          c.logprobs.empty() ? Json(nullptr) : Json{{"content", LogprobsContent(c.logprobs)}};
    } else {
      choice["text"] = c.text;
      choice["logprobs"] = c.logprobs.empty() ? Json(nullptr) : LegacyLogprobs(c.logprobs);
    }
    choices.push_back(std::move(choice));
  }
  j["choices"] = std::move(choices);
  if (c.usage) j["usage"] = UsageJson(*c.usage);
  return Dump(j);
}

Result<StreamChunk> DecodeChunk(std::string_view data, bool chat) {
  auto j = ParsePeerJson(data);
  if (!j) return Status::Error("a streamed event is not valid JSON");
  if (!j->is_object()) return Status::Error("a streamed event is not a JSON object");
  try {
    if (Field(*j, "error")) {
      return Status::Error("the stream reports an error: " +
                           DecodeErrorMessage(data).value_or("?"));
    }
    StreamChunk c;
    c.usage = DecodeUsage(*j);
    const Json* choices = Field(*j, "choices");
    if (!choices || (choices->is_array() && choices->empty())) {
      c.no_choice = true;
      return c;
    }
    if (!choices->is_array() || !(*choices)[0].is_object()) {
      return Status::Error("a streamed event's choices are malformed");
    }
    const Json& choice = (*choices)[0];
    if (chat) {
      const Json* delta = Field(choice, "delta");
      if (delta) {
        if (!delta->is_object()) return Status::Error("a streamed delta is not an object");
        if (const Json* role = Field(*delta, "role"); role && role->is_string()) c.role = true;
        if (const Json* content = Field(*delta, "content")) {
          auto text = ContentText(*content);
          if (!text) return Status::Error("a streamed delta's content is not text");
          c.text = std::move(*text);
        }
      }
    } else if (const Json* text = Field(choice, "text")) {
      if (!text->is_string()) return Status::Error("a streamed choice's text is not a string");
      c.text = text->get<std::string>();
    }
    c.finish_reason = StringField(choice, "finish_reason");
    if (const Json* lp = Field(choice, "logprobs")) {
      if (!lp->is_object()) return Status::Error("a streamed logprobs is not an object");
      auto decoded = DecodeLogprobs(*lp, chat);
      if (!decoded.ok()) return decoded.status();
      c.logprobs = std::move(*decoded);
    }
    return c;
  } catch (const Json::exception& e) {
    return Status::Error(std::string("malformed streamed event: ") + e.what());
  }
}

std::string EncodeModelList(const std::vector<std::string>& ids, int64_t created) {
  Json data = Json::array();
  for (const std::string& id : ids) {
    data.push_back({{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "pareto"}});
  }
  return Dump(Json{{"object", "list"}, {"data", std::move(data)}});
}

Result<std::vector<std::string>> DecodeModelList(std::string_view body) {
  auto j = ParsePeerJson(body);
  if (!j) return Status::Error("the model list is not valid JSON");
  const Json* data = Field(*j, "data");
  if (!data || !data->is_array()) return Status::Error("the model list has no 'data' array");
  std::vector<std::string> ids;
  for (const Json& m : *data) {
    const Json* id = Field(m, "id");
    if (!id || !id->is_string()) return Status::Error("a model in the list has no string 'id'");
    ids.push_back(id->get<std::string>());
  }
  return ids;
}

void SseReader::EndLine(std::vector<std::string>* events) {
  if (line_.empty()) {
    if (has_data_) events->push_back(std::move(data_));
    data_.clear();
    has_data_ = false;
    return;
  }
  std::string_view line = line_;
  if (line.substr(0, 5) == "data:") {
    std::string_view value = line.substr(5);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    if (has_data_) data_ += '\n';
    data_ += value;
    has_data_ = true;
  }
  // Anything else (comments ":...", event:, id:, retry:, unknown fields) is skipped.
  line_.clear();
}

Status SseReader::Feed(std::string_view bytes, std::vector<std::string>* events) {
  for (char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // CRLF: the CR ended the line already
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      EndLine(events);
      continue;
    }
    if (line_.size() >= max_line_ || data_.size() >= max_line_) {
      return Status::Error(fmt::format("a streamed event is longer than {} bytes", max_line_));
    }
    line_ += c;
  }
  return Status::Ok();
}

std::string SseEvent(std::string_view data) {
  std::string out = "data: ";
  out += data;
  out += "\n\n";
  return out;
}

}  // namespace pareto::inference::openai
