#include "migrate/impl.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace duo::migrate {
namespace {

struct Registry {
  std::mutex mu;
  absl::flat_hash_map<std::string, const MigrateImpl*> impls;  // guarded by mu
};

// Constructed on first use: registrations run during static
// initialization, in an order nobody controls.
Registry& GetRegistry() {
  static Registry* const registry = new Registry();
  return *registry;
}

}  // namespace

void RegisterImpl(absl::string_view dialect, const MigrateImpl* impl) {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  if (!registry.impls.emplace(std::string(dialect), impl).second) {
    std::fprintf(stderr, "duo-migrate: two linked packages implement the %s dialect\n",
                 std::string(dialect).c_str());
    std::abort();
  }
}

absl::StatusOr<const MigrateImpl*> ImplFor(const dialect::Dialect& dialect) {
  std::vector<std::string> linked;
  {
    Registry& registry = GetRegistry();
    std::lock_guard<std::mutex> lock(registry.mu);
    auto it = registry.impls.find(dialect.name());
    if (it != registry.impls.end()) return it->second;
    for (const auto& [name, unused] : registry.impls) linked.push_back(name);
  }
  std::sort(linked.begin(), linked.end());
  return absl::FailedPreconditionError(
      absl::StrCat("duo-migrate has no implementation for the ", dialect.name(),
                   " dialect linked into this program (it has ",
                   linked.empty() ? "none" : absl::StrJoin(linked, ", "),
                   "): link the database's package under //migrate, or build the program with "
                   "duo_migrate_binary (//migrate:main), which links every database DuoORM ships"));
}

}  // namespace duo::migrate
