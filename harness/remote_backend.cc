// The backend of an OpenAI-compatible tier. The client for such endpoints (streaming, retries,
// usage) is being written in inference/; until it is wired in here, a remote tier is refused
// at open time with a message saying so, and a run that names one stops before any item runs.
#include <fmt/format.h>

#include "harness/backend.h"

namespace pareto::harness {

Result<std::unique_ptr<Backend>> open_remote_backend(const spec::Tier& tier,
                                                     const spec::OpenAiModel& model,
                                                     const BackendOptions&) {
  return Status::Error(fmt::format(
      "tier {}: remote tiers (openai(url = \"{}\")) cannot be run yet: the OpenAI-compatible "
      "client is not wired into the harness in this build; use a gguf(...) tier",
      tier.name, model.url));
}

}  // namespace pareto::harness
