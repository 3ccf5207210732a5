#include "duo/engine/driver.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/engine/url_scheme.h"

namespace duo::engine {
namespace {

struct Registry {
  std::mutex mu;
  absl::flat_hash_map<std::string, OpenConnectorFn> drivers;  // guarded by mu
};

// Constructed on first use: registrations run during static
// initialization, in an order nobody controls.
Registry& GetRegistry() {
  static Registry* const registry = new Registry();
  return *registry;
}

}  // namespace

void RegisterDriver(absl::string_view scheme, OpenConnectorFn open) {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  if (!registry.drivers.emplace(std::string(scheme), open).second) {
    std::fprintf(stderr, "duo: two linked drivers register the URL scheme \"%s\"\n",
                 std::string(scheme).c_str());
    std::abort();
  }
}

absl::StatusOr<std::unique_ptr<Connector>> OpenConnector(DatabaseUrl url,
                                                         const ConnectOptions& options) {
  OpenConnectorFn open = nullptr;
  std::vector<std::string> linked;
  {
    Registry& registry = GetRegistry();
    std::lock_guard<std::mutex> lock(registry.mu);
    auto it = registry.drivers.find(url.scheme);
    if (it != registry.drivers.end()) open = it->second;
    for (const auto& [scheme, unused] : registry.drivers) linked.push_back(scheme);
  }
  if (open != nullptr) return open(std::move(url), options);
  std::sort(linked.begin(), linked.end());
  const UrlScheme* scheme = FindUrlScheme(url.scheme);
  const std::string target = scheme != nullptr && !scheme->driver_target.empty()
                                 ? scheme->driver_target
                                 : "the target of its driver";
  return absl::FailedPreconditionError(absl::StrCat(
      "no driver for ", url.scheme, ":// URLs is linked into this program (it has ",
      linked.empty() ? "none" : absl::StrCat("drivers for ", absl::StrJoin(linked, ", ")),
      "): add ", target,
      " to its deps, or //duo/session:database, which links every driver DuoORM ships"));
}

}  // namespace duo::engine
