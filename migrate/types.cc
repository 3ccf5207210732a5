#include "migrate/types.h"

#include <algorithm>
#include <string>
#include <vector>

namespace duo::migrate {

const sql::TableDef* LiveSchema::FindTable(absl::string_view name) const {
  for (const sql::TableDef& table : tables) {
    if (table.name == name) return &table;
  }
  return nullptr;
}

bool IntrospectOptions::Excludes(absl::string_view table) const {
  return std::find(exclude_tables.begin(), exclude_tables.end(), table) != exclude_tables.end();
}

std::vector<std::string> Plan::Up() const {
  std::vector<std::string> statements;
  for (const Step& step : steps)
    statements.insert(statements.end(), step.up.begin(), step.up.end());
  return statements;
}

std::vector<std::string> Plan::Down() const {
  std::vector<std::string> statements;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    statements.insert(statements.end(), it->down.begin(), it->down.end());
  }
  return statements;
}

std::vector<std::string> Plan::DestructiveUp() const {
  std::vector<std::string> reasons;
  for (const Step& step : steps) {
    if (!step.destructive_up.empty()) reasons.push_back(step.destructive_up);
  }
  return reasons;
}

std::vector<std::string> Plan::DestructiveDown() const {
  std::vector<std::string> reasons;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (!it->destructive_down.empty()) reasons.push_back(it->destructive_down);
  }
  return reasons;
}

}  // namespace duo::migrate
