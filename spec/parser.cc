#include "spec/parser.h"

#include <fmt/format.h>

#include <array>
#include <string>
#include <utility>

#include "spec/lexer.h"
#include "spec/suggest.h"

namespace pareto::spec {
namespace {

constexpr std::array<std::string_view, 5> kItemKeywords = {"suite", "include", "defaults", "task",
                                                           "tier"};

bool is_item_keyword(std::string_view name) {
  for (std::string_view k : kItemKeywords) {
    if (k == name) return true;
  }
  return false;
}

std::string truncated(std::string_view text, std::size_t max = 40) {
  if (text.size() <= max) return std::string(text);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

// Where something was expected, for messages: a pattern with one `{}` for a name. The text is
// only built when an error needs it (building it for every value would cost a third of the
// parse time).
struct Where {
  const char* pattern;
  std::string_view name;
  std::string text() const { return fmt::format(fmt::runtime(pattern), truncated(name)); }
};

class Parser {
 public:
  Parser(const SourceFile& source, Diagnostics& diagnostics, const ParseOptions& options)
      : source_(source), errors_(source, diagnostics), lexer_(source, errors_), options_(options) {}

  File parse_file();

 private:
  struct Gap {
    bool newline = false;  // at least one line break
    bool blank = false;    // an empty line
  };

  // --- tokens ---
  const Token& peek(std::size_t ahead = 0) {
    // A ring of lookahead tokens: the parser looks at most two tokens ahead.
    while (ahead_count_ <= ahead) {
      lexer_.next(ahead_[(ahead_head_ + ahead_count_) % ahead_.size()]);
      ++ahead_count_;
    }
    return ahead_[(ahead_head_ + ahead) % ahead_.size()];
  }
  TokenKind kind(std::size_t ahead = 0) { return peek(ahead).kind; }
  // Consumes the next token.
  void skip() {
    const Token& t = peek();
    if (t.kind == TokenKind::kNewline) {
      after_newline_ = true;
    } else if (t.kind != TokenKind::kComment) {
      last_end_ = t.span.end;
      after_newline_ = false;
    }
    ahead_head_ = (ahead_head_ + 1) % ahead_.size();
    --ahead_count_;
  }
  // Consumes the next token and hands it over (skip() where only its kind or span matters:
  // moving a token out costs more than looking at it).
  Token take() {
    Token t = std::move(ahead_[(peek(), ahead_head_)]);
    // The slot keeps kind and span (moving leaves them), which is all skip() reads.
    skip();
    return t;
  }
  Comment take_comment() {
    Token t = take();
    return Comment{t.span, std::move(t.text)};
  }

  // Line breaks and comments; comments wait in pending_ for the node they belong to.
  Gap skip_trivia() {
    Gap gap;
    bool after_newline = false;
    while (true) {
      const TokenKind k = kind();
      if (k == TokenKind::kNewline) {
        skip();
        if (after_newline) gap.blank = true;
        gap.newline = after_newline = true;
      } else if (k == TokenKind::kComment) {
        pending_.push_back(take_comment());
        after_newline = false;
      } else {
        return gap;
      }
    }
  }
  std::vector<Comment> take_pending() { return std::exchange(pending_, {}); }
  // A comment right after a node on its line.
  void take_same_line_comment(Comments& comments) {
    if (kind() != TokenKind::kComment) return;
    Comment c = take_comment();
    if (!comments.after) {
      comments.after = std::move(c);
    } else {
      pending_.push_back(std::move(c));
    }
  }

  // An item keyword at the start of a line, followed by what that item needs: where a new
  // item surely begins, so an unclosed `{` or `[` before it can end there.
  bool at_item_start() {
    const Token& t = peek();
    if (t.kind != TokenKind::kName) return false;
    if (t.span.begin != 0 && source_.text()[t.span.begin - 1] != '\n') return false;
    const TokenKind next = kind(1);
    if (t.text == "defaults") return next == TokenKind::kLBrace;
    if (t.text == "task" || t.text == "tier" || t.text == "suite") return next == TokenKind::kName;
    if (t.text == "include") return next == TokenKind::kString;
    return false;
  }

  // The start of a field or section (`name =` or `name {`): after a line break inside a list,
  // a sign that its closer was forgotten.
  bool at_entry_start() {
    return kind() == TokenKind::kName &&
           (kind(1) == TokenKind::kEquals || kind(1) == TokenKind::kLBrace);
  }

  // The indentation (in bytes) of the line holding `offset`.
  std::size_t indent_of_line(std::size_t offset) const {
    const std::string_view text = source_.text();
    std::size_t start = offset;
    while (start > 0 && text[start - 1] != '\n') --start;
    std::size_t end = start;
    while (end < text.size() && (text[end] == ' ' || text[end] == '\t')) ++end;
    return end - start;
  }
  // Inside a list or call that began on a line indented by `indent`: the next token starts an
  // entry on a line indented no deeper, so the closer was surely forgotten.
  bool at_dedented_entry(std::size_t indent) {
    if (!at_entry_start()) return false;
    const std::size_t begin = peek().span.begin;
    return indent_of_line(begin) <= indent && begin - indent_of_line(begin) > 0 &&
           source_.text()[begin - indent_of_line(begin) - 1] == '\n';
  }

  std::string describe(const Token& t) const {
    const std::string_view raw = source_.text().substr(t.span.begin, t.span.size());
    switch (t.kind) {
      case TokenKind::kName:
      case TokenKind::kInt:
      case TokenKind::kFloat:
      case TokenKind::kQuantity:
        return "`" + truncated(raw) + "`";
      case TokenKind::kString:
        return t.triple_quoted ? "a \"\"\" block" : "a string";
      case TokenKind::kNewline:
        return "a line break";
      case TokenKind::kComment:
        return "a comment";
      case TokenKind::kEnd:
        return "the end of the file";
      case TokenKind::kError:
        return t.text;
      default:
        return token_kind_name(t.kind);
    }
  }

  // Where an error about the next token points: the token, or (for a line break or the end)
  // the empty place just after the previous token.
  Span error_span(const Token& t) const {
    if (t.kind == TokenKind::kNewline || t.kind == TokenKind::kEnd) return {last_end_, last_end_};
    return t.span;
  }

  Diagnostic* error(Span span, std::string message, std::string hint = {}) {
    return errors_.error(span, std::move(message), std::move(hint));
  }
  // "expected X, found Y" about the next token (not consumed); marks the parse as failed so
  // the enclosing entry or item recovers.
  Diagnostic* expected(std::string what, std::string hint = {}) {
    const Token& t = peek();
    std::string message = "expected " + what;
    if (t.kind != TokenKind::kNewline && t.kind != TokenKind::kEnd)
      message += ", found " + describe(t);
    if (hint.empty() && t.kind == TokenKind::kError && t.text.starts_with("character `'`")) {
      hint = "strings are written in double quotes: \"...\"";
    }
    failed_ = true;
    return error(error_span(t), std::move(message), std::move(hint));
  }
  void add_note(Diagnostic* d, Span span, std::string message) {
    if (d) d->notes.push_back(make_diagnostic(source_, span, Severity::kNote, std::move(message)));
  }

  // Nesting: each block, list, map and call is one level. Past the limit the whole nested
  // thing is skipped without recursion.
  bool enter() {
    if (depth_ + 1 <= options_.max_depth) {
      ++depth_;
      return true;
    }
    error(peek().span, fmt::format("nesting is deeper than {} levels", options_.max_depth),
          "flatten the structure");
    skip_balanced();
    return false;
  }
  void leave() { --depth_; }
  void skip_balanced() {
    int open = 0;
    do {
      const TokenKind k = kind();
      if (k == TokenKind::kEnd) return;
      if (k == TokenKind::kLBrace || k == TokenKind::kLBracket || k == TokenKind::kLParen) ++open;
      if (k == TokenKind::kRBrace || k == TokenKind::kRBracket || k == TokenKind::kRParen) --open;
      skip();
    } while (open > 0);
  }

  // Recovery inside a block: skips to the end of the broken entry (a line break or `,` at this
  // level, or the `}` of the block), without consuming that end.
  void skip_entry_rest() {
    int open = 0;
    while (true) {
      const TokenKind k = kind();
      if (k == TokenKind::kEnd || at_item_start()) return;
      if (open == 0 &&
          (k == TokenKind::kNewline || k == TokenKind::kComma || k == TokenKind::kRBrace)) {
        return;
      }
      if (k == TokenKind::kLBrace || k == TokenKind::kLBracket || k == TokenKind::kLParen) ++open;
      if ((k == TokenKind::kRBrace || k == TokenKind::kRBracket || k == TokenKind::kRParen) &&
          open > 0) {
        --open;
      }
      if (k == TokenKind::kComment) {
        pending_.push_back(take_comment());
      } else {
        skip();
      }
    }
  }
  // Recovery inside a list, call or map that could not be read: skips to its closer and
  // consumes it (then the parse goes on normally), or stops before the end of the file, a new
  // item, or a closer of another kind that belongs to an enclosing bracket (then failed_
  // stays set and the enclosing entry recovers).
  void recover_to(TokenKind closer) {
    int open = 0;
    while (true) {
      const TokenKind k = kind();
      if (k == TokenKind::kEnd || at_item_start()) return;
      const bool opener =
          k == TokenKind::kLBrace || k == TokenKind::kLBracket || k == TokenKind::kLParen;
      const bool closing =
          k == TokenKind::kRBrace || k == TokenKind::kRBracket || k == TokenKind::kRParen;
      if (closing && open == 0) {
        if (k != closer) return;
        skip();
        failed_ = false;
        return;
      }
      if (opener) ++open;
      if (closing) --open;
      if (k == TokenKind::kComment) {
        pending_.push_back(take_comment());
      } else {
        skip();
      }
    }
  }

  // Recovery at the top level: skips to the next item that starts a line.
  void skip_to_next_item() {
    if (kind() != TokenKind::kEnd) skip();
    while (kind() != TokenKind::kEnd && !at_item_start()) {
      if (kind() == TokenKind::kComment) {
        pending_.push_back(take_comment());
      } else {
        skip();
      }
    }
  }

  bool item_end_ok() {
    const TokenKind k = kind();
    return k == TokenKind::kNewline || k == TokenKind::kEnd;
  }

  // Each parse_* fills a node the caller has already put in its place in the tree (a node is
  // large: building it aside and moving it in would cost more than reading it).
  bool parse_item(Item& item);
  void parse_block(Block& block, Where what);
  void parse_entry(Entry& entry);
  void parse_value(Value& v, Where context);
  void parse_list(Value& v);
  void parse_call(Value& v);
  void parse_map(Value& v);
  bool parse_map_entry(Value& map);
  // Enters a list, map or call at its opener and takes the opener (its span into `opener`);
  // past the nesting limit the whole thing is skipped and `v` made invalid (false).
  bool open_container(Value& v, Span& opener);

  // What a list or the arguments of a call say in messages.
  struct SequenceText {
    const char* hint;            // after "expected `]` to close ..."
    const char* opened;          // the note at the opener
    const char* separator;       // what was expected after an element
    const char* separator_hint;  //
  };
  // The elements of a list or the arguments of a call, after the opener, up to and with the
  // closer: line breaks and comments anywhere, `,` between elements, and the recoveries from a
  // forgotten closer. `read_element` reads one element into `v` and returns the comments that
  // belong to it; `closing` says what closes the sequence ("`]` to close the list").
  template <typename ReadElement>
  void parse_sequence(Value& v, Span open, TokenKind closer, Where closing,
                      const SequenceText& text, ReadElement read_element);

  const SourceFile& source_;
  ErrorSink errors_;
  Lexer lexer_;
  ParseOptions options_;
  std::array<Token, 4> ahead_;
  std::size_t ahead_head_ = 0;
  std::size_t ahead_count_ = 0;
  std::vector<Comment> pending_;
  std::size_t last_end_ = 0;
  int depth_ = 0;
  bool failed_ = false;         // the current entry or item could not be read to its end
  bool after_newline_ = false;  // the last token taken (comments aside) was a line break
};

File Parser::parse_file() {
  File file;
  while (true) {
    const Gap gap = skip_trivia();
    const Token& t = peek();
    if (t.kind == TokenKind::kEnd) break;
    if (t.kind == TokenKind::kName && is_item_keyword(t.text)) {
      Item& item = file.items.emplace_back();
      item.blank_line_before = gap.blank;
      item.comments.before = take_pending();
      failed_ = false;
      if (!parse_item(item)) {
        file.items.pop_back();
        failed_ = false;
        skip_to_next_item();
        continue;
      }
      take_same_line_comment(item.comments);
      if (!item_end_ok() && !at_item_start()) {
        expected(fmt::format("a line break after the {}", item_keyword(item.kind)));
        failed_ = false;
        skip_to_next_item();
      }
      continue;
    }
    // Not an item: say what was expected, with a hint for the likely mistake.
    std::string hint;
    if (t.kind == TokenKind::kName) {
      const TokenKind next = kind(1);
      hint = did_you_mean(t.text, std::span<const std::string_view>(kItemKeywords));
      if (hint.empty() && (next == TokenKind::kEquals || next == TokenKind::kLBrace)) {
        hint =
            "fields and sections belong inside a `task NAME { ... }` or `defaults { ... }` block";
      }
    } else if (t.kind == TokenKind::kRBrace) {
      hint = "this `}` closes nothing; is there one `}` too many above?";
    }
    expected("an item: `suite`, `include`, `defaults`, `task` or `tier`", hint);
    failed_ = false;
    skip_to_next_item();
  }
  file.end_comments = take_pending();
  return file;
}

bool Parser::parse_item(Item& item) {
  const Token keyword = take();
  item.keyword_span = keyword.span;
  const std::string& kw = keyword.text;
  item.kind = kw == "suite"      ? ItemKind::kSuite
              : kw == "include"  ? ItemKind::kInclude
              : kw == "defaults" ? ItemKind::kDefaults
              : kw == "task"     ? ItemKind::kTask
                                 : ItemKind::kTier;
  const auto take_name = [&](std::string_view what, std::string_view example) {
    if (kind() != TokenKind::kName) {
      std::string hint = kind() == TokenKind::kString
                             ? fmt::format("{} names are not quoted: {}", what, example)
                             : fmt::format("for example: {}", example);
      expected(fmt::format("a {} name after `{}`", what, kw), hint);
      return false;
    }
    Token name = take();
    item.name = std::move(name.text);
    item.name_span = name.span;
    return true;
  };
  switch (item.kind) {
    case ItemKind::kSuite:
      if (!take_name("suite", "suite core.arith \"Integer arithmetic\"")) return false;
      if (kind() == TokenKind::kString) {
        Token title = take();
        Value& v = item.title.emplace();
        v.kind = title.invalid ? ValueKind::kInvalid : ValueKind::kString;
        v.span = title.span;
        v.text = std::move(title.text);
        v.triple_quoted = title.triple_quoted;
      }
      break;
    case ItemKind::kInclude: {
      if (kind() != TokenKind::kString) {
        expected("a path string after `include`", "for example: include \"common.pareto\"");
        return false;
      }
      Token path = take();
      item.path.kind = path.invalid ? ValueKind::kInvalid : ValueKind::kString;
      item.path.span = path.span;
      item.path.text = std::move(path.text);
      item.path.triple_quoted = path.triple_quoted;
      break;
    }
    case ItemKind::kDefaults:
      if (kind() != TokenKind::kLBrace) {
        expected("`{` after `defaults`", "for example: defaults { tags = [arithmetic] }");
        return false;
      }
      parse_block(item.block, {"`defaults`", {}});
      break;
    case ItemKind::kTask:
    case ItemKind::kTier: {
      const bool task = item.kind == ItemKind::kTask;
      if (!take_name(task ? "task" : "tier",
                     task ? "task py.fizzbuzz { ... }" : "tier flash { ... }")) {
        return false;
      }
      if (kind() != TokenKind::kLBrace) {
        expected(fmt::format("`{{` after {} name `{}`", kw, truncated(item.name)));
        return false;
      }
      parse_block(item.block, {task ? "task `{}`" : "tier `{}`", item.name});
      break;
    }
  }
  item.span = {keyword.span.begin, last_end_};
  return !failed_;
}

void Parser::parse_block(Block& block, Where what) {
  block.span = peek().span;
  if (!enter()) {
    block.span.end = last_end_;
    return;
  }
  const Span open = peek().span;
  skip();
  // Room for a typical task at once (growing one entry at a time moves them all; tasks have
  // five to eight entries, so this is the capacity they would grow to anyway).
  if (depth_ == 1) block.entries.reserve(8);
  if (kind() == TokenKind::kComment) block.open_comment = take_comment();
  while (true) {
    const Gap gap = skip_trivia();
    if (gap.newline) block.multiline = true;
    if (kind() == TokenKind::kRBrace) {
      skip();
      break;
    }
    if (kind() == TokenKind::kEnd || at_item_start()) {
      Diagnostic* d =
          error(error_span(peek()), fmt::format("expected `}}` to close {}", what.text()),
                "every `{` needs a matching `}`");
      add_note(d, open, what.text() + " opened here");
      break;
    }
    Entry& entry = block.entries.emplace_back();
    entry.blank_line_before = gap.blank;
    entry.comments.before = take_pending();
    failed_ = false;
    parse_entry(entry);
    if (failed_) {
      failed_ = false;
      skip_entry_rest();
      if (kind() == TokenKind::kComma) skip();
      continue;
    }
    take_same_line_comment(entry.comments);
    const TokenKind k = kind();
    if (k == TokenKind::kComma) {
      skip();
      take_same_line_comment(entry.comments);
    } else if (k != TokenKind::kNewline && k != TokenKind::kRBrace && k != TokenKind::kEnd &&
               !after_newline_) {
      expected(
          entry.kind == EntryKind::kSection
              ? fmt::format("a line break or `,` after section `{}`", truncated(entry.name))
              : fmt::format("a line break or `,` after the value of `{}`", truncated(entry.name)),
          "put each entry on its own line, or separate entries with `,`");
      failed_ = false;
      skip_entry_rest();
      if (kind() == TokenKind::kComma) skip();
    }
  }
  block.end_comments = take_pending();
  block.span.end = last_end_;
  leave();
}

void Parser::parse_entry(Entry& entry) {
  const Token& first = peek();
  entry.span = first.span;
  if (first.kind != TokenKind::kName) {
    std::string hint;
    if (first.kind == TokenKind::kString) hint = "field names are not quoted";
    if (first.kind == TokenKind::kEquals) hint = "a field name goes before `=`";
    expected("a field name", hint);
    return;
  }
  Token name = take();
  entry.name = std::move(name.text);
  entry.name_span = name.span;
  const TokenKind next = kind();
  if (next == TokenKind::kEquals) {
    skip();
    entry.kind = EntryKind::kField;
    parse_value(entry.value, {"after `{} =`", entry.name});
  } else if (next == TokenKind::kLBrace) {
    entry.kind = EntryKind::kSection;
    parse_block(entry.block, {"section `{}`", entry.name});
  } else if (entry.name == "expect" &&
             (next == TokenKind::kName || next == TokenKind::kString || next == TokenKind::kInt ||
              next == TokenKind::kFloat || next == TokenKind::kQuantity ||
              next == TokenKind::kLBracket || next == TokenKind::kError)) {
    entry.kind = EntryKind::kExpect;
    parse_value(entry.value, {"after `expect`", {}});
  } else if (entry.name == "expect") {
    entry.kind = EntryKind::kExpect;
    expected("a grader after `expect`", "for example: expect exact(answer)");
  } else {
    std::string hint;
    const Token& t = peek();
    if (t.kind == TokenKind::kError && t.text.starts_with("character `:`")) {
      hint = fmt::format("fields are written `{} = value`", truncated(entry.name));
    } else if (t.kind == TokenKind::kString || t.kind == TokenKind::kInt ||
               t.kind == TokenKind::kFloat || t.kind == TokenKind::kQuantity ||
               t.kind == TokenKind::kName || t.kind == TokenKind::kLBracket) {
      hint =
          fmt::format("did you forget `=`? fields are written `{} = value`", truncated(entry.name));
    }
    expected(fmt::format("`=` or `{{` after field name `{}`", truncated(entry.name)), hint);
  }
  entry.span.end = last_end_;
}

void Parser::parse_value(Value& v, Where context) {
  Token& t = ahead_[(peek(), ahead_head_)];
  v.span = t.span;
  switch (t.kind) {
    case TokenKind::kString:
      v.kind = t.invalid ? ValueKind::kInvalid : ValueKind::kString;
      v.text = std::move(t.text);
      v.triple_quoted = t.triple_quoted;
      skip();
      return;
    case TokenKind::kInt:
      v.kind = t.invalid ? ValueKind::kInvalid : ValueKind::kInt;
      v.integer = t.integer;
      skip();
      return;
    case TokenKind::kFloat:
      v.kind = t.invalid ? ValueKind::kInvalid : ValueKind::kFloat;
      v.number = t.number;
      skip();
      return;
    case TokenKind::kQuantity:
      v.kind = t.invalid ? ValueKind::kInvalid : t.quantity_kind;
      v.number = t.number;
      v.unit = std::move(t.unit);
      v.quantity = t.quantity;
      skip();
      return;
    case TokenKind::kName:
      if (kind(1) == TokenKind::kLParen) return parse_call(v);
      v.name_span = t.span;
      if (t.text == "true" || t.text == "false") {
        v.kind = ValueKind::kBool;
        v.boolean = t.text == "true";
      } else {
        v.kind = ValueKind::kName;
      }
      v.text = std::move(t.text);
      skip();
      return;
    case TokenKind::kLBracket:
      return parse_list(v);
    case TokenKind::kLBrace:
      return parse_map(v);
    default:
      expected("a value " + context.text());
      v.kind = ValueKind::kInvalid;
      v.span = error_span(t);
      return;
  }
}

template <typename ReadElement>
void Parser::parse_sequence(Value& v, Span open, TokenKind closer, Where closing,
                            const SequenceText& text, ReadElement read_element) {
  const std::size_t opener_indent = indent_of_line(open.begin);
  if (kind() == TokenKind::kComment) v.open_comment = take_comment();
  const auto unclosed = [&](std::size_t at) {
    Diagnostic* d = error({at, at}, "expected " + closing.text(), text.hint);
    add_note(d, open, text.opened);
  };
  while (true) {
    if (skip_trivia().newline) v.multiline = true;
    if (kind() == closer) {
      skip();
      break;
    }
    if (kind() == TokenKind::kEnd || at_item_start()) {
      add_note(expected(closing.text(), text.hint), open, text.opened);
      break;
    }
    if (after_newline_ && at_dedented_entry(opener_indent)) {
      // `tags = [a, b,` and the next line is an entry: the closer was forgotten.
      unclosed(last_end_);
      break;
    }
    Comments* comments = read_element(take_pending());
    if (failed_) {
      recover_to(closer);
      break;
    }
    take_same_line_comment(*comments);
    const std::size_t element_end = last_end_;
    const bool line_break = skip_trivia().newline;
    if (line_break) v.multiline = true;
    if (kind() == TokenKind::kComma) {
      skip();
      take_same_line_comment(*comments);
    } else if (line_break && at_entry_start()) {
      // `tags = [a, b` and the next line is an entry: the closer was forgotten.
      unclosed(element_end);
      break;
    } else if (kind() != closer) {
      expected(text.separator, text.separator_hint);
      recover_to(closer);
      break;
    }
  }
  v.end_comments = take_pending();
  v.span.end = last_end_;
  leave();
}

bool Parser::open_container(Value& v, Span& opener) {
  if (!enter()) {
    v.kind = ValueKind::kInvalid;
    v.span.end = last_end_;
    return false;
  }
  opener = peek().span;
  skip();
  return true;
}

void Parser::parse_list(Value& v) {
  v.kind = ValueKind::kList;
  v.span = peek().span;
  Span open;
  if (!open_container(v, open)) return;
  static constexpr SequenceText kText = {"every `[` needs a matching `]`", "the list opened here",
                                         "`,` or `]` after the list element",
                                         "separate list elements with `,`"};
  parse_sequence(v, open, TokenKind::kRBracket, {"`]` to close the list", {}}, kText,
                 [&](std::vector<Comment> before) {
                   Value& element = v.items.emplace_back();
                   parse_value(element, {"in the list", {}});
                   element.comments.before = std::move(before);
                   return &element.comments;
                 });
}

void Parser::parse_call(Value& v) {
  v.kind = ValueKind::kCall;
  Token callee = take();
  v.span = callee.span;
  v.name_span = callee.span;
  v.text = std::move(callee.text);
  Span open;
  if (!open_container(v, open)) return;
  static constexpr SequenceText kText = {
      "every `(` needs a matching `)`", "the arguments opened here",
      "`,` or `)` after the argument", "separate arguments with `,`"};
  parse_sequence(v, open, TokenKind::kRParen, {"`)` to close the arguments of `{}`", v.text}, kText,
                 [&](std::vector<Comment> before) -> Comments* {
                   if (kind() == TokenKind::kName && kind(1) == TokenKind::kEquals) {
                     NamedValue& arg = v.entries.emplace_back();
                     Token name = take();
                     arg.name = std::move(name.text);
                     arg.name_span = name.span;
                     skip();  // =
                     parse_value(arg.value, {"after `{} =`", arg.name});
                     arg.span = {arg.name_span.begin, last_end_};
                     arg.comments.before = std::move(before);
                     return &arg.comments;
                   }
                   const Span at = peek().span;
                   Value& element = v.items.emplace_back();
                   parse_value(element, {"in the arguments of `{}`", v.text});
                   element.comments.before = std::move(before);
                   if (!failed_ && !v.entries.empty()) {
                     error(element.span.empty() ? at : element.span,
                           "positional argument after named arguments",
                           "put positional arguments first: name(a, b, key = value)");
                   }
                   return &element.comments;
                 });
}

// One `key = value` of a map and what follows it; false (failed_ set) when it cannot be read.
bool Parser::parse_map_entry(Value& map) {
  std::vector<Comment> before = take_pending();
  const TokenKind k = kind();
  if (k != TokenKind::kName && k != TokenKind::kString) {
    expected("a key (a name or a string) in the map");
    return false;
  }
  Token key = take();
  if (key.invalid) {
    failed_ = true;  // already reported by the lexer
    return false;
  }
  if (kind() != TokenKind::kEquals) {
    expected(fmt::format("`=` after map key `{}`", truncated(key.text)));
    return false;
  }
  skip();
  NamedValue& entry = map.entries.emplace_back();
  entry.comments.before = std::move(before);
  entry.name = std::move(key.text);
  entry.name_span = key.span;
  entry.quoted = k == TokenKind::kString;
  parse_value(entry.value, {"after `{} =`", entry.name});
  entry.span = {entry.name_span.begin, last_end_};
  if (failed_) return false;
  take_same_line_comment(entry.comments);
  const TokenKind after = kind();
  if (after == TokenKind::kComma) {
    skip();
    take_same_line_comment(entry.comments);
  } else if (after == TokenKind::kNewline) {
    map.multiline = true;
  } else if (after != TokenKind::kRBrace) {
    expected("`,`, a line break or `}` after the map entry");
    return false;
  }
  return true;
}

void Parser::parse_map(Value& v) {
  v.kind = ValueKind::kMap;
  v.span = peek().span;
  Span open;
  if (!open_container(v, open)) return;
  if (kind() == TokenKind::kComment) v.open_comment = take_comment();
  while (true) {
    if (skip_trivia().newline) v.multiline = true;
    if (kind() == TokenKind::kRBrace) {
      skip();
      break;
    }
    if (kind() == TokenKind::kEnd || at_item_start()) {
      Diagnostic* d = expected("`}` to close the map", "every `{` needs a matching `}`");
      add_note(d, open, "the map opened here");
      break;
    }
    if (!parse_map_entry(v)) {
      recover_to(TokenKind::kRBrace);
      break;
    }
  }
  v.end_comments = take_pending();
  v.span.end = last_end_;
  leave();
}

}  // namespace

File parse_file(const SourceFile& source, Diagnostics& diagnostics, const ParseOptions& options) {
  Parser parser(source, diagnostics, options);
  return parser.parse_file();
}

}  // namespace pareto::spec
