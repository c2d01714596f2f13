// UTF-8 helpers for the spec language: strict decoding (no overlong forms, no surrogates,
// nothing above U+10FFFF) and encoding. Internal to pareto_spec.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pareto::spec {

// Decodes the code point starting at text[pos]. Returns its length in bytes (1-4) and sets
// *code_point, or returns 0 when the bytes there are not valid UTF-8 (pos must be < size).
int decode_utf8(std::string_view text, std::size_t pos, char32_t* code_point);

// Appends the UTF-8 encoding of a valid code point (not a surrogate, at most U+10FFFF).
void append_utf8(std::string& out, char32_t code_point);

// The byte offset of the first invalid UTF-8 sequence, or npos when the text is valid.
std::size_t find_invalid_utf8(std::string_view text);

}  // namespace pareto::spec
