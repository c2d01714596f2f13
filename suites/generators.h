// The built-in sample generators that specs draw from with `generate(name, ...)`.
//
// Every generator is deterministic on every machine and compiler (suites/random.h: own
// PRNG, own range reduction, integers only), documents itself in its GeneratorInfo, and
// gives every sample an `answer` (short: a number, a word or a few symbols) and a
// `question` (a ready-made prompt stating the task and the answer's form), beside the raw
// fields a template needs (`a`, `b`, `table`, `program`, ...). Integer answers are JSON
// integers; all other answers are strings.
//
// Families (parameters set the difficulty):
//   addition, subtraction, multiplication   integer arithmetic, `digits`
//   comparison                              which of two numbers is larger (<, > or =)
//   count_char                              how often a letter occurs in a word
//   reverse_list, sort_list                 a short list of numbers, reversed or sorted
//   csv_sum                                 the sum of one column of a small CSV table
//   json_field                              the value at a path in a small JSON object
//   program_output                          what a tiny program (assignments, loop, if) prints
//   balanced_brackets                       whether a bracket string is balanced (yes/no)
//   missing_operator                        the operator hidden in an equation
//   unit_conversion                         converting a quantity between units (integers)
//   expression                              the value of an integer Python expression
//   list_expression                         xs[i], len, min, max or sum of a list literal
//   bool_expression                         and/or/not over True/False or comparisons
//   string_expression                       len, s[i], s[i:j], count or find on a string
//
// suites/training.h draws training examples from the same generators under training seeds.
#pragma once

#include "spec/generator.h"

namespace pareto::suites {

// A registry holding every built-in generator.
spec::GeneratorRegistry builtin_generators();

}  // namespace pareto::suites
