// The formatter: one canonical text for any spec file that parses.
//
// Canonical form: items and entries in the author's order; 2-space indentation; one blank
// line between items (consecutive one-line `suite`/`include` items keep the author's choice
// of zero or one); inside a block, a blank line the author left between entries is kept (one
// at most); `name = value` with the `=` of consecutive fields (not separated by a blank line)
// aligned; a block, list, map or call the author wrote on one line stays on one line
// (`budget { max_tokens = 8, timeout = 5s }`) when it has no comments and fits in 100
// columns, otherwise it is written one element per line (lists, maps and calls with trailing
// commas); a list or call may keep a """ string inline (`expect tests("""...""")`), a block
// or map holding one is broken; strings re-quoted canonically ("..." with minimal escapes;
// """ blocks re-indented two spaces deeper than the line they start on, or written as "..."
// when a """ block cannot hold their exact text); numbers written canonically (shortest text
// that reads back to the same value); every comment kept, at its node.
//
// Promises: format(parse(format(parse(x)))) == format(parse(x)) (idempotent) and
// same_syntax(parse(format(parse(x))), parse(x)) for every x that parses without errors.
#pragma once

#include <optional>
#include <string>

#include "spec/ast.h"
#include "spec/diagnostics.h"
#include "spec/source.h"

namespace pareto::spec {

// The canonical text of a tree (parsed without errors), ending with one newline.
std::string format_file(const File& file);

// Parses and formats; nullopt (with the errors in `diagnostics`) when the source does not
// parse.
std::optional<std::string> format_source(const SourceFile& source, Diagnostics& diagnostics);

}  // namespace pareto::spec
