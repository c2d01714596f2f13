// Chat template tests: recognising the formats from the Jinja text GGUF files carry, and
// rendering each format exactly as its published layout.
#include "inference/chat_template.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "inference/gguf.h"
#include "inference/tokenizer.h"

namespace pareto::inference {
namespace {

namespace fs = std::filesystem;

// Abridged from the templates of the model families (the markers are what matter).
constexpr std::string_view kQwen2Jinja =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
constexpr std::string_view kChatMlJinja =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
constexpr std::string_view kLlama3Jinja =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ "
    "message['content'] | trim + '<|eot_id|>' %}{{ content }}{% endfor %}";
constexpr std::string_view kLlama2Jinja =
    "{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] "
    "%}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = "
    "'<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% endif %}"
    "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}";
constexpr std::string_view kMistralJinja =
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
    "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endif %}{% endfor %}";
constexpr std::string_view kPhi3Jinja =
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}"
    "{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + '\\n' + '<|assistant|>' + "
    "'\\n'}}{% endif %}{% endfor %}";

const std::vector<ChatMessage> kChat = {
    {"system", "Be brief."}, {"user", "Hi!"}, {"assistant", "Hello."}, {"user", "2+2?"}};

TEST(ChatTemplate, RecognisesTheFormatsByTheirMarkers) {
  EXPECT_EQ(DetectChatTemplate(kQwen2Jinja)->format, ChatFormat::kChatML);
  EXPECT_EQ(DetectChatTemplate(kChatMlJinja)->format, ChatFormat::kChatML);
  EXPECT_EQ(DetectChatTemplate(kLlama3Jinja)->format, ChatFormat::kLlama3);
  EXPECT_EQ(DetectChatTemplate(kLlama2Jinja)->format, ChatFormat::kLlama2);
  EXPECT_TRUE(DetectChatTemplate(kLlama2Jinja)->llama2_system_block);
  EXPECT_FALSE(DetectChatTemplate(kMistralJinja)->llama2_system_block);
  EXPECT_EQ(DetectChatTemplate(kPhi3Jinja)->format, ChatFormat::kPhi3);
  EXPECT_FALSE(DetectChatTemplate("{{ messages[0]['content'] }}").has_value());
}

TEST(ChatTemplate, FindsTheDefaultSystemMessageOfChatMlTemplates) {
  EXPECT_EQ(DetectChatTemplate(kQwen2Jinja)->default_system, "You are a helpful assistant.");
  EXPECT_EQ(DetectChatTemplate(kChatMlJinja)->default_system, "");
}

TEST(ChatTemplate, RendersChatMl) {
  const ChatTemplate t = *DetectChatTemplate(kChatMlJinja);
  Result<std::string> text = RenderChat(t, kChat, /*add_generation_prompt=*/true);
  ASSERT_TRUE(text.ok()) << text.message();
  EXPECT_EQ(*text,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
            "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n"
            "<|im_start|>assistant\n");
  Result<std::string> no_prompt = RenderChat(t, kChat, /*add_generation_prompt=*/false);
  ASSERT_TRUE(no_prompt.ok());
  EXPECT_EQ(*no_prompt + "<|im_start|>assistant\n", *text);
}

TEST(ChatTemplate, ChatMlInsertsTheTemplatesDefaultSystemOnlyWhenThereIsNone) {
  const ChatTemplate t = *DetectChatTemplate(kQwen2Jinja);
  const std::vector<ChatMessage> user_only = {{"user", "Hi"}};
  EXPECT_EQ(*RenderChat(t, user_only, true),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  const std::string with_system = *RenderChat(t, kChat, false);
  EXPECT_EQ(with_system.find("helpful assistant"), std::string::npos);
}

TEST(ChatTemplate, RendersLlama3WithTrimmedContent) {
  const ChatTemplate t = *DetectChatTemplate(kLlama3Jinja);
  const std::vector<ChatMessage> chat = {{"system", " Be brief. "}, {"user", "Hi!\n"}};
  EXPECT_EQ(*RenderChat(t, chat, true),
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, RendersLlama2TurnsWithTheSystemBlockInTheFirst) {
  const ChatTemplate t = *DetectChatTemplate(kLlama2Jinja);
  EXPECT_EQ(*RenderChat(t, kChat, true),
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi! [/INST] Hello. </s><s>[INST] 2+2? "
            "[/INST]");
}

TEST(ChatTemplate, Llama2WithoutASystemBlockPrefixesTheFirstUserMessage) {
  const ChatTemplate t = *DetectChatTemplate(kMistralJinja);
  EXPECT_EQ(*RenderChat(t, std::vector<ChatMessage>(kChat.begin(), kChat.begin() + 2), true),
            "[INST] Be brief.\n\nHi! [/INST]");
}

TEST(ChatTemplate, RendersPhi3) {
  const ChatTemplate t = *DetectChatTemplate(kPhi3Jinja);
  EXPECT_EQ(*RenderChat(t, std::vector<ChatMessage>(kChat.begin() + 1, kChat.end()), true),
            "<|user|>\nHi!<|end|>\n<|assistant|>\nHello.<|end|>\n<|user|>\n2+2?<|end|>\n"
            "<|assistant|>\n");
}

TEST(ChatTemplate, CompletionJoinsContentsWithoutMarkup) {
  ChatTemplate t;
  EXPECT_EQ(*RenderChat(t, kChat, true), "Be brief.\n\nHi!\n\nHello.\n\n2+2?");
}

TEST(ChatTemplate, RejectsRolesTheFormatCannotExpress) {
  const std::vector<ChatMessage> tool = {{"user", "x"}, {"tool", "y"}};
  for (ChatFormat f : {ChatFormat::kLlama2, ChatFormat::kPhi3}) {
    ChatTemplate t;
    t.format = f;
    Result<std::string> r = RenderChat(t, tool, true);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find("'tool'"), std::string::npos) << r.message();
    const std::vector<ChatMessage> late = {{"user", "x"}, {"system", "y"}};
    EXPECT_FALSE(RenderChat(t, late, true).ok());
  }
  ChatTemplate chatml;
  chatml.format = ChatFormat::kChatML;
  EXPECT_TRUE(RenderChat(chatml, tool, true).ok());
  EXPECT_FALSE(RenderChat(chatml, std::vector<ChatMessage>{{"", "x"}}, true).ok());
  EXPECT_FALSE(RenderChat(chatml, std::vector<ChatMessage>{{"a\nb", "x"}}, true).ok());
}

TEST(ChatTemplate, AnOverrideNameWinsAndBadNamesAreErrors) {
  Result<ChatTemplate> t = ChooseChatTemplate(kLlama3Jinja, "chatml");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->format, ChatFormat::kChatML);
  // Same format named: details read from the file are kept.
  Result<ChatTemplate> qwen = ChooseChatTemplate(kQwen2Jinja, "chatml");
  ASSERT_TRUE(qwen.ok());
  EXPECT_EQ(qwen->default_system, "You are a helpful assistant.");
  Result<ChatTemplate> bad = ChooseChatTemplate(kLlama3Jinja, "vicuna");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("chatml"), std::string::npos);
  EXPECT_FALSE(ChooseChatTemplate("", "").ok());
  EXPECT_FALSE(ChooseChatTemplate("{{ x }}", "").ok());
  EXPECT_EQ(ChooseChatTemplate("", "completion")->format, ChatFormat::kCompletion);
  for (ChatFormat f : {ChatFormat::kCompletion, ChatFormat::kChatML, ChatFormat::kLlama3,
                       ChatFormat::kLlama2, ChatFormat::kPhi3}) {
    EXPECT_EQ(*ChatFormatFromName(ChatFormatName(f)), f);
  }
}

