// The checker's project level: reading files, resolving includes (missing files, cycles),
// forming suites from root files, duplicate task, suite and tier names, and the final order
// of diagnostics. Per-item checks live in check_task.cc and check_tier.cc.
#include "spec/checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <unordered_map>

#include "spec/check_internal.h"
#include "spec/source.h"

namespace pareto::spec {
namespace {

using internal::FileScope;

// Deeper include chains than this are refused (they are surely a mistake, and the
// recursion that follows them must stay bounded).
constexpr int kMaxIncludeDepth = 64;

struct LoadedFile {
  std::filesystem::path path;  // absolute, lexically normal
  std::string display;         // as diagnostics name it
  std::unique_ptr<SourceFile> source;
  File ast;
  Diagnostics diags;
  std::vector<Span> parse_errors;
  // Resolved includes: the item and the index of the loaded file (or npos when unreadable).
  std::vector<std::pair<const Item*, std::size_t>> includes;
  std::vector<Task> tasks;  // one per task item, in item order (the ones with errors too)
  std::vector<std::pair<const Item*, Tier>> tiers;  // the tiers that checked out
  const Item* suite_item = nullptr;
};

constexpr std::size_t npos = static_cast<std::size_t>(-1);

// A suite's task ids so far: the file and item that first defined each (views of the items'
// names, which outlive the suite's check).
using TaskIds = std::unordered_map<std::string_view, std::pair<std::size_t, const Item*>>;

class ProjectChecker {
 public:
  ProjectChecker(const GeneratorRegistry& generators, const CheckOptions& options)
      : generators_(generators), options_(options) {}

  CheckResult run(std::span<const std::filesystem::path> paths);

 private:
  std::size_t load(const std::filesystem::path& path, const std::string& display, int depth,
                   LoadedFile* from, const Item* include_item);
  void find_cycles();
  void check_file(LoadedFile& file);
  FileScope scope(LoadedFile& file);
  std::vector<std::size_t> roots(const std::vector<std::size_t>& requested) const;
  std::set<std::size_t> reachable(std::size_t file) const;  // it and what it includes
  void build_suite(std::size_t root, Project& project);
  void collect_tasks(std::size_t file, Suite& suite, std::set<std::size_t>& visited, TaskIds& ids);

  const GeneratorRegistry& generators_;
  const CheckOptions& options_;
  std::vector<std::unique_ptr<LoadedFile>> files_;
  std::map<std::filesystem::path, std::size_t> index_;
  Diagnostics loose_;  // diagnostics about files that could not be read at all
  std::map<std::string, std::size_t> suite_roots_;  // suite name -> its root file
  std::vector<int> uses_left_;  // per file: suites that have yet to collect its tasks
};

std::filesystem::path normal_absolute(const std::filesystem::path& p) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  if (ec) abs = p;
  return abs.lexically_normal();
}

std::string parent_display(const std::string& display) {
  return std::filesystem::path(display).parent_path().string();
}

FileScope ProjectChecker::scope(LoadedFile& file) {
  return FileScope{*file.source,
                   file.path,
                   file.path.parent_path(),
                   std::filesystem::path(parent_display(file.display)),
                   generators_,
                   options_,
                   file.diags,
                   file.parse_errors,
                   {}};
}

std::size_t ProjectChecker::load(const std::filesystem::path& path, const std::string& display,
                                 int depth, LoadedFile* from, const Item* include_item) {
  if (auto it = index_.find(path); it != index_.end()) return it->second;

  std::string error;
  std::optional<std::string> text;
  if (options_.read_file) {
    text = options_.read_file(path, &error);
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      error = fmt::format("{} is a folder, not a spec file", display);
    } else if (auto source = read_source_file(path, &error)) {
      text = std::string(source->text());
    }
  }
  if (!text) {
    if (from != nullptr) {
      FileScope s = scope(*from);
      s.error(include_item->path.span, fmt::format("cannot include `{}`", include_item->path.text),
              error.empty() ? "the file cannot be read" : error);
    } else {
      loose_.add(make_line_diagnostic(display, 0, Severity::kError,
                                      error.empty() ? "cannot read the file" : error));
    }
    return npos;
  }

