#include "migrate/runner.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/ddl.h"
#include "duo/sql/dml.h"
#include "duo/sql/select.h"
#include "duo/sql/text.h"
#include "migrate/autogenerate.h"
#include "migrate/plan.h"

namespace duo::migrate {
namespace {

// "duomigra": the PostgreSQL advisory lock every duo-migrate run takes.
constexpr int64_t kAdvisoryLockKey = 0x64756f6d69677261;

sql::TableDef VersionTableDef() {
  sql::TableDef table(kVersionTable);
  table
      .AddColumn({.name = "revision",
                  .type = sql::SqlType::Varchar(32),
                  .nullable = false,
                  .primary_key = true})
      .AddColumn({.name = "parent", .type = sql::SqlType::Varchar(32)})
      .AddColumn({.name = "message", .type = sql::SqlType::Text(), .nullable = false})
      .AddColumn({.name = "checksum", .type = sql::SqlType::Varchar(80), .nullable = false})
      .AddColumn({.name = "applied_at", .type = sql::SqlType::Timestamp(), .nullable = false});
  return table;
}

const sql::Table& VersionTable() {
  static const sql::Table* const table = new sql::Table(VersionTableDef());
  return *table;
}

bool IsPostgres(const Session& session) { return session.dialect().name() == "postgresql"; }

std::string Describe(const Revision& revision) {
  return absl::StrCat(revision.id, " (", revision.path, ")");
}

// Records `revision` as applied (or no longer applied).
sql::Statement VersionUpdate(const Revision& revision, bool applied) {
  const sql::Table& table = VersionTable();
  if (!applied) return sql::Delete(table).Where(table.C("revision") == revision.id);
  return sql::Insert(table)
      .Columns({"revision", "parent", "message", "checksum", "applied_at"})
      .AddRow({sql::Param(sql::Value(revision.id)),
               sql::Param(revision.parent.empty() ? sql::Value() : sql::Value(revision.parent)),
               sql::Param(sql::Value(revision.message)), sql::Param(sql::Value(revision.checksum)),
               sql::Param(sql::Value(absl::Now()))});
}

absl::StatusOr<bool> VersionTableExists(Session& session) {
  sql::Text query = IsPostgres(session)
                        ? sql::Text(
                              "SELECT count(*) FROM pg_catalog.pg_tables "
                              "WHERE schemaname = current_schema() AND tablename = :name")
                        : sql::Text(
                              "SELECT count(*) FROM sqlite_schema "
                              "WHERE type = 'table' AND name = :name");
  DUO_ASSIGN_OR_RETURN(Result result, session.Execute(query.Bind("name", kVersionTable)));
  DUO_ASSIGN_OR_RETURN(int64_t count, result.Scalar<int64_t>());
  return count > 0;
}

absl::Status CreateVersionTable(Session& session) {
  DUO_ASSIGN_OR_RETURN(std::vector<std::string> statements,
                       dialect::CreateTableStatements(session.dialect(), VersionTableDef(),
                                                      {.if_not_exists = true}));
  for (const std::string& statement : statements) {
    DUO_RETURN_IF_ERROR(session.ExecuteScript(statement));
  }
  return absl::OkStatus();
}

// The version table's rows, base first (following parents, not clocks).
absl::StatusOr<std::vector<AppliedRevision>> ReadApplied(Session& session) {
  DUO_ASSIGN_OR_RETURN(bool exists, VersionTableExists(session));
  if (!exists) return std::vector<AppliedRevision>();
  const sql::Table& table = VersionTable();
  DUO_ASSIGN_OR_RETURN(
      Result result,
      session.Execute(sql::Select({table.C("revision"), table.C("parent"), table.C("message"),
                                   table.C("checksum"), table.C("applied_at")})
                          .From(table)));
  std::map<std::string, AppliedRevision> by_parent;
  for (size_t row = 0; row < result.size(); ++row) {
    AppliedRevision applied;
    DUO_ASSIGN_OR_RETURN(applied.id, result.Get<std::string>(row, 0));
    DUO_ASSIGN_OR_RETURN(std::optional<std::string> parent,
                         result.Get<std::optional<std::string>>(row, 1));
    applied.parent = parent.value_or("");
    DUO_ASSIGN_OR_RETURN(applied.message, result.Get<std::string>(row, 2));
    DUO_ASSIGN_OR_RETURN(applied.checksum, result.Get<std::string>(row, 3));
    DUO_ASSIGN_OR_RETURN(applied.applied_at, result.Get<absl::Time>(row, 4));
    if (!by_parent.emplace(applied.parent, applied).second) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the version table ", kVersionTable, " holds two revisions with parent '",
          applied.parent.empty() ? "base" : applied.parent, "'; repair it with `stamp`"));
    }
  }
  std::vector<AppliedRevision> chain;
  std::string parent;
  while (true) {
    auto it = by_parent.find(parent);
    if (it == by_parent.end()) break;
    chain.push_back(it->second);
    parent = it->second.id;
  }
  if (chain.size() != by_parent.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the version table ", kVersionTable,
                     " does not form one chain from base; repair it with `stamp`"));
  }
  return chain;
}

