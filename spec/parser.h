// The parser of the spec language: source text -> syntax tree (spec/ast.h), reporting every
// syntax error of a file in one pass.
//
// Grammar (EBNF; `'x'` is a literal token, NL a line break, [..] optional, {..} repeated):
//
//   file      = { NL } { item { NL } } ;
//   item      = 'suite' NAME [ STRING ]          (* the title must be on the same line *)
//             | 'include' STRING
//             | 'defaults' block
//             | 'task' NAME block
//             | 'tier' NAME block ;
//   block     = '{' { NL } [ entry { sep entry } [ sep ] ] '}' ;
//   sep       = ( ',' | NL ) { NL } ;
//   entry     = NAME '=' value                 (* a field; the value starts on that line *)
//             | NAME block                      (* a section: budget, sandbox, sample, ... *)
//             | 'expect' value ;                (* value on the same line as `expect` *)
//   value     = STRING | INT | FLOAT | 'true' | 'false' | QUANTITY
//             | NAME                           (* enum value, tag, sample field reference *)
//             | list | map | call ;
//   list      = '[' [ value { ',' value } [ ',' ] ] ']' ;          (* NL allowed anywhere *)
//   map       = '{' { NL } [ key '=' value { sep key '=' value } [ sep ] ] '}' ;
//   key       = NAME | STRING ;
//   call      = NAME '(' [ args ] ')' ;         (* no line break between NAME and '(' *)
//   args      = arg { ',' arg } [ ',' ] ;       (* NL allowed anywhere; positional first *)
//   arg       = value | NAME '=' value ;
//
// Tokens:
//   IDENT     = letter_ { letter_ | digit | '-' } ;      letter_ = 'A'..'Z' | 'a'..'z' | '_'
//   NAME      = IDENT { '.' IDENT } ;                    (* no spaces around the dots *)
//   INT       = [ '-' ] digit { digit } ;                (* a 64-bit signed integer *)
//   FLOAT     = [ '-' ] digit { digit } ( '.' digit { digit } [ exp ] | exp ) ;
//   exp       = ( 'e' | 'E' ) [ '+' | '-' ] digit { digit } ;
//   QUANTITY  = ( INT | FLOAT ) unit ;           (* no space between number and unit *)
//   unit      = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h'                    (* duration *)
//             | 'B' | 'KB' | 'MB' | 'GB' | 'TB' | 'KiB' | 'MiB' | 'GiB' | 'TiB'   (* size *)
//             | 'uJ' | 'mJ' | 'J' | 'kJ' | 'Wh' ;                          (* energy *)
//   STRING    = '"' { char | escape } '"'       (* one line; escapes \" \\ \n \t \r \u{HEX} *)
//             | '"""' block-text '"""' ;
//   COMMENT   = '#' { any but NL } ;            (* anywhere a line break may be *)
//
// Keywords are contextual: `suite`, `include`, `defaults`, `task`, `tier` only start items
// at the top level, `expect` only starts an expect entry when it is not followed by `=` or
// `{`, and `true`/`false` are booleans only in value position. So a field may be called
// `kind` or `task`.
//
// """ blocks are raw text (no escapes, except \""" for a literal """). The rest of the
// opening line is dropped if blank, as is the last line (before the closing """) if blank;
// then the common leading whitespace of the remaining non-blank lines is removed, and
// whitespace-only lines become empty (text right after the opening """ stays the first line
// and does not count toward the common indentation). The text has no final line break:
//
//     prompt = """
//       Write fizzbuzz(n).
//         Reply in Python.
//       """                      ->  "Write fizzbuzz(n).\n  Reply in Python."
//
// Units are case-sensitive: `m` is minutes, `mJ` millijoules, `MB` megabytes (10^6 bytes),
// `MiB` mebibytes (2^20 bytes), `Wh` watt-hours (3600 J).
//
// Errors: every syntax error of the file is reported (the parser resumes at the next entry
// or item); nesting deeper than ParseOptions::max_depth is an error, never a stack overflow;
// integers outside 64 bits, floats outside double range, invalid UTF-8, control characters
// and NUL bytes are errors. Bad input of any kind yields diagnostics, never a crash.
#pragma once

#include "spec/ast.h"
#include "spec/diagnostics.h"
#include "spec/source.h"

namespace pareto::spec {

struct ParseOptions {
  int max_depth = 64;  // deepest nesting of blocks, lists, maps and calls
};

// Parses a whole file. Reports syntax errors into `diagnostics` and returns the tree of
// everything that could be read (parts that could not be read are left out, or kept as
// kInvalid values). The tree is only trustworthy when no error was reported.
File parse_file(const SourceFile& source, Diagnostics& diagnostics,
                const ParseOptions& options = {});

}  // namespace pareto::spec
