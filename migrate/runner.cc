#include "migrate/runner.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
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
#include "migrate/impl.h"

namespace duo::migrate {
namespace {

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

// A revision's transaction takes the database-wide write lock at BEGIN
// where there is one (SQLite's BEGIN IMMEDIATE), so that a concurrent run
// waits there and then sees the revision recorded.
constexpr TransactionOptions kRevisionTransaction{.sqlite_locking = SqliteLocking::kImmediate};
constexpr dialect::TransactionSpec kRevisionSpec{.lock_at_begin = true};

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
absl::StatusOr<std::vector<AppliedRevision>> ReadApplied(const MigrateImpl& impl,
                                                         Session& session) {
  DUO_ASSIGN_OR_RETURN(bool exists, impl.TableExists(session, kVersionTable));
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
  Run(const MigrateImpl& impl, Session& session, const RunOptions& options)
      : impl_(impl), session_(session), options_(options) {}

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
    // Outside the revision's transaction (SQLite's PRAGMA foreign_keys is
    // a no-op inside one).
    for (const std::string& statement : impl_.BeforeRevision(revision)) {
      DUO_RETURN_IF_ERROR(session_.ExecuteScript(statement));
    }
    absl::StatusOr<bool> applied = ApplyLocked(revision, statements, upgrade);
    if (session_.in_transaction()) session_.Rollback().IgnoreError();
    for (const std::string& statement : impl_.AfterRevision(revision)) {
      absl::Status restored = session_.ExecuteScript(statement);
      if (applied.ok() && !restored.ok()) return restored;
    }
    return applied;
  }

  const std::vector<std::string>& script() const { return script_; }

