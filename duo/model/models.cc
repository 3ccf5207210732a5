#include "duo/model/models.h"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/ddl.h"

namespace duo {
namespace {

std::mutex& GroupsMutex() {
  static std::mutex mu;
  return mu;
}

std::vector<const Models*>& Groups() {
  static auto* groups = new std::vector<const Models*>();
  return *groups;
}

}  // namespace

Models::Models(std::string name) : name_(std::move(name)) {}

Models& Models::Default() {
  static auto* models = new Models("default");
  return *models;
}

std::vector<const Models*> Models::All() {
  std::lock_guard<std::mutex> lock(GroupsMutex());
  return Groups();
}

void Models::Bind(Database database) {
  std::lock_guard<std::mutex> lock(mu_);
  database_ = std::move(database);
}

void Models::Unbind() {
  std::lock_guard<std::mutex> lock(mu_);
  database_.reset();
}

absl::StatusOr<Database> Models::database() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!database_) {
    return absl::FailedPreconditionError(
        absl::StrCat("the models of group \"", name_, "\" are not bound to a database: call ",
                     name_ == "default" ? "duo::Models::Default()" : name_,
                     ".Bind(db) at start-up, "
                     "or run the query with Query(db)"));
  }
  return *database_;
}

std::vector<const ModelMeta*> Models::models() const {
  std::lock_guard<std::mutex> lock(mu_);
  return registered_;
}

void Models::Register(const ModelMeta& meta) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (std::find(registered_.begin(), registered_.end(), &meta) != registered_.end()) return;
    registered_.push_back(&meta);
  }
  std::lock_guard<std::mutex> lock(GroupsMutex());
  if (std::find(Groups().begin(), Groups().end(), this) == Groups().end()) {
    Groups().push_back(this);
  }
}

namespace {

// `models` ordered so that every table comes after the tables its foreign
// keys reference (cycles keep declaration order).
std::vector<const ModelMeta*> DependencyOrder(const std::vector<const ModelMeta*>& models) {
  absl::flat_hash_set<std::string> names;
  for (const ModelMeta* meta : models) names.insert(meta->table().name());
  std::vector<const ModelMeta*> ordered;
  absl::flat_hash_set<std::string> placed;
  std::vector<const ModelMeta*> pending = models;
  while (!pending.empty()) {
    std::vector<const ModelMeta*> blocked;
    for (const ModelMeta* meta : pending) {
      bool ready = true;
      for (const sql::ForeignKeyDef& fk : meta->table_def().foreign_keys) {
        if (fk.referenced_table != meta->table().name() && names.contains(fk.referenced_table) &&
            !placed.contains(fk.referenced_table)) {
          ready = false;
        }
      }
      if (ready) {
        ordered.push_back(meta);
        placed.insert(meta->table().name());
      } else {
        blocked.push_back(meta);
      }
    }
    if (blocked.size() == pending.size()) {
      ordered.insert(ordered.end(), blocked.begin(), blocked.end());
      break;
    }
    pending = std::move(blocked);
  }
  return ordered;
}

// Runs `ddl` in one transaction where DDL is transactional (all of it or
// none); elsewhere (MySQL, where each CREATE or DROP commits the transaction
// it runs in) on a session of its own without one: a failure then leaves
// the statements before it done.
absl::Status RunDdl(const Database& database, const std::function<absl::Status(Session&)>& ddl) {
  if (database.dialect().TransactionalDdl()) return database.Transaction(ddl);
  DUO_ASSIGN_OR_RETURN(Session session, database.StandaloneSession());
  return ddl(session);
}

}  // namespace

absl::Status Models::CreateTables(const Database& database,
                                  const std::vector<const ModelMeta*>& models, bool if_not_exists) {
  for (const ModelMeta* meta : models) DUO_RETURN_IF_ERROR(meta->declaration_status());
  return RunDdl(database, [&](Session& session) -> absl::Status {
    for (const ModelMeta* meta : DependencyOrder(models)) {
      // Native enum types first; models may share one, so an existing
      // type is kept.
      for (const sql::SqlType& type : dialect::EnumTypes(meta->table_def())) {
        for (const std::string& statement :
             dialect::CreateEnumTypeStatements(database.dialect(), type, {.if_not_exists = true})) {
          DUO_RETURN_IF_ERROR(session.ExecuteScript(statement));
        }
      }
      DUO_ASSIGN_OR_RETURN(std::vector<std::string> statements,
                           dialect::CreateTableStatements(database.dialect(), meta->table_def(),
                                                          {.if_not_exists = if_not_exists}));
      for (const std::string& statement : statements) {
        DUO_RETURN_IF_ERROR(session.ExecuteScript(statement));
      }
    }
    return absl::OkStatus();
  });
}

absl::Status Models::DropTables(const Database& database,
                                const std::vector<const ModelMeta*>& models) {
  std::vector<const ModelMeta*> ordered = DependencyOrder(models);
  return RunDdl(database, [&](Session& session) -> absl::Status {
    for (auto it = ordered.rbegin(); it != ordered.rend(); ++it) {
      DUO_RETURN_IF_ERROR(session.ExecuteScript(
          dialect::DropTableStatement(database.dialect(), (*it)->table_def(), true)));
    }
    return absl::OkStatus();
  });
}

}  // namespace duo
