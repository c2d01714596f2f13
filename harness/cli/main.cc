// pareto: specify tasks, run them against tiered models, measure, analyse, distill.
#include <cstdio>
#include <string>

#include "harness/cli/commands.h"

namespace pareto::cli {

void add_pending_command(CLI::App& app, const std::string& name, const std::string& description,
                         const std::string& arrives_with, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(name, description + " [not built yet]");
  cmd->allow_extras();
  cmd->prefix_command();
  cmd->callback([name, arrives_with, &exit_code] {
    std::fprintf(stderr, "pareto %s: not built yet; it arrives with %s.\n", name.c_str(),
                 arrives_with.c_str());
    exit_code = kUsage;
  });
}

}  // namespace pareto::cli

int main(int argc, char** argv) {
  using namespace pareto::cli;
  CLI::App app{
      "pareto: specify coding, analysis and agent tasks, run them against tiered models\n"
      "(flash, pro, ultra), measure tokens, latency and energy, and choose what to distill.\n"
      "Exit codes: 0 ok, 1 a result failed its bar, 2 usage or spec error, 3 runtime error.",
      "pareto"};
  app.set_version_flag("--version",
                       std::string("pareto ") + PARETO_VERSION + " (" + PARETO_GIT_COMMIT + ")");
  app.require_subcommand(1);
  app.fallthrough(false);

  int exit_code = kOk;
  add_spec_commands(app, exit_code);
  add_tokenize_commands(app, exit_code);
  add_sandbox_commands(app, exit_code);

  add_run_commands(app, exit_code, argc, argv);
  add_report_commands(app, exit_code);
  add_distill_commands(app, exit_code);
  add_core_commands(app, exit_code);
  add_train_commands(app, exit_code);
  add_serve_commands(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kUsage;
  }
  return exit_code;
}