 private:
  absl::StatusOr<bool> ApplyLocked(const Revision& revision,
                                   const std::vector<std::string>& statements, bool upgrade) {
    if (revision.transactional) {
      // A database with one write lock (SQLite) takes it now, so that a
      // concurrent run waits here and then sees this revision recorded.
      DUO_RETURN_IF_ERROR(session_.Begin(kRevisionTransaction));
      DUO_ASSIGN_OR_RETURN(std::vector<AppliedRevision> applied, ReadApplied(impl_, session_));
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
        return absl::AbortedError(
            absl::StrCat("revision ", Describe(revision), ": statement ", i + 1, " of ",
                         statements.size(), " failed: ", status.message(),
                         "\n  statement: ", Truncated(statements[i]), RolledBack(revision, i)));
      }
    }
    DUO_ASSIGN_OR_RETURN(const std::string problem, impl_.CheckRevision(session_, revision));
    if (!problem.empty()) {
      return absl::AbortedError(absl::StrCat("revision ", Describe(revision), " ", problem,
                                             "; the revision was rolled back"));
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

  // What a failing revision leaves: nothing when its transaction rolls
  // back with its DDL; statements before the failing one where the
  // database commits DDL as it runs it, or the revision runs outside a
  // transaction.
  std::string RolledBack(const Revision& revision, size_t failed) const {
    if (!revision.transactional) return "";
    if (session_.dialect().TransactionalDdl() || failed == 0) {
      return "\n  the revision was rolled back; the version is unchanged";
    }
    return absl::StrCat("\n  the revision was rolled back, but ", session_.dialect().name(),
                        " commits DDL as it runs: the ", failed,
                        " statements before this one may have taken effect; the version is "
                        "unchanged");
  }

  // The script does what Apply() does online, statement for statement:
  // what the database runs around a revision (SQLite's foreign keys off
  // around a revision that rebuilds tables, set before BEGIN, where the
  // pragma takes effect), the write lock taken at BEGIN, and the checks
  // before COMMIT (SQLite's PRAGMA foreign_key_check), failing the script
  // (so that a client stopping at the first error never commits).
  void AppendScript(const Revision& revision, const std::vector<std::string>& statements,
                    bool upgrade) {
    script_.push_back(absl::StrCat("-- ", upgrade ? "upgrade to " : "downgrade from ", revision.id,
                                   ": ", revision.message));
    for (const std::string& reason :
         upgrade ? revision.destructive_up : revision.destructive_down) {
      script_.push_back(absl::StrCat("-- loses data: ", reason));
    }
    for (const std::string& statement : impl_.BeforeRevision(revision)) {
      script_.push_back(statement + ";");
    }
    if (revision.transactional) {
      script_.push_back(session_.dialect().Transaction(kRevisionSpec).begin + ";");
    }
    for (const std::string& statement : statements) script_.push_back(statement + ";");
    for (const std::string& statement : impl_.CheckRevisionScript(revision)) {
      script_.push_back(statement + ";");
    }
    absl::StatusOr<dialect::CompiledStatement> compiled =
        session_.dialect().Compile(VersionUpdate(revision, upgrade));
    if (compiled.ok()) script_.push_back(session_.dialect().DebugSql(*compiled) + ";");
    if (revision.transactional) script_.push_back("COMMIT;");
    for (const std::string& statement : impl_.AfterRevision(revision)) {
      script_.push_back(statement + ";");
    }
  }

  const MigrateImpl& impl_;
  Session& session_;
  const RunOptions& options_;
  std::vector<std::string> script_;
};

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
  DUO_ASSIGN_OR_RETURN(const MigrateImpl* impl, ImplFor(database_.dialect()));
  DUO_ASSIGN_OR_RETURN(Session session, database_.StandaloneSession());
  return ReadApplied(*impl, session);
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
  DUO_ASSIGN_OR_RETURN(const MigrateImpl* impl, ImplFor(database_.dialect()));
  DUO_ASSIGN_OR_RETURN(Session session, database_.StandaloneSession());
  DUO_RETURN_IF_ERROR(CheckDialect(session, revisions));
  DUO_ASSIGN_OR_RETURN(std::unique_ptr<RunLock> lock, impl->LockRun(session));
  if (!options.sql_only) DUO_RETURN_IF_ERROR(CreateVersionTable(session));
  DUO_ASSIGN_OR_RETURN(std::vector<AppliedRevision> applied, ReadApplied(*impl, session));
  DUO_ASSIGN_OR_RETURN(size_t done, VerifyApplied(revisions, applied));
  std::vector<Revision> pending(revisions.begin() + std::min(done, end), revisions.begin() + end);
  // --sql only prints: the script lists what loses data instead.
  if (!options.sql_only) DUO_RETURN_IF_ERROR(CheckDestructive(pending, /*upgrade=*/true, options));

  RunReport report;
  Run run(*impl, session, options);
  if (options.sql_only && !pending.empty()) {
    report.sql = impl->ScriptStart();
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
    for (std::string& line : impl->ScriptEnd()) report.sql.push_back(std::move(line));
  }
  return report;
}

absl::StatusOr<RunReport> Migrator::Downgrade(const std::string& target,
                                              const RunOptions& options) {
  DUO_ASSIGN_OR_RETURN(std::vector<Revision> revisions, Revisions());
  DUO_ASSIGN_OR_RETURN(const MigrateImpl* impl, ImplFor(database_.dialect()));
  DUO_ASSIGN_OR_RETURN(Session session, database_.StandaloneSession());
  DUO_RETURN_IF_ERROR(CheckDialect(session, revisions));
  DUO_ASSIGN_OR_RETURN(std::unique_ptr<RunLock> lock, impl->LockRun(session));
  DUO_ASSIGN_OR_RETURN(std::vector<AppliedRevision> applied, ReadApplied(*impl, session));
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
  Run run(*impl, session, options);
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
    report.sql = impl->ScriptStart();
    report.sql.insert(report.sql.end(), run.script().begin(), run.script().end());
    for (std::string& line : impl->ScriptEnd()) report.sql.push_back(std::move(line));
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
  DUO_ASSIGN_OR_RETURN(const MigrateImpl* impl, ImplFor(database_.dialect()));
  DUO_ASSIGN_OR_RETURN(Session session, database_.StandaloneSession());
  DUO_ASSIGN_OR_RETURN(std::unique_ptr<RunLock> lock, impl->LockRun(session));
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