// Checks that the applied revisions are the first ones of `revisions`,
// unedited; returns how many are applied.
absl::StatusOr<size_t> VerifyApplied(const std::vector<Revision>& revisions,
                                     const std::vector<AppliedRevision>& applied) {
  for (size_t i = 0; i < applied.size(); ++i) {
    if (i >= revisions.size() || revisions[i].id != applied[i].id) {
      auto it = std::find_if(revisions.begin(), revisions.end(),
                             [&](const Revision& r) { return r.id == applied[i].id; });
      if (it == revisions.end()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "revision ", applied[i].id, " (\"", applied[i].message,
            "\") is applied to the database but has no file in the migrations folder"));
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "revision ", Describe(*it), " is applied but the revisions before it differ from ",
          "the migrations folder's history"));
    }
    if (revisions[i].checksum != applied[i].checksum) {
      return absl::FailedPreconditionError(absl::StrCat(
          "revision ", Describe(revisions[i]), " was edited after it was applied (recorded ",
          applied[i].checksum, ", file now ", revisions[i].checksum,
          "); restore the file and put further changes in a new revision"));
    }
  }
  return applied.size();
}

std::string Truncated(absl::string_view sql) {
  constexpr size_t kLimit = 300;
  return sql.size() <= kLimit ? std::string(sql) : absl::StrCat(sql.substr(0, kLimit), " ...");
}

std::string Milliseconds(absl::Duration duration) {
  return absl::StrCat(absl::ToInt64Milliseconds(duration), " ms");
}

class Run {
 public:
  Run(Session& session, const RunOptions& options) : session_(session), options_(options) {}

  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  // Runs `statements` of `revision` and records (or erases) it, in one
  // transaction unless the file opts out. Returns false when another
  // process got there first.
  absl::StatusOr<bool> Apply(const Revision& revision, const std::vector<std::string>& statements,
                             bool upgrade) {
    if (options_.sql_only) {
      AppendScript(revision, statements, upgrade);
      return true;
    }
    const bool sqlite = !IsPostgres(session_);
    const bool foreign_keys_off = sqlite && revision.sqlite_foreign_keys_off;
    // PRAGMA foreign_keys is a no-op inside a transaction: set it first.
    if (foreign_keys_off) DUO_RETURN_IF_ERROR(session_.ExecuteScript("PRAGMA foreign_keys = OFF"));
    absl::StatusOr<bool> applied = ApplyLocked(revision, statements, upgrade, foreign_keys_off);
    if (session_.in_transaction()) session_.Rollback().IgnoreError();
    if (foreign_keys_off) {
      absl::Status restored = session_.ExecuteScript("PRAGMA foreign_keys = ON");
      if (applied.ok() && !restored.ok()) return restored;
    }
    return applied;
  }

  const std::vector<std::string>& script() const { return script_; }