fs::path VectorFile(const std::string& name) {
  return fs::path(PARETO_SHARED_DIR) / "data" / "tokenizer" / ("ggml-vocab-" + name + ".gguf");
}

TEST(ChatTemplateFiles, Phi3FileTemplateRendersIntoMarkerTokens) {
  if (!fs::exists(VectorFile("phi-3"))) {
    GTEST_SKIP() << "no tokenizer reference vectors under " << PARETO_SHARED_DIR
                 << " (../shared is absent; set PARETO_SHARED_DIR)";
  }
  Result<GgufFile> file = GgufFile::Open(VectorFile("phi-3").string());
  ASSERT_TRUE(file.ok()) << file.message();
  Result<Tokenizer> tok = Tokenizer::FromGguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.message();
  Result<ChatTemplate> t = ChatTemplateForModel(*file, *tok, "");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->format, ChatFormat::kPhi3);
  const std::vector<ChatMessage> chat = {{"user", "Hi"}};
  const std::vector<TokenId> ids =
      tok->Encode(*RenderChat(*t, chat, true), {.add_special = true, .parse_special = true});
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 1);                                // BOS from the tokenizer
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 32010), 1);  // <|user|>
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 32007), 1);  // <|end|>
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 32001), 1);  // <|assistant|>
}

TEST(ChatTemplateFiles, AFileWithoutTemplateNeedsAFormatName) {
  if (!fs::exists(VectorFile("llama-spm"))) {
    GTEST_SKIP() << "no tokenizer reference vectors under " << PARETO_SHARED_DIR;
  }
  Result<GgufFile> file = GgufFile::Open(VectorFile("llama-spm").string());
  ASSERT_TRUE(file.ok()) << file.message();
  Result<Tokenizer> tok = Tokenizer::FromGguf(*file);
  ASSERT_TRUE(tok.ok());
  EXPECT_FALSE(ChatTemplateForModel(*file, *tok, "").ok());
  Result<ChatTemplate> t = ChatTemplateForModel(*file, *tok, "llama2");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->bos_text, "<s>");
  EXPECT_EQ(t->eos_text, "</s>");
}

}  // namespace
}  // namespace pareto::inference
