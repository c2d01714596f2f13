// Chat formats, each written out from its published layout.
#include "inference/chat_template.h"

#include <string>

#include "inference/gguf.h"
#include "inference/tokenizer.h"

namespace pareto::inference {
namespace {

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Python's str.strip(): the templates that strip use it on whitespace at both ends.
std::string_view Trim(std::string_view s) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// A ChatML template that writes a system turn when the chat lacks one carries it as a
// string literal: '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n'.
std::string DefaultChatMlSystem(std::string_view jinja) {
  const std::string_view start = "<|im_start|>system\\n";
  const std::string_view end = "<|im_end|>";
  for (size_t at = jinja.find(start); at != std::string_view::npos;
       at = jinja.find(start, at + 1)) {
    const size_t text_begin = at + start.size();
    const size_t text_end = jinja.find(end, text_begin);
    if (text_end == std::string_view::npos) break;
    const std::string_view text = jinja.substr(text_begin, text_end - text_begin);
    // Only a literal: where the template inserts a variable here it is rendering the
    // user's own system message, not a default.
    if (text.empty() || Contains(text, "{") || Contains(text, "'") || Contains(text, "\"") ||
        Contains(text, "\\") || Contains(text, "+")) {
      continue;
    }
    return std::string(text);
  }
  return "";
}

Status CheckRole(const ChatMessage& m, size_t index) {
  if (m.role.empty()) return Status::Error("message " + std::to_string(index) + " has no role");
  if (m.role.find_first_of("\r\n") != std::string::npos) {
    return Status::Error("message " + std::to_string(index) + ": the role has a line break");
  }
  return Status::Ok();
}

Status UnsupportedRole(ChatFormat format, const ChatMessage& m, size_t index) {
  return Status::Error("message " + std::to_string(index) + ": the " +
                       std::string(ChatFormatName(format)) + " format has no role '" + m.role +
                       "' (use system, user or assistant)");
}

Status LateSystem(ChatFormat format, size_t index) {
  return Status::Error("message " + std::to_string(index) + ": the " +
                       std::string(ChatFormatName(format)) +
                       " format takes a system message only as the first message");
}

Result<std::string> RenderChatMl(const ChatTemplate& tmpl, std::span<const ChatMessage> messages,
                                 bool add_generation_prompt) {
  std::string out;
  const bool has_system = !messages.empty() && messages[0].role == "system";
  if (!has_system && !tmpl.default_system.empty()) {
    out += "<|im_start|>system\n" + tmpl.default_system + "<|im_end|>\n";
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    if (Status s = CheckRole(messages[i], i); !s.ok()) return s;
    out += "<|im_start|>" + messages[i].role + "\n" + messages[i].content + "<|im_end|>\n";
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

Result<std::string> RenderLlama3(std::span<const ChatMessage> messages,
                                 bool add_generation_prompt) {
  std::string out;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (Status s = CheckRole(messages[i], i); !s.ok()) return s;
    out += "<|start_header_id|>" + messages[i].role + "<|end_header_id|>\n\n";
    out += Trim(messages[i].content);
    out += "<|eot_id|>";
  }
  if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

// <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant} </s><s>[INST] {user}
// [/INST] ... with the first <s> left to the tokenizer. The prompt always ends ready for the
// assistant, so add_generation_prompt changes nothing.
Result<std::string> RenderLlama2(const ChatTemplate& tmpl, std::span<const ChatMessage> messages) {
  std::string out;
  std::string system;
  bool first_turn = true;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (Status s = CheckRole(m, i); !s.ok()) return s;
    if (m.role == "system") {
      if (i != 0) return LateSystem(ChatFormat::kLlama2, i);
      system = std::string(Trim(m.content));
    } else if (m.role == "user") {
      std::string content(Trim(m.content));
      if (!system.empty()) {
        content = tmpl.llama2_system_block ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content
                                           : system + "\n\n" + content;
        system.clear();
      }
      if (!first_turn) out += tmpl.bos_text;
      out += "[INST] " + content + " [/INST]";
      first_turn = false;
    } else if (m.role == "assistant") {
      out += " ";
      out += Trim(m.content);
      out += " " + tmpl.eos_text;
      first_turn = false;
    } else {
      return UnsupportedRole(ChatFormat::kLlama2, m, i);
    }
  }
  if (!system.empty()) {  // a system message and nothing else
    if (!first_turn) out += tmpl.bos_text;
    out += tmpl.llama2_system_block ? "[INST] <<SYS>>\n" + system + "\n<</SYS>>\n\n [/INST]"
                                    : "[INST] " + system + " [/INST]";
  }
  return out;
}

Result<std::string> RenderPhi3(std::span<const ChatMessage> messages, bool add_generation_prompt) {
  std::string out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (Status s = CheckRole(m, i); !s.ok()) return s;
    if (m.role == "system" && i != 0) return LateSystem(ChatFormat::kPhi3, i);
    if (m.role != "system" && m.role != "user" && m.role != "assistant") {
      return UnsupportedRole(ChatFormat::kPhi3, m, i);
    }
    out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
  }
  if (add_generation_prompt) out += "<|assistant|>\n";
  return out;
}

}  // namespace

std::string CompletionText(std::span<const ChatMessage> messages) {
  std::string out;
  for (const ChatMessage& m : messages) {
    if (m.content.empty()) continue;
    if (!out.empty()) out += "\n\n";
    out += m.content;
  }
  return out;
}

std::string_view ChatFormatName(ChatFormat format) {
  switch (format) {
    case ChatFormat::kCompletion:
      return "completion";
    case ChatFormat::kChatML:
      return "chatml";
    case ChatFormat::kLlama3:
      return "llama3";
    case ChatFormat::kLlama2:
      return "llama2";
    case ChatFormat::kPhi3:
      return "phi3";
  }
  return "completion";
}

Result<ChatFormat> ChatFormatFromName(std::string_view name) {
  if (name == "completion" || name == "plain") return ChatFormat::kCompletion;
  if (name == "chatml") return ChatFormat::kChatML;
  if (name == "llama3" || name == "llama-3") return ChatFormat::kLlama3;
  if (name == "llama2" || name == "llama-2") return ChatFormat::kLlama2;
  if (name == "phi3" || name == "phi-3") return ChatFormat::kPhi3;
  return Status::Error("unknown chat format '" + std::string(name) +
                       "' (known: chatml, llama3, llama2, phi3, completion)");
}

std::optional<ChatTemplate> DetectChatTemplate(std::string_view jinja) {
  ChatTemplate t;
  if (Contains(jinja, "<|im_start|>")) {
    t.format = ChatFormat::kChatML;
    t.default_system = DefaultChatMlSystem(jinja);
  } else if (Contains(jinja, "<|start_header_id|>") && Contains(jinja, "<|eot_id|>")) {
    t.format = ChatFormat::kLlama3;
  } else if (Contains(jinja, "[INST]")) {
    t.format = ChatFormat::kLlama2;
    t.llama2_system_block = Contains(jinja, "<<SYS>>");
  } else if (Contains(jinja, "<|user|>") && Contains(jinja, "<|assistant|>") &&
             Contains(jinja, "<|end|>")) {
    t.format = ChatFormat::kPhi3;
  } else {
    return std::nullopt;
  }
  return t;
}

Result<ChatTemplate> ChooseChatTemplate(std::string_view jinja, std::string_view override_name) {
  if (!override_name.empty()) {
    Result<ChatFormat> format = ChatFormatFromName(override_name);
    if (!format.ok()) return format.status();
    // Keep what the file's template says about details of the same format.
    ChatTemplate t = DetectChatTemplate(jinja).value_or(ChatTemplate{});
    if (t.format != *format) t = ChatTemplate{};
    t.format = *format;
    return t;
  }
  if (jinja.empty()) {
    return Status::Error(
        "the model has no chat template (tokenizer.chat_template); name a format: chatml, "
        "llama3, llama2, phi3 or completion");
  }
  std::optional<ChatTemplate> t = DetectChatTemplate(jinja);
  if (!t) {
    return Status::Error(
        "the model's chat template is not one pareto recognises; name a format: chatml, "
        "llama3, llama2, phi3 or completion");
  }
  return *t;
}

Result<ChatTemplate> ChatTemplateForModel(const GgufFile& file, const Tokenizer& tokenizer,
                                          std::string_view override_name) {
  std::string jinja;
  if (file.Has("tokenizer.chat_template")) {
    Result<std::string> text = file.GetString("tokenizer.chat_template");
    if (!text.ok()) return text.status();
    jinja = std::move(*text);
  }
  Result<ChatTemplate> t = ChooseChatTemplate(jinja, override_name);
  if (!t.ok()) return t;
  if (tokenizer.Contains(tokenizer.bos())) t->bos_text = tokenizer.TokenText(tokenizer.bos());
  if (tokenizer.Contains(tokenizer.eos())) t->eos_text = tokenizer.TokenText(tokenizer.eos());
  return t;
}

Result<std::string> RenderChat(const ChatTemplate& tmpl, std::span<const ChatMessage> messages,
                               bool add_generation_prompt) {
  switch (tmpl.format) {
    case ChatFormat::kCompletion:
      return CompletionText(messages);
    case ChatFormat::kChatML:
      return RenderChatMl(tmpl, messages, add_generation_prompt);
    case ChatFormat::kLlama3:
      return RenderLlama3(messages, add_generation_prompt);
    case ChatFormat::kLlama2:
      return RenderLlama2(tmpl, messages);
    case ChatFormat::kPhi3:
      return RenderPhi3(messages, add_generation_prompt);
  }
  return Status::Error("unknown chat format");
}

}  // namespace pareto::inference
