// Chat templates: turning a list of {role, content} messages into the prompt text a chat
// model was trained on.
//
// GGUF files carry their template as Jinja source (tokenizer.chat_template). We do not run
// Jinja; we recognise the handful of formats nearly every file uses by their markers and
// render them with code: ChatML (<|im_start|>, Qwen2, SmolLM), Llama 3 (<|start_header_id|>),
// Llama 2 ([INST], <<SYS>>), Phi-3 (<|user|> ... <|end|>), plus plain completion (no markup).
// The user can always name a format instead, which is also the way out for a file whose
// template is not recognised.
//
// The rendered text writes special tokens as their text ("<|im_start|>") and leaves out
// the BOS that starts the prompt: encode it with add_special = true (the tokenizer adds BOS
// as the model wants) and parse_special = true (so markers become their tokens).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "inference/status.h"

namespace pareto::inference {

class GgufFile;
class Tokenizer;

struct ChatMessage {
  std::string role;  // "system", "user", "assistant" (ChatML and Llama 3 accept any role)
  std::string content;
};

enum class ChatFormat {
  kCompletion,  // contents joined by blank lines, no roles: base models
  kChatML,
  kLlama3,
  kLlama2,
  kPhi3,
};

struct ChatTemplate {
  ChatFormat format = ChatFormat::kCompletion;
  // ChatML: the system message the file's template inserts when the chat has none
  // (Qwen2's "You are a helpful assistant."); empty for none.
  std::string default_system;
  // Llama 2: whether the template has a <<SYS>> block; without one a system message is
  // put in front of the first user message.
  bool llama2_system_block = true;
  // Llama 2 writes BOS and EOS between turns as text; the vocabulary's spellings.
  std::string bos_text = "<s>";
  std::string eos_text = "</s>";
};

// "completion", "chatml", "llama3", "llama2", "phi3".
std::string_view ChatFormatName(ChatFormat format);
// The inverse of ChatFormatName (also "plain", "llama-3", "llama-2", "phi-3"); an error
// listing the names for anything else.
Result<ChatFormat> ChatFormatFromName(std::string_view name);

// Recognises a Jinja chat template by its markers; nullopt when it is none of ours.
std::optional<ChatTemplate> DetectChatTemplate(std::string_view jinja);

// The template to use: `override_name` when not empty, else the one recognised in `jinja`.
// An error (naming the formats one can pass) when the model has no template or an
// unrecognised one and no override is given.
Result<ChatTemplate> ChooseChatTemplate(std::string_view jinja, std::string_view override_name);

// As ChooseChatTemplate, reading tokenizer.chat_template from the file and the BOS/EOS
// spellings from the tokenizer.
Result<ChatTemplate> ChatTemplateForModel(const GgufFile& file, const Tokenizer& tokenizer,
                                          std::string_view override_name);

// The plain completion rendering (format kCompletion) of `messages`: their non-empty contents
// joined by a blank line, roles left out. The one definition of a base model's prompt text:
// the chat rendering of template-less models, completion-mode requests (embedded and remote)
// and agents::Prompt::text() all use it.
std::string CompletionText(std::span<const ChatMessage> messages);

// The prompt text for `messages`; with add_generation_prompt it ends where the assistant's
// reply begins. Errors: an empty role, a role the format cannot express, a system message
// after the first (Llama 2, Phi-3).
Result<std::string> RenderChat(const ChatTemplate& tmpl, std::span<const ChatMessage> messages,
                               bool add_generation_prompt);

}  // namespace pareto::inference