 private:
  absl::StatusOr<bool> ApplyLocked(const Revision& revision,
                                   const std::vector<std::string>& statements, bool upgrade,
                                   bool foreign_keys_off) {
    const bool sqlite = !IsPostgres(session_);
    if (revision.transactional) {
      // SQLite: take the write lock now, so that a concurrent run waits
      // here and then sees this revision recorded.
      DUO_RETURN_IF_ERROR(sqlite ? session_.ExecuteScript("BEGIN IMMEDIATE") : session_.Begin());
      DUO_ASSIGN_OR_RETURN(std::vector<AppliedRevision> applied, ReadApplied(session_));
      const bool is_applied =
          std::any_of(applied.begin(), applied.end(),
                      [&](const AppliedRevision& a) { return a.id == revision.id; });
      if (is_applied != !upgrade) {
        DUO_RETURN_IF_ERROR(session_.Rollback());
        return false;
      }
    }
    for (size_t i = 0; i < statements.size(); ++i) {
      absl::Status status = session_.ExecuteScript(statements[i]);
      if (!status.ok()) {
        // Aborted, whatever the database said: the revision did not happen.
        return absl::AbortedError(absl::StrCat(
            "revision ", Describe(revision), ": statement ", i + 1, " of ", statements.size(),
            " failed: ", status.message(), "\n  statement: ", Truncated(statements[i]),
            revision.transactional ? "\n  the revision was rolled back; the version "
                                     "is unchanged"
                                   : ""));
      }
    }
    if (foreign_keys_off) {
      DUO_ASSIGN_OR_RETURN(Result violations,
                           session_.Execute(sql::Text("SELECT \"table\", rowid, parent "
                                                      "FROM pragma_foreign_key_check")));
      if (!violations.empty()) {
        DUO_ASSIGN_OR_RETURN(std::string table, violations.Get<std::string>(0, 0));
        DUO_ASSIGN_OR_RETURN(std::string parent, violations.Get<std::string>(0, 2));
        return absl::AbortedError(
            absl::StrCat("revision ", Describe(revision), " leaves ", violations.size(),
                         " rows violating foreign keys (first: table \"", table,
                         "\" referencing \"", parent, "\"); the revision was rolled back"));
      }
    }
    // Statements have run by now: whatever fails from here is a failure
    // of the run (exit 4), never a refusal before anything ran (exit 3),
    // whatever code the database gave it.
    absl::Status recorded = session_.Execute(VersionUpdate(revision, upgrade)).status();
    if (recorded.ok() && revision.transactional) recorded = session_.Commit();
    if (!recorded.ok()) {
      return absl::AbortedError(absl::StrCat(
          "revision ", Describe(revision), ": recording it in ", kVersionTable,
          " failed: ", recorded.message(),
          revision.transactional ? "\n  the revision was rolled back; the version is unchanged"
                                 : "\n  its statements ran (it is not transactional)"));
    }
    return true;
  }

  // The script does what Apply() does online, statement for statement:
  // SQLite's foreign keys off around a revision that rebuilds tables (set
  // before BEGIN, where the pragma takes effect), the write lock taken at
  // BEGIN, and PRAGMA foreign_key_check before COMMIT, failing the script
  // (so that a client stopping at the first error never commits) when rows
  // violate a foreign key.
  void AppendScript(const Revision& revision, const std::vector<std::string>& statements,
                    bool upgrade) {
    const bool sqlite = !IsPostgres(session_);
    const bool foreign_keys_off = sqlite && revision.sqlite_foreign_keys_off;
    script_.push_back(absl::StrCat("-- ", upgrade ? "upgrade to " : "downgrade from ", revision.id,
                                   ": ", revision.message));
    for (const std::string& reason :
         upgrade ? revision.destructive_up : revision.destructive_down) {
      script_.push_back(absl::StrCat("-- loses data: ", reason));
    }
    if (foreign_keys_off) script_.push_back("PRAGMA foreign_keys = OFF;");
    if (revision.transactional) script_.push_back(sqlite ? "BEGIN IMMEDIATE;" : "BEGIN;");
    for (const std::string& statement : statements) script_.push_back(statement + ";");
    if (foreign_keys_off) {
      for (const std::string& statement : SqliteFailUnlessZero(
               absl::StrCat("revision ", revision.id, " leaves rows violating foreign keys"),
               "SELECT count(*) FROM pragma_foreign_key_check")) {
        script_.push_back(statement + ";");
      }
    }
    absl::StatusOr<dialect::CompiledStatement> compiled =
        session_.dialect().Compile(VersionUpdate(revision, upgrade));
    if (compiled.ok()) script_.push_back(session_.dialect().DebugSql(*compiled) + ";");
    if (revision.transactional) script_.push_back("COMMIT;");
    if (foreign_keys_off) script_.push_back("PRAGMA foreign_keys = ON;");
  }

