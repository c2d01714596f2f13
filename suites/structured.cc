// Families over small structured texts: csv_sum (a CSV table), json_field (a JSON object)
// and program_output (a tiny Python program).
#include <fmt/format.h>

#include <array>
#include <string>
#include <vector>

#include "suites/builtin.h"

namespace pareto::suites {
namespace {

using nlohmann::json;

// ---- csv_sum ----

const std::vector<std::string> kColumnNames = {"apples", "pears",  "plums", "figs",
                                               "limes",  "dates",  "kiwis", "melons",
                                               "grapes", "lemons", "nuts",  "peaches"};

std::unique_ptr<spec::Generator> csv_sum() {
  spec::GeneratorInfo info{
      "csv_sum",
      "The sum of one column of a small CSV table of non-negative integers (a header row, "
      "then the rows; lines end with \\n).",
      {int_param("rows", 4, 1, 20, "data rows"), int_param("columns", 3, 1, 6, "columns"),
       int_param("max_value", 99, 1, 9999, "largest value in a cell (the smallest is 0)")},
      {"table", "column", "answer", "question"}};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    std::vector<std::string> names = kColumnNames;
    rng.shuffle(names);
    names.resize(static_cast<std::size_t>(p.integer("columns")));
    const std::size_t target = rng.below(names.size());
    std::string table;
    for (std::size_t c = 0; c < names.size(); ++c) table += (c ? "," : "") + names[c];
    std::int64_t sum = 0;
    for (std::int64_t r = 0; r < p.integer("rows"); ++r) {
      table += '\n';
      for (std::size_t c = 0; c < names.size(); ++c) {
        const std::int64_t v = rng.between(0, p.integer("max_value"));
        table += (c ? "," : "") + std::to_string(v);
        if (c == target) sum += v;
      }
    }
    return json{{"table", table},
                {"column", names[target]},
                {"answer", sum},
                {"question", fmt::format("What is the sum of the column {} in this CSV table?\n"
                                         "{}\nAnswer with the number only.",
                                         names[target], table)}};
  });
}

// ---- json_field ----

const std::vector<std::string> kKeys = {"id",   "name",  "color", "size",  "count", "city", "code",
                                        "age",  "score", "level", "owner", "price", "year", "kind",
                                        "mode", "tag",   "rank",  "unit",  "zone",  "team"};
const std::vector<std::string> kWords = {"red",  "blue", "green", "gold", "oak",  "fox",
                                         "owl",  "sun",  "moon",  "sky",  "rain", "snow",
                                         "iron", "salt", "mint",  "wolf"};

// Builds an object of `keys` keys whose key `path` leads (through depth - 1 nested objects)
// to the target value; appends the JSON text to `out` and returns the target value's text.
std::string build_object(Rng& rng, std::int64_t keys, std::int64_t depth, std::string& out,
                         std::vector<std::string>& path) {
  std::vector<std::string> names = kKeys;
  rng.shuffle(names);
  names.resize(static_cast<std::size_t>(keys));
  const std::size_t target = rng.below(names.size());
  std::string answer;
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += fmt::format("{}\"{}\": ", i ? ", " : "", names[i]);
    if (i == target && depth > 1) {
      path.push_back(names[i]);
      answer = build_object(rng, keys, depth - 1, out, path);
      continue;
    }
    std::string text;
    if (rng.chance(1, 2)) {
      text = std::to_string(rng.between(0, 999));
      out += text;
    } else {
      text = rng.pick(kWords);
      out += '"' + text + '"';
    }
    if (i == target) {
      path.push_back(names[i]);
      answer = text;
    }
  }
  out += '}';
  return answer;
}

