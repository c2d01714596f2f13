// check, fmt, list, export: placeholder registration until the spec language lands.
#include "harness/cli/commands.h"

namespace pareto::cli {

void add_spec_commands(CLI::App& app, int& exit_code) {
  const std::string with = "the spec language (issue #2)";
  add_pending_command(app, "check", "parse and check spec files", with, exit_code);
  add_pending_command(app, "fmt", "canonical formatting of spec files", with, exit_code);
  add_pending_command(app, "list", "tasks, kinds, tags, sample counts", with, exit_code);
  add_pending_command(app, "export", "checked specs as canonical JSON", with, exit_code);
}

}  // namespace pareto::cli
