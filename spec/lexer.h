// The lexer of the spec language: bytes -> tokens (names, literals, punctuation, line breaks
// and comments). See the grammar in spec/parser.h.
//
// Promises: any input is tokenized to the end without crashing; a literal with a problem
// inside (unterminated string, bad escape, unknown unit, number out of range, invalid UTF-8)
// is reported once and comes out as a token marked `invalid`; a run of characters that can
// start no token comes out as one kError token whose `text` describes it ("character `:`",
// "NUL byte", "invalid UTF-8 byte 0xFF"); the parser reports it where it matters. Decoded strings
// are always valid UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec/ast.h"
#include "spec/diagnostics.h"
#include "spec/source.h"

namespace pareto::spec {

enum class TokenKind {
  kName,      // a dotted identifier: text
  kString,    // text (decoded), triple_quoted
  kInt,       // integer
  kFloat,     // number
  kQuantity,  // number, unit, quantity, quantity_kind
  kLBrace,    // {
  kRBrace,    // }
  kLBracket,  // [
  kRBracket,  // ]
  kLParen,    // (
  kRParen,    // )
  kComma,     // ,
  kEquals,    // =
  kNewline,   // a line break
  kComment,   // text: from '#' to the end of the line, trailing whitespace removed
  kError,     // characters that start no token; text: the message for them
  kEnd,       // end of input
};

// "name", "string", "`{`", "line break", ... for messages.
std::string token_kind_name(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::kEnd;
  Span span;
  std::string text;
  bool triple_quoted = false;
  bool invalid = false;  // a literal whose error is already reported
  std::int64_t integer = 0;
  double number = 0;
  std::string unit;
  double quantity = 0;
  ValueKind quantity_kind = ValueKind::kInvalid;  // kDuration, kSize or kEnergy
};

// Error reporting shared by the lexer and the parser of one file: stops adding errors after
// a limit (then says so once), so garbage input cannot flood the output.
class ErrorSink {
 public:
  ErrorSink(const SourceFile& source, Diagnostics& diagnostics, int max_errors = 100);
  // Returns the stored diagnostic, or null when over the limit.
  Diagnostic* error(Span span, std::string message, std::string hint = {});
  const SourceFile& source() const { return source_; }
  int count() const { return count_; }

 private:
  const SourceFile& source_;
  Diagnostics& diagnostics_;
  int max_errors_;
  int count_ = 0;
};

class Lexer {
 public:
  Lexer(const SourceFile& source, ErrorSink& errors);
  // The next token; kEnd forever at the end of input.
  Token next();
  // The same into `out`, overwriting all of it (reusing a token saves building one per call).
  void next(Token& out);

 private:
  void lex_string(std::size_t start, Token& t);
  void lex_block_string(std::size_t start, Token& t);
  void lex_number(std::size_t start, Token& t);
  void lex_unexpected(std::size_t start, Token& t);
  // Appends the (valid UTF-8) code point at pos_ to out, or reports invalid bytes and
  // appends U+FFFD; advances pos_.
  void take_code_point(std::string& out, const char* where);

  const SourceFile& source_;
  std::string_view text_;
  ErrorSink& errors_;
  std::size_t pos_ = 0;
  std::vector<std::string_view> lines_;  // lex_block_string's lines, kept to reuse
};

// Every token of a source, ending with kEnd. Errors go into `diagnostics`.
std::vector<Token> lex(const SourceFile& source, Diagnostics& diagnostics);

}  // namespace pareto::spec