  Session& session_;
  const RunOptions& options_;
  std::vector<std::string> script_;
};

// Holds the run's lock for the lifetime of a run, so that concurrent runs
// apply each revision exactly once: every run reads the version table
// after taking it. PostgreSQL: a session advisory lock. SQLite: an
// exclusive flock() on "<database file>-duo-migrate.lock" beside the
// database; SQLite's own write lock cannot be held across a run, since the
// revisions need it, and a non-transactional revision runs with no
// transaction at all. The kernel releases a flock() when its process dies,
// so a killed run never leaves the lock behind. A private in-memory
// database needs no lock: no other run can see it.
class RunLock {
 public:
  static absl::StatusOr<RunLock> Acquire(Session& session) {
    if (!IsPostgres(session)) return AcquireFile(session);
    // A duo-migrate killed mid-revision (a deploy job's timeout) must not
    // leave its backend running the statement it was in, holding this lock
    // and the revision's table locks, until that statement ends on its own:
    // the next run would wait for it. PostgreSQL 14+ can check every second
    // that the client is still there and abort the query (rolling the
    // revision back) when it is not. Older servers lack the setting and
    // keep their behaviour, so a failure here is ignored.
    session.Execute(sql::Text("SELECT set_config('client_connection_check_interval', '1s', false)"))
        .IgnoreError();
    DUO_RETURN_IF_ERROR(
        session
            .Execute(
                sql::Text("SELECT 1 FROM pg_advisory_lock(:key)").Bind("key", kAdvisoryLockKey))
            .status());
    return RunLock(&session, -1);
  }
  RunLock(RunLock&& other) noexcept
      : session_(std::exchange(other.session_, nullptr)), fd_(std::exchange(other.fd_, -1)) {}
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock() {
    if (fd_ >= 0) close(fd_);  // releases the flock()
    if (session_ != nullptr) {
      session_->Execute(sql::Text("SELECT pg_advisory_unlock(:key)").Bind("key", kAdvisoryLockKey))
          .IgnoreError();
      // The session's connection returns to the application's pool.
      session_->Execute(sql::Text("RESET client_connection_check_interval")).IgnoreError();
    }
  }

 private:
  RunLock(Session* session, int fd) : session_(session), fd_(fd) {}

  static absl::StatusOr<RunLock> AcquireFile(Session& session) {
    // The file SQLite opened, resolved as SQLite resolved it; empty for an
    // in-memory or temporary database.
    DUO_ASSIGN_OR_RETURN(
        Result files,
        session.Execute(sql::Text("SELECT file FROM pragma_database_list WHERE name = 'main'")));
    DUO_ASSIGN_OR_RETURN(std::optional<std::string> file,
                         files.Get<std::optional<std::string>>(0, 0));
    if (!file.has_value() || file->empty()) return RunLock(nullptr, -1);
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
    return RunLock(nullptr, fd);
  }

  Session* session_;
  int fd_;
};

// The lines a --sql script starts and ends with, around its revisions.
// The script only stays all-or-nothing per revision if its client stops at
// the first error: SQLite's shell and psql go on by default, and would
// COMMIT what came before the failing statement.
std::vector<std::string> ScriptStart(const Session& session) {
  if (!IsPostgres(session)) {
    return {
        "-- duo-migrate script: run it with `sqlite3 -bail DATABASE < FILE` (or a client that "
        "stops at the first error)"};
  }
  return {
      "-- duo-migrate script: run it with `psql -v ON_ERROR_STOP=1 -f FILE` (or a client "
      "that stops at the first error)",
      absl::StrCat("SELECT pg_advisory_lock(", kAdvisoryLockKey, ");")};
}

std::vector<std::string> ScriptEnd(const Session& session) {
  if (!IsPostgres(session)) return {};
  return {absl::StrCat("SELECT pg_advisory_unlock(", kAdvisoryLockKey, ");")};
}