std::unique_ptr<spec::Generator> json_field() {
  spec::GeneratorInfo info{
      "json_field",
      "The value at a dotted path (e.g. owner.city) in a small JSON object. Values are "
      "integers or short words; the answer is the value's text, without quotes.",
      {int_param("keys", 3, 1, 8, "keys in each object"),
       int_param("depth", 1, 1, 3, "objects along the path (1: a top-level key)")},
      {"object", "path", "answer", "question"}};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    std::string object;
    std::vector<std::string> path;
    const std::string answer =
        build_object(rng, p.integer("keys"), p.integer("depth"), object, path);
    const std::string dotted = fmt::format("{}", fmt::join(path, "."));
    return json{{"object", object},
                {"path", dotted},
                {"answer", answer},
                {"question", fmt::format("What is the value of {} in the JSON object {}? Answer "
                                         "with the value only, without quotes.",
                                         dotted, object)}};
  });
}

// ---- program_output ----

constexpr std::array<const char*, 4> kVarNames = {"x", "y", "z", "i"};  // i: the loop counter
constexpr int kLoopVar = 3;
constexpr std::int64_t kMaxMagnitude = 9999;  // keeps every value, and the answer, short

struct Operand {
  int var = -1;  // index into kVarNames, or -1 for the constant k
  std::int64_t k = 0;
};

struct Assign {
  int target = 0;
  Operand lhs, rhs;
  char op = 0;  // '+', '-', '*', or 0 for `target = lhs`
};

using State = std::array<std::int64_t, 4>;

std::int64_t value_of(const Operand& o, const State& s) { return o.var < 0 ? o.k : s[o.var]; }

std::string text_of(const Operand& o) {
  return o.var < 0 ? std::to_string(o.k) : std::string(kVarNames[o.var]);
}

void run(const Assign& a, State& s) {
  const std::int64_t x = value_of(a.lhs, s), y = value_of(a.rhs, s);
  s[a.target] = a.op == '+' ? x + y : a.op == '-' ? x - y : a.op == '*' ? x * y : x;
}

std::string text_of(const Assign& a) {
  if (a.op == 0) return fmt::format("{} = {}", kVarNames[a.target], text_of(a.lhs));
  return fmt::format("{} = {} {} {}", kVarNames[a.target], text_of(a.lhs), a.op, text_of(a.rhs));
}

bool in_bounds(const State& s) {
  for (std::int64_t v : s) {
    if (v > kMaxMagnitude || v < -kMaxMagnitude) return false;
  }
  return true;
}

// A random assignment over the first `vars` variables (and the loop counter inside loops).
Assign random_assign(Rng& rng, int vars, std::int64_t max_value, bool in_loop) {
  auto operand = [&](bool allow_const) {
    Operand o;
    if (in_loop && rng.chance(1, 3)) {
      o.var = kLoopVar;
    } else if (allow_const && rng.chance(1, 2)) {
      o.k = rng.between(1, max_value);
    } else {
      o.var = static_cast<int>(rng.below(static_cast<std::uint64_t>(vars)));
    }
    return o;
  };
  Assign a;
  a.target = static_cast<int>(rng.below(static_cast<std::uint64_t>(vars)));
  const std::uint64_t form = rng.below(8);
  if (form == 0) {
    a.lhs.k = rng.between(0, max_value);  // x = 5
  } else if (form == 1) {
    a.op = '*';  // multiplication only by 2 or 3, so values stay small
    a.lhs.var = static_cast<int>(rng.below(static_cast<std::uint64_t>(vars)));
    a.rhs.k = rng.between(2, 3);
  } else {  // x = y + 3, x = x - i, ... (never x - x, which is always 0)
    a.op = rng.chance(1, 2) ? '+' : '-';
    a.lhs.var = static_cast<int>(rng.below(static_cast<std::uint64_t>(vars)));
    a.rhs = operand(true);
    if (a.op == '-' && a.rhs.var == a.lhs.var) a.rhs = Operand{-1, rng.between(1, max_value)};
  }
  return a;
}

