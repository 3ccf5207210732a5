#include "duo/engine/url_scheme.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace duo::engine {
namespace {

struct Registry {
  std::mutex mu;
  std::vector<std::unique_ptr<const UrlScheme>> schemes;       // guarded by mu
  absl::flat_hash_map<std::string, const UrlScheme*> by_name;  // guarded by mu
};

// Constructed on first use: registrations run during static
// initialization, in an order nobody controls.
Registry& GetRegistry() {
  static Registry* const registry = new Registry();
  return *registry;
}

}  // namespace

void RegisterUrlScheme(UrlScheme scheme) {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  if (scheme.names.empty()) {
    std::fprintf(stderr, "duo: a URL scheme was registered without a name\n");
    std::abort();
  }
  const UrlScheme* const added =
      registry.schemes.emplace_back(std::make_unique<UrlScheme>(std::move(scheme))).get();
  for (const std::string& name : added->names) {
    if (!registry.by_name.emplace(name, added).second) {
      std::fprintf(stderr,
                   "duo: the URL scheme \"%s\" is registered twice: two linked packages claim "
                   "it\n",
                   name.c_str());
      std::abort();
    }
  }
}

const UrlScheme* FindUrlScheme(absl::string_view name) {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  auto it = registry.by_name.find(name);
  return it == registry.by_name.end() ? nullptr : it->second;
}

std::vector<std::string> RegisteredUrlSchemes() {
  Registry& registry = GetRegistry();
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(registry.mu);
    for (const auto& scheme : registry.schemes) names.push_back(scheme->names.front());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace duo::engine