  const std::size_t id = files_.size();
  files_.push_back(std::make_unique<LoadedFile>());
  index_[path] = id;
  LoadedFile& file = *files_.back();
  file.path = path;
  file.display = display;
  file.source = std::make_unique<SourceFile>(display, std::move(*text));
  file.ast = parse_file(*file.source, file.diags, options_.parse);
  for (const Diagnostic& d : file.diags.all()) {
    if (d.is_error()) file.parse_errors.push_back(d.span);
  }

  for (const Item& item : file.ast.items) {
    if (item.kind != ItemKind::kInclude || item.path.kind != ValueKind::kString) continue;
    FileScope s = scope(file);
    if (item.path.text.empty()) {
      s.error(item.path.span, "the include path is empty");
      continue;
    }
    if (depth + 1 > kMaxIncludeDepth) {
      s.error(item.path.span,
              fmt::format("includes nest more than {} files deep", kMaxIncludeDepth));
      continue;
    }
    const auto target = s.resolve(item.path.text);
    if (target == file.path) {
      s.error(item.path.span, "a file cannot include itself");
      continue;
    }
    const std::size_t t = load(target, s.display(item.path.text), depth + 1, &file, &item);
    file.includes.emplace_back(&item, t);
  }
  return id;
}

// Reports each include that closes a cycle, at that include, naming the whole cycle.
void ProjectChecker::find_cycles() {
  enum class Color { kWhite, kGray, kBlack };
  std::vector<Color> color(files_.size(), Color::kWhite);
  std::vector<std::size_t> stack;
  // Iterative DFS so that hostile include graphs cannot exhaust the stack.
  struct Frame {
    std::size_t file;
    std::size_t next = 0;
  };
  for (std::size_t start = 0; start < files_.size(); ++start) {
    if (color[start] != Color::kWhite) continue;
    std::vector<Frame> frames{{start}};
    color[start] = Color::kGray;
    stack.push_back(start);
    while (!frames.empty()) {
      Frame& f = frames.back();
      LoadedFile& file = *files_[f.file];
      if (f.next >= file.includes.size()) {
        color[f.file] = Color::kBlack;
        stack.pop_back();
        frames.pop_back();
        continue;
      }
      const auto [item, target] = file.includes[f.next++];
      if (target == npos) continue;
      if (color[target] == Color::kGray) {
        std::string chain;
        auto it = std::find(stack.begin(), stack.end(), target);
        for (; it != stack.end(); ++it) chain += files_[*it]->display + " -> ";
        chain += files_[target]->display;
        FileScope s = scope(file);
        s.error(item->path.span, fmt::format("include cycle: {}", chain),
                "remove one of these includes");
        // Do not follow this edge when forming suites.
        file.includes[f.next - 1].second = npos;
      } else if (color[target] == Color::kWhite) {
        color[target] = Color::kGray;
        stack.push_back(target);
        frames.push_back({target});
      }
    }
  }
}

void ProjectChecker::check_file(LoadedFile& file) {
  FileScope s = scope(file);
  const Item* defaults = nullptr;
  std::optional<internal::Defaults> read_defaults;
  for (const Item& item : file.ast.items) {
    if (item.kind == ItemKind::kSuite) {
      if (file.suite_item != nullptr) {
        Diagnostic& d = s.error(item.keyword_span, "a file declares its suite once");
        s.note(d, file.suite_item->span, "first declared here");
      } else {
        file.suite_item = &item;
      }
    } else if (item.kind == ItemKind::kDefaults) {
      if (defaults != nullptr) {
        Diagnostic& d =
            s.error(item.keyword_span, "a file has one `defaults` block", "merge the two blocks");
        s.note(d, defaults->keyword_span, "first `defaults` here");
      } else {
        defaults = &item;
        read_defaults = internal::check_defaults(s, item);
      }
    }
  }
  std::map<std::string, const Item*> tier_names;
  for (const Item& item : file.ast.items) {
    if (item.kind == ItemKind::kTask) {
      Task& task = file.tasks.emplace_back();
      internal::check_task(s, item, read_defaults ? &*read_defaults : nullptr, task);
    } else if (item.kind == ItemKind::kTier) {
      Tier tier;
      if (internal::check_tier(s, item, tier)) file.tiers.emplace_back(&item, std::move(tier));
    }
  }
}

