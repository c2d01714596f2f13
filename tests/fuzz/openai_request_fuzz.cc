// libFuzzer target: HTTP request bodies sent to `pareto serve` (chat and completions) must
// decode to a request or a 4xx error, never a crash; a request that decodes must survive
// being encoded and decoded again with the same meaning.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "inference/openai_protocol.h"

using namespace pareto::inference::openai;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (bool chat : {true, false}) {
    DecodedRequest d = DecodeRequest(body, chat);
    if (d.error) {
      if (d.error->status < 400 || d.error->status >= 500 || d.error->message.empty()) std::abort();
      (void)EncodeError(*d.error);
      continue;
    }
    DecodedRequest again = DecodeRequest(EncodeRequest(d.request), chat);
    if (again.error || again.request.model != d.request.model ||
        again.request.messages.size() != d.request.messages.size() ||
        again.request.prompt != d.request.prompt || again.request.stop != d.request.stop ||
        again.request.max_tokens != d.request.max_tokens) {
      std::abort();
    }
  }
  return 0;
}
