// duo-migrate on SQLite (MigrateImpl, see migrate/impl.h): introspection
// through the pragmas, plans that rebuild tables, the models' schema in a
// private in-memory database, a run lock on a file beside the database,
// and foreign keys off around revisions that rebuild tables.

#include "migrate/impl.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/model/models.h"
#include "duo/sql/text.h"
#include "migrate/sqlite/fail_unless_zero.h"
#include "migrate/sqlite/introspect.h"
#include "migrate/sqlite/planner.h"

namespace duo::migrate {
namespace {

// An exclusive flock() on "<database file>-duo-migrate.lock" beside the
// database. SQLite's own write lock cannot be held across a run, since the
// revisions need it, and a non-transactional revision runs with no
// transaction at all. The kernel releases a flock() when its process dies,
// so a killed run never leaves the lock behind.
class FileLock final : public RunLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {}
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() override {
    if (fd_ >= 0) close(fd_);  // releases the flock()
  }

 private:
  const int fd_;
};

class SqliteImpl final : public MigrateImpl {
 public:
  absl::StatusOr<LiveSchema> Introspect(Session& session,
                                        const IntrospectOptions& options) const override {
    return IntrospectSqlite(session, options);
  }

  // A throwaway private in-memory database.
  absl::StatusOr<std::vector<sql::TableDef>> ModelSchema(
      const Database&, const std::vector<const ModelMeta*>& models) const override {
    DUO_ASSIGN_OR_RETURN(Database scratch, Database::Open("sqlite:///:memory:"));
    DUO_RETURN_IF_ERROR(Models::CreateTables(scratch, models));
    DUO_ASSIGN_OR_RETURN(Session session, scratch.StandaloneSession());
    DUO_ASSIGN_OR_RETURN(LiveSchema schema, IntrospectSqlite(session, {}));
    return std::move(schema.tables);
  }

  absl::StatusOr<Plan> PlanMigration(const dialect::Dialect& dialect, const SchemaDiff& diff,
                                     const LiveSchema& live) const override {
    return PlanSqlite(dialect, diff, live);
  }

  absl::StatusOr<bool> TableExists(Session& session, absl::string_view table) const override {
    DUO_ASSIGN_OR_RETURN(Result result,
                         session.Execute(sql::Text("SELECT count(*) FROM sqlite_schema "
                                                   "WHERE type = 'table' AND name = :name")
                                             .Bind("name", std::string(table))));
    DUO_ASSIGN_OR_RETURN(int64_t count, result.Scalar<int64_t>());
    return count > 0;
  }

  // A private in-memory database needs no lock: no other run can see it.
  absl::StatusOr<std::unique_ptr<RunLock>> LockRun(Session& session) const override {
    // The file SQLite opened, resolved as SQLite resolved it; empty for an
    // in-memory or temporary database.
    DUO_ASSIGN_OR_RETURN(
        Result files,
        session.Execute(sql::Text("SELECT file FROM pragma_database_list WHERE name = 'main'")));
    DUO_ASSIGN_OR_RETURN(std::optional<std::string> file,
                         files.Get<std::optional<std::string>>(0, 0));
    if (!file.has_value() || file->empty()) return std::make_unique<FileLock>(-1);
    const std::string path = absl::StrCat(*file, "-duo-migrate.lock");
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("cannot open the migration lock file ", path));
    }
    while (flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      close(fd);
      return absl::ErrnoToStatus(error, absl::StrCat("cannot lock ", path));
    }
    return std::make_unique<FileLock>(fd);
  }

  // A table rebuild would violate or cascade foreign keys halfway through:
  // enforcement is off around the revision. PRAGMA foreign_keys is a no-op
  // inside a transaction, so it is set before BEGIN and after the end.
  std::vector<std::string> BeforeRevision(const Revision& revision) const override {
    if (!revision.sqlite_foreign_keys_off) return {};
    return {"PRAGMA foreign_keys = OFF"};
  }
  std::vector<std::string> AfterRevision(const Revision& revision) const override {
    if (!revision.sqlite_foreign_keys_off) return {};
    return {"PRAGMA foreign_keys = ON"};
  }

  // With enforcement off, what the revision left is checked before commit.
  absl::StatusOr<std::string> CheckRevision(Session& session,
                                            const Revision& revision) const override {
    if (!revision.sqlite_foreign_keys_off) return std::string();
    DUO_ASSIGN_OR_RETURN(Result violations,
                         session.Execute(sql::Text("SELECT \"table\", rowid, parent "
                                                   "FROM pragma_foreign_key_check")));
    if (violations.empty()) return std::string();
    DUO_ASSIGN_OR_RETURN(std::string table, violations.Get<std::string>(0, 0));
    DUO_ASSIGN_OR_RETURN(std::string parent, violations.Get<std::string>(0, 2));
    return absl::StrCat("leaves ", violations.size(),
                        " rows violating foreign keys (first: table \"", table, "\" referencing \"",
                        parent, "\")");
  }
  std::vector<std::string> CheckRevisionScript(const Revision& revision) const override {
    if (!revision.sqlite_foreign_keys_off) return {};
    return SqliteFailUnlessZero(
        absl::StrCat("revision ", revision.id, " leaves rows violating foreign keys"),
        "SELECT count(*) FROM pragma_foreign_key_check");
  }

  // SQLite's shell goes on after an error by default, and would COMMIT
  // what came before the failing statement.
  std::vector<std::string> ScriptStart() const override {
    return {
        "-- duo-migrate script: run it with `sqlite3 -bail DATABASE < FILE` (or a client that "
        "stops at the first error)"};
  }
};

const SqliteImpl* const kSqliteImpl = new SqliteImpl();
const ImplRegistrar kSqliteRegistration(dialect::SqliteDialect().name(), kSqliteImpl);

}  // namespace
}  // namespace duo::migrate
