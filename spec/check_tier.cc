// Checking tier items: `tier NAME { model = gguf(...) | openai(...), concurrency, ... }`.
#include <fmt/format.h>

#include <limits>

#include "spec/check_internal.h"
#include "spec/suggest.h"

namespace pareto::spec::internal {
namespace {

constexpr FieldRule kTierRules[] = {{"model"}, {"concurrency"}, {"joules_per_token"}};
constexpr std::string_view kModelKinds[] = {"gguf", "openai"};

bool is_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char ch : name) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '_';
    if (!ok) return false;
  }
  return true;
}

std::optional<GgufModel> read_gguf(FileScope& s, const Value& call) {
  const Param params[] = {{"path", true, true}, {"context"}, {"threads"}};
  auto a = bind_args(s, call, params, "gguf");
  bool ok = a.ok;
  GgufModel m;
  if (a[0] != nullptr) {
    if (auto p = read_string(s, *a[0], "the model path")) {
      if (p->empty()) {
        s.error(a[0]->span, "the model path is empty");
        ok = false;
      }
      m.path_as_written = *p;
      m.path = s.resolve(*p);
    } else {
      ok = false;
    }
  }
  if (a[1] != nullptr) {
    m.context = read_int(s, *a[1], "`context`", 1, std::numeric_limits<std::int32_t>::max());
    ok = ok && m.context.has_value();
  }
  if (a[2] != nullptr) {
    auto t = read_int(s, *a[2], "`threads`", 1, 4096);
    if (t) m.threads = static_cast<int>(*t);
    ok = ok && t.has_value();
  }
  if (!ok) return std::nullopt;
  return m;
}

std::optional<OpenAiModel> read_openai(FileScope& s, const Value& call) {
  const Param params[] = {
      {"url", true, true}, {"name", false, true}, {"api_key_env"}, {"context"},
      {"timeout"},         {"max_retries"},       {"headers"},     {"requests_per_minute"}};
  auto a = bind_args(s, call, params, "openai");
  bool ok = a.ok;
  OpenAiModel m;
  if (a[0] != nullptr) {
    if (auto url = read_string(s, *a[0], "`url`")) {
      if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
        s.error(a[0]->span, "`url` must start with http:// or https://",
                "the API base, e.g. \"http://localhost:8080/v1\"");
        ok = false;
      }
      m.url = *url;
    } else {
      ok = false;
    }
  }
  if (a[1] != nullptr) {
    if (auto name = read_string(s, *a[1], "`name`")) {
      if (name->empty()) {
        s.error(a[1]->span, "the model `name` is empty");
        ok = false;
      }
      m.name = *name;
    } else {
      ok = false;
    }
  }
  if (a[2] != nullptr) {
    if (auto env = read_string(s, *a[2], "`api_key_env`")) {
      if (!is_env_name(*env)) {
        s.error(a[2]->span, fmt::format("`{}` is not an environment variable name", *env),
                "name the variable that holds the key, e.g. \"OPENAI_API_KEY\", not the key");
        ok = false;
      }
      m.api_key_env = *env;
    } else {
      ok = false;
    }
  }
  if (a[3] != nullptr) {
    m.context = read_int(s, *a[3], "`context`", 1, std::numeric_limits<std::int32_t>::max());
    ok = ok && m.context.has_value();
  }
  if (a[4] != nullptr) {
    m.timeout = read_duration(s, *a[4], "`timeout`");
    ok = ok && m.timeout.has_value();
  }
  if (a[5] != nullptr) {
    auto r = read_int(s, *a[5], "`max_retries`", 0, 100);
    if (r) m.max_retries = static_cast<int>(*r);
    ok = ok && r.has_value();
  }
  if (a[6] != nullptr) {
    const Value& v = *a[6];
    if (v.kind == ValueKind::kMap) {
      for (const NamedValue& e : v.entries) {
        auto text = read_string(s, e.value, fmt::format("header `{}`", e.name));
        if (!text) {
          ok = false;
        } else if (m.headers.contains(e.name)) {
          s.error(e.name_span, fmt::format("header `{}` appears twice", e.name));
          ok = false;
        } else {
          m.headers[e.name] = *text;
        }
      }
    } else if (v.kind != ValueKind::kInvalid) {
      s.error(v.span, fmt::format("`headers` must be a map of strings, not {}", a_kind(v)));
      ok = false;
    }
  }
  if (a[7] != nullptr) {
    // A rate of requests, not a count: fractions (0.5 = one every two minutes) are fine.
    constexpr double kMaxRpm = 1'000'000;
    constexpr double kInf = std::numeric_limits<double>::infinity();
    auto rpm = read_number(s, *a[7], "`requests_per_minute`", -kInf, kInf);
    if (rpm && !(*rpm > 0 && *rpm <= kMaxRpm)) {
      s.error(a[7]->span,
              fmt::format("`requests_per_minute` must be more than 0 and at most {}, not {}",
                          kMaxRpm, *rpm),
              "leave it out for no rate limit");
      rpm.reset();
    }
    m.requests_per_minute = rpm;
    ok = ok && rpm.has_value();
  }
  if (!ok) return std::nullopt;
  return m;
}

}  // namespace

bool check_tier(FileScope& s, const Item& item, Tier& tier) {
  const std::size_t errors_before = s.diags.error_count();
  tier.name = item.name;
  tier.origin = s.origin(item.name_span.empty() ? item.span : item.name_span);
  const FieldMap fields =
      collect_fields(s, item.block, kTierRules, What("tier `{}`", item.name), false);
  auto get = [&](std::string_view name) -> const Value* {
    const Entry* e = fields.first(name);
    return e == nullptr ? nullptr : &e->value;
  };
  bool have_model = false;
  if (const Value* v = get("model")) {
    if (v->kind == ValueKind::kCall && v->text == "gguf") {
      if (auto m = read_gguf(s, *v)) {
        tier.model = std::move(*m);
        have_model = true;
      }
    } else if (v->kind == ValueKind::kCall && v->text == "openai") {
      if (auto m = read_openai(s, *v)) {
        tier.model = std::move(*m);
        have_model = true;
      }
    } else if (v->kind == ValueKind::kCall) {
      std::string hint = did_you_mean(v->text, kModelKinds);
      s.error(v->name_span, fmt::format("unknown model kind `{}`", v->text),
              hint.empty() ? "write gguf(\"file.gguf\") or openai(url = ..., name = ...)" : hint);
    } else if (v->kind != ValueKind::kInvalid) {
      s.error(v->span,
              fmt::format("`model` must be gguf(\"file.gguf\") or openai(url = ..., name = ...), "
                          "not {}",
                          a_kind(*v)));
    }
  } else if (!fields.contains("model") && !s.has_parse_error_in(item.span)) {
    s.error(item.name_span, fmt::format("tier `{}` has no `model`", item.name),
            "add `model = gguf(\"path.gguf\")` or `model = openai(url = ..., name = ...)`");
  }
  if (const Value* v = get("concurrency")) {
    if (auto n = read_int(s, *v, "`concurrency`", 1, 4096)) tier.concurrency = static_cast<int>(*n);
  }
  if (const Value* v = get("joules_per_token")) {
    tier.joules_per_token = read_energy(s, *v, "`joules_per_token`");
  }
  return have_model && s.diags.error_count() == errors_before;
}

}  // namespace pareto::spec::internal