std::set<std::size_t> ProjectChecker::reachable(std::size_t file) const {
  std::set<std::size_t> seen{file};
  std::vector<std::size_t> todo{file};
  while (!todo.empty()) {
    const std::size_t f = todo.back();
    todo.pop_back();
    for (const auto& [item, target] : files_[f]->includes) {
      if (target != npos && seen.insert(target).second) todo.push_back(target);
    }
  }
  return seen;
}

// Requested files that no other requested file reaches through includes.
std::vector<std::size_t> ProjectChecker::roots(const std::vector<std::size_t>& requested) const {
  std::vector<std::set<std::size_t>> reach;
  for (std::size_t r : requested) reach.push_back(reachable(r));
  std::vector<std::size_t> out;
  for (std::size_t r = 0; r < requested.size(); ++r) {
    bool included = false;
    for (std::size_t o = 0; o < requested.size() && !included; ++o) {
      if (o != r && requested[o] != requested[r] && reach[o].contains(requested[r])) {
        included = true;
      }
    }
    if (!included && std::find(out.begin(), out.end(), requested[r]) == out.end()) {
      out.push_back(requested[r]);
    }
  }
  return out;
}

void ProjectChecker::collect_tasks(std::size_t id, Suite& suite, std::set<std::size_t>& visited,
                                   TaskIds& ids) {
  // Included files are followed in source order; `visited` stops diamonds and cycles. The
  // last suite to use a file's tasks takes them; earlier ones (when several roots include the
  // file) copy them: copying samples is the expensive part of building suites.
  struct Frame {
    std::size_t file;
    std::size_t next = 0;       // the next item
    std::size_t next_task = 0;  // the next task of LoadedFile::tasks
    bool last_use = false;
  };
  std::vector<Frame> stack{{id, 0, 0, --uses_left_[id] == 0}};
  visited.insert(id);
  while (!stack.empty()) {
    const std::size_t fid = stack.back().file;
    const bool last_use = stack.back().last_use;
    std::size_t& next = stack.back().next;
    std::size_t& next_task = stack.back().next_task;
    LoadedFile& file = *files_[fid];
    if (next >= file.ast.items.size()) {
      stack.pop_back();
      continue;
    }
    const Item& item = file.ast.items[next++];
    if (item.kind == ItemKind::kInclude) {
      for (const auto& [inc, target] : file.includes) {
        if (inc == &item && target != npos && visited.insert(target).second) {
          if (files_[target]->path != file.path) suite.includes.push_back(files_[target]->path);
          stack.push_back({target, 0, 0, --uses_left_[target] == 0});
          break;
        }
      }
      continue;
    }
    if (item.kind != ItemKind::kTask) continue;
    Task& checked = file.tasks[next_task++];
    if (auto seen = ids.find(item.name); seen != ids.end()) {
      FileScope s = scope(file);
      Diagnostic& d =
          s.error(item.name_span,
                  fmt::format("task `{}` is defined twice in suite `{}`", item.name, suite.name));
      LoadedFile& first = *files_[seen->second.first];
      d.notes.push_back(make_diagnostic(*first.source, seen->second.second->name_span,
                                        Severity::kNote, "first defined here"));
      continue;
    }
    ids[item.name] = {fid, &item};
    Task& task =
        last_use ? suite.tasks.emplace_back(std::move(checked)) : suite.tasks.emplace_back(checked);
    task.suite = suite.name;
  }
}