absl::Status CheckDialect(const Session& session, const std::vector<Revision>& revisions) {
  for (const Revision& revision : revisions) {
    if (revision.dialect != session.dialect().name()) {
      return absl::FailedPreconditionError(
          absl::StrCat("revision ", Describe(revision), " is written for ", revision.dialect,
                       " but the database is ", session.dialect().name()));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDestructive(const std::vector<Revision>& revisions, bool upgrade,
                              const RunOptions& options) {
  if (options.allow_destructive) return absl::OkStatus();
  std::vector<std::string> lines;
  for (const Revision& revision : revisions) {
    for (const std::string& reason :
         upgrade ? revision.destructive_up : revision.destructive_down) {
      lines.push_back(absl::StrCat("  ", revision.id, ": ", reason));
    }
  }
  if (lines.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("nothing was run: these steps lose data and need --allow-destructive:\n",
                   absl::StrJoin(lines, "\n")));
}

}  // namespace

Migrator::Migrator(Database database, std::string directory)
    : database_(std::move(database)), directory_(std::move(directory)) {}

absl::StatusOr<std::vector<Revision>> Migrator::Revisions() const {
  DUO_ASSIGN_OR_RETURN(std::vector<Revision> revisions, LoadRevisions(directory_));
  return OrderRevisions(std::move(revisions));
}

absl::StatusOr<std::vector<AppliedRevision>> Migrator::Applied() const {
  DUO_ASSIGN_OR_RETURN(Session session, database_.StandaloneSession());
  return ReadApplied(session);
}

absl::StatusOr<std::optional<std::string>> Migrator::Current() const {
  DUO_ASSIGN_OR_RETURN(std::vector<AppliedRevision> applied, Applied());
  if (applied.empty()) return std::optional<std::string>();
  return std::optional<std::string>(applied.back().id);
}

absl::StatusOr<std::vector<Revision>> Migrator::Pending() const {
  DUO_ASSIGN_OR_RETURN(std::vector<Revision> revisions, Revisions());
  DUO_ASSIGN_OR_RETURN(std::vector<AppliedRevision> applied, Applied());
  DUO_ASSIGN_OR_RETURN(size_t done, VerifyApplied(revisions, applied));
  return std::vector<Revision>(revisions.begin() + done, revisions.end());
}

absl::StatusOr<RunReport> Migrator::Upgrade(const std::string& target, const RunOptions& options) {
  DUO_ASSIGN_OR_RETURN(std::vector<Revision> revisions, Revisions());
  size_t end = revisions.size();
  if (target != "head" && !target.empty()) {
    auto it = std::find_if(revisions.begin(), revisions.end(),
                           [&](const Revision& r) { return r.id == target; });
    if (it == revisions.end()) {
      return absl::InvalidArgumentError(absl::StrCat("no revision '", target, "' in ", directory_));
    }
    end = it - revisions.begin() + 1;
  }
  DUO_ASSIGN_OR_RETURN(Session session, database_.StandaloneSession());
  DUO_RETURN_IF_ERROR(CheckDialect(session, revisions));
  DUO_ASSIGN_OR_RETURN(RunLock lock, RunLock::Acquire(session));
  if (!options.sql_only) DUO_RETURN_IF_ERROR(CreateVersionTable(session));
  DUO_ASSIGN_OR_RETURN(std::vector<AppliedRevision> applied, ReadApplied(session));
  DUO_ASSIGN_OR_RETURN(size_t done, VerifyApplied(revisions, applied));
  std::vector<Revision> pending(revisions.begin() + std::min(done, end), revisions.begin() + end);
  // --sql only prints: the script lists what loses data instead.
  if (!options.sql_only) DUO_RETURN_IF_ERROR(CheckDestructive(pending, /*upgrade=*/true, options));

  RunReport report;
  Run run(session, options);
  if (options.sql_only && !pending.empty()) {
    report.sql = ScriptStart(session);
    DUO_ASSIGN_OR_RETURN(std::vector<std::string> create,
                         dialect::CreateTableStatements(session.dialect(), VersionTableDef(),
                                                        {.if_not_exists = true}));
    for (const std::string& statement : create) report.sql.push_back(statement + ";");
  }
  for (const Revision& revision : pending) {
    const absl::Time start = absl::Now();
    DUO_ASSIGN_OR_RETURN(bool ran, run.Apply(revision, revision.up, /*upgrade=*/true));
    if (!ran) {
      run.Log(absl::StrCat("skipped ", revision.id, " (applied meanwhile by another run)"));
      continue;
    }
    report.revisions.push_back(revision.id);
    if (!options.sql_only) {
      run.Log(absl::StrCat("applied ", revision.id, " ", revision.message, " (", revision.up.size(),
                           " statements, ", Milliseconds(absl::Now() - start), ")"));
    }
  }
  report.sql.insert(report.sql.end(), run.script().begin(), run.script().end());
  if (options.sql_only && !pending.empty()) {
    for (std::string& line : ScriptEnd(session)) report.sql.push_back(std::move(line));
  }
  return report;
}

absl::StatusOr<RunReport> Migrator::Downgrade(const std::string& target,
                                              const RunOptions& options) {
  DUO_ASSIGN_OR_RETURN(std::vector<Revision> revisions, Revisions());
  DUO_ASSIGN_OR_RETURN(Session session, database_.StandaloneSession());
  DUO_RETURN_IF_ERROR(CheckDialect(session, revisions));
  DUO_ASSIGN_OR_RETURN(RunLock lock, RunLock::Acquire(session));
  DUO_ASSIGN_OR_RETURN(std::vector<AppliedRevision> applied, ReadApplied(session));
  DUO_ASSIGN_OR_RETURN(size_t done, VerifyApplied(revisions, applied));
  size_t keep = done == 0 ? 0 : done - 1;  // one step
  if (target == "base") {
    keep = 0;
  } else if (!target.empty()) {
    auto it = std::find_if(revisions.begin(), revisions.begin() + done,
                           [&](const Revision& r) { return r.id == target; });
    if (it == revisions.begin() + done) {
      return absl::InvalidArgumentError(
          absl::StrCat("revision '", target, "' is not applied; nothing to downgrade to"));
    }
    keep = it - revisions.begin() + 1;
  }
  std::vector<Revision> reverting(revisions.rbegin() + (revisions.size() - done),
                                  revisions.rbegin() + (revisions.size() - keep));
  for (const Revision& revision : reverting) {
    if (revision.down.empty() && !revision.up.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("revision ", Describe(revision), " has no down step; nothing was reverted"));
    }
  }
  if (!options.sql_only) {
    DUO_RETURN_IF_ERROR(CheckDestructive(reverting, /*upgrade=*/false, options));
  }

  RunReport report;
  Run run(session, options);
  for (const Revision& revision : reverting) {
    const absl::Time start = absl::Now();
    DUO_ASSIGN_OR_RETURN(bool ran, run.Apply(revision, revision.down, /*upgrade=*/false));
    if (!ran) continue;
    report.revisions.push_back(revision.id);
    if (!options.sql_only) {
      run.Log(absl::StrCat("reverted ", revision.id, " ", revision.message, " (",
                           revision.down.size(), " statements, ", Milliseconds(absl::Now() - start),
                           ")"));
    }
  }
  if (options.sql_only && !reverting.empty()) {
    report.sql = ScriptStart(session);
    report.sql.insert(report.sql.end(), run.script().begin(), run.script().end());
    for (std::string& line : ScriptEnd(session)) report.sql.push_back(std::move(line));
  }
  return report;
}

absl::Status Migrator::Stamp(const std::string& target) {
  DUO_ASSIGN_OR_RETURN(std::vector<Revision> revisions, Revisions());
  size_t count = 0;
  if (target == "head") {
    count = revisions.size();
  } else if (target != "base") {
    auto it = std::find_if(revisions.begin(), revisions.end(),
                           [&](const Revision& r) { return r.id == target; });
    if (it == revisions.end()) {
      return absl::InvalidArgumentError(absl::StrCat("no revision '", target, "' in ", directory_));
    }
    count = it - revisions.begin() + 1;
  }
  DUO_ASSIGN_OR_RETURN(Session session, database_.StandaloneSession());
  DUO_ASSIGN_OR_RETURN(RunLock lock, RunLock::Acquire(session));
  DUO_RETURN_IF_ERROR(CreateVersionTable(session));
  DUO_RETURN_IF_ERROR(session.Begin());
  const sql::Table& table = VersionTable();
  DUO_RETURN_IF_ERROR(
      session.Execute(sql::Delete(table).Where(sql::Param(sql::Value(true)))).status());
  for (size_t i = 0; i < count; ++i) {
    DUO_RETURN_IF_ERROR(session.Execute(VersionUpdate(revisions[i], /*applied=*/true)).status());
  }
  return session.Commit();
}

}  // namespace duo::migrate