std::unique_ptr<spec::Generator> program_output() {
  spec::GeneratorInfo info{
      "program_output",
      "What a tiny Python program prints: integer variables set by assignments (+, -, * by 2 "
      "or 3), `for i in range(n)` loops and `if`/`else` on one-line bodies, then one print. "
      "Every value stays within -9999..9999.",
      {int_param("statements", 4, 1, 12, "statements after the initial assignments"),
       int_param("variables", 2, 1, 3, "variables used (x, y, z)"),
       int_param("max_value", 9, 1, 99, "largest constant"),
       bool_param("loops", true, "allow `for` loops"),
       bool_param("conditions", true, "allow `if`/`else`")},
      {"program", "answer", "question"}};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    const int vars = static_cast<int>(p.integer("variables"));
    const std::int64_t max_value = p.integer("max_value");
    State state{};
    std::string program;
    for (int v = 0; v < vars; ++v) {
      state[v] = rng.between(0, max_value);
      program += fmt::format("{} = {}\n", kVarNames[v], state[v]);
    }
    std::vector<int> kinds = {0, 0};  // assignments are twice as likely as each other kind
    if (p.flag("loops")) kinds.push_back(1);
    if (p.flag("conditions")) kinds.push_back(2);
    for (std::int64_t n = 0; n < p.integer("statements"); ++n) {
      bool placed = false;
      // A draw that would leave the bounds is redrawn; a plain constant always fits.
      for (int attempt = 0; attempt < 20 && !placed; ++attempt) {
        State trial = state;
        std::string text;
        const int kind = rng.pick(kinds);
        if (kind == 0) {
          const Assign a = random_assign(rng, vars, max_value, false);
          run(a, trial);
          text = text_of(a) + "\n";
        } else if (kind == 1) {
          const std::int64_t times = rng.between(2, 4);
          const Assign a = random_assign(rng, vars, max_value, true);
          for (std::int64_t i = 0; i < times && in_bounds(trial); ++i) {
            trial[kLoopVar] = i;
            run(a, trial);
          }
          text = fmt::format("for i in range({}):\n    {}\n", times, text_of(a));
        } else {
          const int var = static_cast<int>(rng.below(static_cast<std::uint64_t>(vars)));
          const char* cmp = rng.pick(std::vector<const char*>{">", "<", "=="});
          const std::int64_t v = trial[var];
          std::int64_t k = rng.between(0, max_value);
          // `==` against a random constant is almost never true; make it a real branch.
          if (cmp[1] == '=' && v >= 0 && v <= max_value && rng.chance(1, 2)) k = v;
          const bool taken = cmp[0] == '>' ? v > k : cmp[0] == '<' ? v < k : v == k;
          const Assign then = random_assign(rng, vars, max_value, false);
          text = fmt::format("if {} {} {}:\n    {}\n", kVarNames[var], cmp, k, text_of(then));
          if (rng.chance(1, 2)) {
            const Assign otherwise = random_assign(rng, vars, max_value, false);
            text += fmt::format("else:\n    {}\n", text_of(otherwise));
            run(taken ? then : otherwise, trial);
          } else if (taken) {
            run(then, trial);
          }
        }
        if (in_bounds(trial)) {
          state = trial;
          program += text;
          placed = true;
        }
      }
      if (!placed) {
        const int v = static_cast<int>(rng.below(static_cast<std::uint64_t>(vars)));
        state[v] = rng.between(0, max_value);
        program += fmt::format("{} = {}\n", kVarNames[v], state[v]);
      }
    }
    std::int64_t answer = 0;
    if (vars > 1 && rng.chance(1, 3)) {
      const int a = static_cast<int>(rng.below(static_cast<std::uint64_t>(vars)));
      int b = static_cast<int>(rng.below(static_cast<std::uint64_t>(vars - 1)));
      if (b >= a) ++b;
      program += fmt::format("print({} + {})", kVarNames[a], kVarNames[b]);
      answer = state[a] + state[b];
    } else {
      const int a = static_cast<int>(rng.below(static_cast<std::uint64_t>(vars)));
      program += fmt::format("print({})", kVarNames[a]);
      answer = state[a];
    }
    return json{{"program", program},
                {"answer", answer},
                {"question", fmt::format("What does this Python program print?\n{}\nAnswer with "
                                         "the number only.",
                                         program)}};
  });
}

}  // namespace

void add_structured_generators(spec::GeneratorRegistry& registry) {
  registry.add(csv_sum());
  registry.add(json_field());
  registry.add(program_output());
}

}  // namespace pareto::suites
