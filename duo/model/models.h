// Groups of models that live in one database, and the registry of every
// model a program declares.
//
// DuoORM gives each database its own model base; in C++ a model names its
// group in its Table() declaration (the default group when it names none),
// and the program binds each group to a Database at start-up:
//
//   inline duo::Models analytics("analytics");   // in a header
//   ... duo::Schema<Event>("events", analytics) ...
//
//   duo::Models::Default().Bind(main_db);
//   analytics.Bind(warehouse_db);
//
// Model calls then run against their group's database (or the one a query
// names with Query(db)), so two databases never see each other's models.
//
// Registration (DUO_REGISTER_MODEL) is what duo-migrate reads: every model
// registered in the program, grouped. Put DUO_REGISTER_MODEL(Order) in the
// model's .cc file, and mark that library `alwayslink = True` so that the
// linker keeps it in binaries that never call it directly.
//
// Thread-safe.

#ifndef DUO_MODEL_MODELS_H_
#define DUO_MODEL_MODELS_H_

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "duo/model/meta.h"
#include "duo/session/database.h"

namespace duo {

class Models {
 public:
  explicit Models(std::string name);
  // Not copyable: models refer to their group by address.
  Models(const Models&) = delete;
  Models& operator=(const Models&) = delete;

  // The group models join when their declaration names none.
  static Models& Default();
  // Every group that has registered models, in registration order.
  static std::vector<const Models*> All();

  const std::string& name() const { return name_; }

  // Makes the models of this group run against `database`.
  void Bind(Database database);
  void Unbind();
  // The bound database, or FailedPrecondition naming the group.
  absl::StatusOr<Database> database() const;

  // Models registered in this group, in registration order.
  std::vector<const ModelMeta*> models() const;

  // Creates the tables (and indexes) of `models` in `database`, referenced
  // tables first, in one transaction where DDL is transactional (on MySQL
  // and MariaDB each statement commits by itself): SQLAlchemy's create_all,
  // for tests and prototypes. Real schemas evolve with duo-migrate.
  static absl::Status CreateTables(const Database& database,
                                   const std::vector<const ModelMeta*>& models,
                                   bool if_not_exists = false);
  // Drops them, referencing tables first.
  static absl::Status DropTables(const Database& database,
                                 const std::vector<const ModelMeta*>& models);
  void Register(const ModelMeta& meta) const;

 private:
  std::string name_;
  mutable std::mutex mu_;
  std::optional<Database> database_;                  // guarded by mu_
  mutable std::vector<const ModelMeta*> registered_;  // guarded by mu_
};

}  // namespace duo

#endif  // DUO_MODEL_MODELS_H_