void ProjectChecker::build_suite(std::size_t root, Project& project) {
  LoadedFile& file = *files_[root];
  Suite suite;
  suite.file = file.path;
  if (file.suite_item != nullptr) {
    suite.name = file.suite_item->name;
    if (file.suite_item->title && file.suite_item->title->kind == ValueKind::kString) {
      suite.title = file.suite_item->title->text;
    }
  } else {
    suite.name = file.path.stem().string();
  }
  std::set<std::size_t> visited;
  std::size_t tasks = 0;
  for (std::size_t f : reachable(root)) tasks += files_[f]->tasks.size();
  suite.tasks.reserve(tasks);
  TaskIds ids;
  ids.reserve(tasks);
  collect_tasks(root, suite, visited, ids);
  if (suite.tasks.empty() && file.suite_item == nullptr) {
    // No task anywhere and no suite line: a tier file (or an empty file), not a suite.
    bool declares_task = false;
    for (std::size_t f : visited) {
      for (const Item& item : files_[f]->ast.items) {
        declares_task = declares_task || item.kind == ItemKind::kTask;
      }
    }
    if (!declares_task) return;
  }
  if (auto it = suite_roots_.find(suite.name); it != suite_roots_.end()) {
    FileScope s = scope(file);
    const Span at = file.suite_item ? file.suite_item->name_span : Span{0, 0};
    s.error(
        at,
        fmt::format("suite `{}` is also defined by {}", suite.name, files_[it->second]->display),
        file.suite_item ? "give each suite its own name"
                        : "name this suite with `suite NAME` at the top of the file");
    return;
  }
  suite_roots_[suite.name] = root;
  project.suites.push_back(std::move(suite));
}

CheckResult ProjectChecker::run(std::span<const std::filesystem::path> paths) {
  CheckResult result;
  std::vector<std::size_t> requested;
  for (const auto& p : paths) {
    const std::size_t id = load(normal_absolute(p), p.string(), 0, nullptr, nullptr);
    if (id != npos) requested.push_back(id);
  }
  find_cycles();
  for (auto& file : files_) check_file(*file);
  const auto root_files = roots(requested);
  uses_left_.assign(files_.size(), 0);
  for (std::size_t root : root_files) {
    for (std::size_t f : reachable(root)) ++uses_left_[f];
  }
  for (std::size_t root : root_files) build_suite(root, result.project);
  std::sort(result.project.suites.begin(), result.project.suites.end(),
            [](const Suite& a, const Suite& b) { return a.name < b.name; });

  std::map<std::string, std::pair<const LoadedFile*, const Item*>> tiers;
  for (auto& file : files_) {
    for (const auto& [item, tier] : file->tiers) {
      if (auto it = tiers.find(tier.name); it != tiers.end()) {
        FileScope s = scope(*file);
        Diagnostic& d =
            s.error(item->name_span, fmt::format("tier `{}` is defined twice", tier.name));
        d.notes.push_back(make_diagnostic(*it->second.first->source, it->second.second->name_span,
                                          Severity::kNote, "first defined here"));
        continue;
      }
      tiers[tier.name] = {file.get(), item};
      result.project.tiers.push_back(tier);
    }
  }

  // Diagnostics: files in the order they were read, each in source order, no repeats.
  result.diagnostics.append(loose_);
  for (auto& file : files_) {
    file->diags.sort_by_location();
    std::set<std::tuple<std::string_view, int, int, int, std::string_view>> seen;
    for (const Diagnostic& d : file->diags.all()) {
      if (seen.insert({d.file, d.line, d.column, static_cast<int>(d.severity), d.message}).second) {
        result.diagnostics.add(d);
      }
    }
  }
  result.files = files_.size();
  return result;
}

}  // namespace

std::vector<std::filesystem::path> find_spec_files(std::span<const std::string> paths,
                                                   Diagnostics& diagnostics) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  auto problem = [&](const std::string& path, std::string message) {
    diagnostics.add(make_line_diagnostic(path, 0, Severity::kError, std::move(message)));
  };
  for (const std::string& arg : paths) {
    std::error_code ec;
    const fs::path path(arg);
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> found;
      fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
      for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::error_code type_ec;
        if (it->is_regular_file(type_ec) && it->path().extension() == ".pareto") {
          found.push_back(it->path().lexically_normal());
        }
      }
      if (ec) {
        problem(arg, "cannot read the folder: " + ec.message());
      } else if (found.empty()) {
        problem(arg, "no .pareto files in this folder");
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
    } else {
      problem(arg, "no such file or folder");
    }
  }
  return files;
}

CheckResult check_files(std::span<const std::filesystem::path> files,
                        const GeneratorRegistry& generators, const CheckOptions& options) {
  ProjectChecker checker(generators, options);
  return checker.run(files);
}

}  // namespace pareto::spec
