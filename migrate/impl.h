// duo-migrate's per-database implementations, the way Alembic's
// DefaultImpl / PostgresqlImpl / SQLiteImpl are: everything duo-migrate
// does differently on one database, behind one interface.
//
// The stages above it are database-neutral: the diff (diff.h), revision
// files (revision.h), autogenerate (autogenerate.h), the runner
// (runner.h), the CLI. Whatever they need to know about a database they ask
// its MigrateImpl: how to read the live schema, how to render a plan, how
// to lock a run, what to do around a revision. Each database's package
// (migrate/sqlite, migrate/postgres, migrate/mysql) registers its
// implementation under
// its dialect's name, from a library with alwayslink = 1;
// duo_migrate_binary (//migrate:main) links every one DuoORM ships.
//
// Adding a database to duo-migrate is adding such a package: nothing above
// this interface compares dialect names.
//
// Implementations hold no mutable state: one object serves every thread.

#ifndef MIGRATE_IMPL_H_
#define MIGRATE_IMPL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "duo/dialect/compiler.h"
#include "duo/model/meta.h"
#include "duo/session/database.h"
#include "duo/sql/table.h"
#include "migrate/diff.h"
#include "migrate/revision.h"
#include "migrate/types.h"

namespace duo::migrate {

// A lock that one duo-migrate run holds from start to end, so that
// concurrent runs apply each revision once. Released when destroyed.
class RunLock {
 public:
  virtual ~RunLock() = default;
};

class MigrateImpl {
 public:
  virtual ~MigrateImpl() = default;

  // ---- Introspection.

  // The live schema `session` sees (see types.h): every table of one
  // schema, with what a plan for this database needs besides (SQLite's
  // triggers and views to recreate around rebuilds, PostgreSQL's
  // constraint names and enum types).
  virtual absl::StatusOr<LiveSchema> Introspect(Session& session,
                                                const IntrospectOptions& options) const = 0;

  // ---- Autogenerate.

  // The models' tables as `database`'s server stores them: created in a
  // scratch space of the same kind of database, which nothing outlives,
  // and read back with Introspect (see autogenerate.h).
  virtual absl::StatusOr<std::vector<sql::TableDef>> ModelSchema(
      const Database& database, const std::vector<const ModelMeta*>& models) const = 0;

  // Adds to `diff` the differences in what the database keeps apart from
  // tables, between `live` and the models (PostgreSQL's enum types). The
  // default: nothing, for a database that keeps nothing apart.
  virtual void DiffTypes(const Database& /*database*/,
                         const std::vector<const ModelMeta*>& /*models*/,
                         const LiveSchema& /*live*/, SchemaDiff& /*diff*/) const {}

  // ---- Plans.

  // The steps that make `diff` happen, in `dialect` (this database's);
  // `live` supplies what the diff does not carry (see plan.h).
  virtual absl::StatusOr<Plan> PlanMigration(const dialect::Dialect& dialect,
                                             const SchemaDiff& diff,
                                             const LiveSchema& live) const = 0;

  // ---- Running revisions.

  // Whether `table` exists in the schema the session works in.
  virtual absl::StatusOr<bool> TableExists(Session& session, absl::string_view table) const = 0;

  // Takes the lock of a whole run on `session`'s database, waiting for a
  // run that holds it; the lock goes with the returned object.
  virtual absl::StatusOr<std::unique_ptr<RunLock>> LockRun(Session& session) const = 0;

  // Statements run before `revision`'s transaction begins and after it
  // ends, whatever the outcome (SQLite: foreign keys off around a revision
  // that rebuilds tables). The --sql script has them too.
  virtual std::vector<std::string> BeforeRevision(const Revision& /*revision*/) const { return {}; }
  virtual std::vector<std::string> AfterRevision(const Revision& /*revision*/) const { return {}; }

  // Checks what `revision`'s statements left, before it is recorded and
  // committed: empty when all is well, else what is wrong ("leaves 3 rows
  // violating foreign keys ..."), and the revision is rolled back.
  virtual absl::StatusOr<std::string> CheckRevision(Session& /*session*/,
                                                    const Revision& /*revision*/) const {
    return std::string();
  }
  // The same check in a --sql script: statements that fail the script
  // before COMMIT.
  virtual std::vector<std::string> CheckRevisionScript(const Revision& /*revision*/) const {
    return {};
  }

  // The lines a --sql script starts with (how to run it, the run's lock)
  // and ends with.
  virtual std::vector<std::string> ScriptStart() const = 0;
  virtual std::vector<std::string> ScriptEnd() const { return {}; }
};

// Registers `impl` for the dialect named `dialect` (dialect::Dialect::name).
// Two implementations for one dialect mean two linked packages claim it:
// the process aborts, naming it, before main() runs.
void RegisterImpl(absl::string_view dialect, const MigrateImpl* impl);

// The implementation for `dialect`; FailedPrecondition naming the dialect
// when this program links none.
absl::StatusOr<const MigrateImpl*> ImplFor(const dialect::Dialect& dialect);

// Registers an implementation when constructed: one namespace-scope object
// in the database's package, which owns `impl`.
class ImplRegistrar {
 public:
  ImplRegistrar(absl::string_view dialect, const MigrateImpl* impl) { RegisterImpl(dialect, impl); }
};

}  // namespace duo::migrate

#endif  // MIGRATE_IMPL_H_
