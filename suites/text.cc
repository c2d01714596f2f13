// Symbol families: count_char, reverse_list, sort_list, balanced_brackets.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "suites/builtin.h"

namespace pareto::suites {
namespace {

using nlohmann::json;

std::unique_ptr<spec::Generator> count_char() {
  spec::GeneratorInfo info{
      "count_char",
      "How many times a letter occurs in a word of random letters (sometimes zero times).",
      {int_param("length", 8, 1, 64, "letters in the word"),
       int_param("letters", 6, 2, 26, "size of the alphabet the word is drawn from (a, b, ...)")},
      {"word", "letter", "answer", "question"}};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    const std::int64_t letters = p.integer("letters");
    std::string word;
    for (std::int64_t i = 0; i < p.integer("length"); ++i) {
      word += static_cast<char>('a' + rng.below(static_cast<std::uint64_t>(letters)));
    }
    // Mostly a letter of the word; now and then any letter, which may be absent.
    const char letter =
        rng.chance(3, 4) ? word[rng.below(word.size())] : static_cast<char>('a' + rng.below(26));
    const auto count = static_cast<std::int64_t>(std::count(word.begin(), word.end(), letter));
    return json{{"word", word},
                {"letter", std::string(1, letter)},
                {"answer", count},
                {"question", fmt::format("How many times does the letter {} occur in {}? Answer "
                                         "with the number only.",
                                         letter, word)}};
  });
}

std::vector<std::int64_t> random_list(const Params& p, Rng& rng) {
  std::vector<std::int64_t> values;
  for (std::int64_t i = 0; i < p.integer("length"); ++i) {
    values.push_back(rng.between(0, p.integer("max_value")));
  }
  return values;
}

std::vector<spec::GeneratorParam> list_params() {
  return {int_param("length", 5, 1, 20, "numbers in the list"),
          int_param("max_value", 9, 1, 999, "largest number (the smallest is 0)")};
}

std::unique_ptr<spec::Generator> reverse_list() {
  spec::GeneratorInfo info{"reverse_list",
                           "A list of numbers (separated by spaces) in reverse order.",
                           list_params(),
                           {"list", "answer", "question"}};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    std::vector<std::int64_t> values = random_list(p, rng);
    const std::string list = join_numbers(values);
    std::reverse(values.begin(), values.end());
    return json{{"list", list},
                {"answer", join_numbers(values)},
                {"question", fmt::format("Reverse the list {}. Answer with the numbers separated "
                                         "by spaces.",
                                         list)}};
  });
}

std::unique_ptr<spec::Generator> sort_list() {
  std::vector<spec::GeneratorParam> params = list_params();
  params.push_back(bool_param("descending", false, "sort from largest to smallest"));
  spec::GeneratorInfo info{"sort_list",
                           "A list of numbers (separated by spaces), sorted.",
                           std::move(params),
                           {"list", "answer", "question"}};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    std::vector<std::int64_t> values = random_list(p, rng);
    const std::string list = join_numbers(values);
    const bool descending = p.flag("descending");
    std::sort(values.begin(), values.end());
    if (descending) std::reverse(values.begin(), values.end());
    return json{{"list", list},
                {"answer", join_numbers(values)},
                {"question",
                 fmt::format("Sort the list {} from {}. Answer with the numbers "
                             "separated by spaces.",
                             list, descending ? "largest to smallest" : "smallest to largest")}};
  });
}

constexpr std::string_view kOpen = "([{";
constexpr std::string_view kClose = ")]}";

bool balanced(std::string_view s) {
  std::string stack;
  for (char c : s) {
    if (kOpen.find(c) != std::string_view::npos) {
      stack += c;
    } else {
      const std::size_t k = kClose.find(c);
      if (k == std::string_view::npos || stack.empty() || stack.back() != kOpen[k]) return false;
      stack.pop_back();
    }
  }
  return stack.empty();
}

std::unique_ptr<spec::Generator> balanced_brackets() {
  spec::GeneratorInfo info{
      "balanced_brackets",
      "Whether a string of brackets is balanced (every bracket closed in the right order). "
      "About half are; the others are balanced strings with one bracket changed or two "
      "swapped, so length never gives the answer away.",
      {int_param("pairs", 4, 1, 20, "bracket pairs (the string is twice as long)"),
       int_param("kinds", 2, 1, 3, "kinds of brackets: 1 ( ), 2 adds [ ], 3 adds { }")},
      {"brackets", "answer", "question"}};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    const auto kinds = static_cast<std::uint64_t>(p.integer("kinds"));
    const std::int64_t pairs = p.integer("pairs");
    std::string s;
    std::string stack;  // kinds still open
    std::int64_t opened = 0;
    while (opened < pairs || !stack.empty()) {
      if (opened < pairs && (stack.empty() || rng.chance(1, 2))) {
        const std::size_t k = rng.below(kinds);
        s += kOpen[k];
        stack += static_cast<char>(k);
        ++opened;
      } else {
        s += kClose[static_cast<std::size_t>(stack.back())];
        stack.pop_back();
      }
    }
    if (rng.chance(1, 2)) {
      if (rng.chance(1, 2) || kinds == 1) {
        // Change one bracket into another allowed one.
        const std::size_t i = rng.below(s.size());
        std::string alphabet;
        for (std::size_t k = 0; k < kinds; ++k) alphabet += {kOpen[k], kClose[k]};
        char c = s[i];
        while (c == s[i]) c = alphabet[rng.below(alphabet.size())];
        s[i] = c;
      } else {
        // Swap two different brackets.
        const std::size_t i = rng.below(s.size());
        const std::size_t j = rng.below(s.size());
        std::swap(s[i], s[j]);
      }
    }
    return json{
        {"brackets", s},
        {"answer", balanced(s) ? "yes" : "no"},
        {"question", fmt::format("Is the bracket string {} balanced? Answer with yes or no.", s)}};
  });
}

}  // namespace

void add_text_generators(spec::GeneratorRegistry& registry) {
  registry.add(count_char());
  registry.add(reverse_list());
  registry.add(sort_list());
  registry.add(balanced_brackets());
}

}  // namespace pareto::suites
