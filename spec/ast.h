// The syntax tree of a spec file, as the parser builds it and the formatter prints it.
//
//   File   = items (suite, include, defaults, task, tier), in the author's order
//   Block  = `{ entries }`: fields `name = value`, sections `name { ... }`, `expect value`
//   Value  = string, int, float, bool, duration, size, energy, name, list, map or call
//
// Promises: every node carries its byte span in its SourceFile; every comment of the file is
// attached to exactly one node (leading comments, a same-line trailing comment, or the end
// comments of a container), so printing the tree loses none. The tree is plain data: walk
// it with loops over `items`, `entries`, `items`/`entries` of values; there are no hidden
// invariants beyond the field comments below. A node the parser could not read is kept as a
// Value of kind kInvalid (its error is already reported), so a checker can skip it without
// reporting a second error.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/source.h"

namespace pareto::spec {

// One `# ...` comment. `text` is the comment from `#` to the end of the line, trailing
// whitespace removed ("# keep it short").
struct Comment {
  Span span;
  std::string text;
};

// An optional comment kept out of line: most nodes have none, and a node that carries its
// comment inline (std::optional<Comment>, 56 bytes) makes every node of a large tree bigger.
// Reads like std::optional; copies copy the comment.
class MaybeComment {
 public:
  MaybeComment() = default;
  MaybeComment(Comment c) : p_(std::make_unique<Comment>(std::move(c))) {}  // NOLINT: as optional
  MaybeComment(const MaybeComment& o) : p_(o.p_ ? std::make_unique<Comment>(*o.p_) : nullptr) {}
  MaybeComment(MaybeComment&&) noexcept = default;
  MaybeComment& operator=(const MaybeComment& o) { return *this = MaybeComment(o); }
  MaybeComment& operator=(MaybeComment&&) noexcept = default;

  bool has_value() const { return p_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  const Comment& operator*() const { return *p_; }
  const Comment* operator->() const { return p_.get(); }

 private:
  std::unique_ptr<Comment> p_;
};

// The comments that belong to one node.
struct Comments {
  std::vector<Comment> before;  // full-line comments on the lines just above the node
  MaybeComment after;           // a comment on the same line, after the node (and its comma)

  bool empty() const { return before.empty() && !after.has_value(); }
};

enum class ValueKind {
  kInvalid,   // could not be parsed; the error is already reported
  kString,    // "..." or a """ block; `text` holds the decoded string
  kInt,       // `integer`
  kFloat,     // `number`
  kBool,      // `boolean`
  kDuration,  // `number` + `unit` as written; `quantity` in seconds
  kSize,      // `number` + `unit` as written; `quantity` in bytes
  kEnergy,    // `number` + `unit` as written; `quantity` in joules
  kName,      // a dotted identifier (enum value, field reference, tag): `text`
  kList,      // `[a, b]`: `items`
  kMap,       // `{k = v, "file.py" = v}`: `entries`
  kCall,      // `name(a, b, k = v)`: callee in `text`, positional `items`, named `entries`
};

// "string", "integer", "float", "boolean", "duration", "size", "energy", "name", "list",
// "map", "call", "invalid value".
std::string_view kind_name(ValueKind kind);

struct NamedValue;

struct Value {
  ValueKind kind = ValueKind::kInvalid;
  Span span;  // the whole value, from its first to its last byte

  // kString: the decoded text (escapes resolved, """ blocks dedented; valid UTF-8).
  // kName: the dotted name ("py.fizzbuzz"). kCall: the callee name ("generate").
  std::string text;
  Span name_span;              // kCall: the callee name; kName: same as span
  bool triple_quoted = false;  // kString: written as a """ block

  std::int64_t integer = 0;  // kInt
  double number = 0;         // kFloat: the value; kDuration/kSize/kEnergy: the number written
  bool boolean = false;      // kBool
  std::string unit;          // kDuration/kSize/kEnergy: the unit as written ("ms", "MiB", "mJ")
  double quantity = 0;       // kDuration: seconds; kSize: bytes; kEnergy: joules

  std::vector<Value> items;         // kList: elements; kCall: positional arguments
  std::vector<NamedValue> entries;  // kMap: entries; kCall: named arguments (after positional)

  // Layout, kept so the formatter can respect the author's choice of one line or several.
  bool multiline = false;             // kList/kMap/kCall: a line break between its tokens
  MaybeComment open_comment;          // kList/kMap/kCall: same-line comment after the opener
  std::vector<Comment> end_comments;  // kList/kMap/kCall: comments before the closer
  Comments comments;                  // as an element of a list or a positional argument

  bool is(ValueKind k) const { return kind == k; }
  bool is_quantity() const {
    return kind == ValueKind::kDuration || kind == ValueKind::kSize || kind == ValueKind::kEnergy;
  }
  // kMap/kCall: the first entry named `name`, or null.
  const NamedValue* find(std::string_view name) const;
};

// A map entry (`key = value`) or a named call argument (`name = value`).
struct NamedValue {
  std::string name;  // the key; for a map key written as a string, its decoded text
  Span name_span;
  bool quoted = false;  // map key written as a string ("a.py" = ...)
  Value value;
  Span span;  // from the key to the end of the value
  Comments comments;
};

struct Entry;

enum class EntryKind {
  kField,    // name = value
  kSection,  // name { entries }
  kExpect,   // expect value
};

struct Block {
  Span span;  // from `{` to `}` inclusive
  std::vector<Entry> entries;
  bool multiline = false;             // a line break between `{` and `}`
  MaybeComment open_comment;          // same-line comment after `{`
  std::vector<Comment> end_comments;  // comments after the last entry, before `}`

  // The first entry named `name` (field or section), or null.
  const Entry* find(std::string_view name) const;
};

struct Entry {
  EntryKind kind = EntryKind::kField;
  Span span;         // the whole entry
  std::string name;  // field or section name; "expect" for kExpect
  Span name_span;    // the name (for kExpect: the keyword)
  Value value;       // kField, kExpect
  Block block;       // kSection
  Comments comments;
  bool blank_line_before = false;  // the author left a blank line above (its comments)
};

enum class ItemKind {
  kSuite,     // suite NAME ["title"]
  kInclude,   // include "path"
  kDefaults,  // defaults { ... }
  kTask,      // task NAME { ... }
  kTier,      // tier NAME { ... }
};

// "suite", "include", "defaults", "task", "tier".
std::string_view item_keyword(ItemKind kind);

struct Item {
  ItemKind kind = ItemKind::kTask;
  Span span;          // the whole item
  Span keyword_span;  // the keyword
  std::string name;   // kSuite/kTask/kTier: the dotted name
  Span name_span;
  std::optional<Value> title;  // kSuite: the optional title string
  Value path;                  // kInclude: the path string (kind kString, or kInvalid)
  Block block;                 // kDefaults/kTask/kTier
  Comments comments;
  bool blank_line_before = false;
};

struct File {
  std::vector<Item> items;
  std::vector<Comment> end_comments;  // comments after the last item
};

// Structural equality that ignores spans, comments, blank lines and layout: two trees are
// the same when they say the same thing (same items, entries and values in the same order).
// A """ block and a "..." string with the same decoded text are the same; numbers compare by
// value (1.50 == 1.5); quantities compare by unit and number.
bool same_syntax(const File& a, const File& b);
bool same_syntax(const Value& a, const Value& b);

// The first difference between two trees, as a readable path and reason
// ("item 3 (task add): entry 2 (prompt): string \"a\" vs \"b\""); empty when same_syntax.
std::string syntax_difference(const File& a, const File& b);

}  // namespace pareto::spec
