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
#include "duo/sql/functions.h"
#include "duo/sql/select.h"
#include "duo/sql/text.h"
#include "migrate/autogenerate.h"
#include "migrate/impl.h"
#include "migrate/internal/sha256.h"

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

// The progress of a revision running where DDL is not transactional: one
// row while it runs, gone once it is recorded (runner.h).
sql::TableDef ProgressTableDef() {
  sql::TableDef table(kProgressTable);
  table
      .AddColumn({.name = "revision",
                  .type = sql::SqlType::Varchar(32),
                  .nullable = false,
                  .primary_key = true})
      // "upgrade" or "downgrade".
      .AddColumn({.name = "direction", .type = sql::SqlType::Varchar(10), .nullable = false})
      .AddColumn({.name = "statements", .type = sql::SqlType::BigInt(), .nullable = false})
      // Statements started and completed: started > completed while one
      // runs, and after a run killed in it.
      .AddColumn({.name = "started", .type = sql::SqlType::BigInt(), .nullable = false})
      .AddColumn({.name = "completed", .type = sql::SqlType::BigInt(), .nullable = false})
      // SHA-256 of the completed statements, so that a resumed run knows
      // they are the ones in the file.
      .AddColumn(
          {.name = "completed_checksum", .type = sql::SqlType::Varchar(80), .nullable = false})
      .AddColumn({.name = "updated_at", .type = sql::SqlType::Timestamp(), .nullable = false});
  return table;
}

const sql::Table& ProgressTable() {
  static const sql::Table* const table = new sql::Table(ProgressTableDef());
  return *table;
}

struct Progress {
  std::string revision;
  bool upgrade = true;
  int64_t statements = 0;
  int64_t started = 0;
  int64_t completed = 0;
  std::string completed_checksum;
};

// The checksum of the first `count` statements, each ended by a NUL (no
// statement holds one), so that moving text between statements counts.
std::string StatementsChecksum(const std::vector<std::string>& statements, size_t count) {
  std::string joined;
  for (size_t i = 0; i < count && i < statements.size(); ++i) {
    absl::StrAppend(&joined, statements[i], std::string(1, '\0'));
  }
  return migrate_internal::Sha256Hex(joined);
}

// A revision's transaction takes the database-wide write lock at BEGIN
// where there is one (SQLite's BEGIN IMMEDIATE), so that a concurrent run
// waits there and then sees the revision recorded.
constexpr TransactionOptions kRevisionTransaction{.sqlite_locking = SqliteLocking::kImmediate};
constexpr dialect::TransactionSpec kRevisionSpec{.lock_at_begin = true};

std::string Describe(const Revision& revision) {
  return absl::StrCat(revision.id, " (", revision.path, ")");
}

// Records `revision` as applied (or no longer applied), at `applied_at`
// (now, by default).
sql::Statement VersionUpdate(const Revision& revision, bool applied,
                             sql::Expr applied_at = sql::Expr()) {
  if (applied_at.empty()) applied_at = sql::Param(sql::Value(absl::Now()));
  const sql::Table& table = VersionTable();
  if (!applied) return sql::Delete(table).Where(table.C("revision") == revision.id);
  return sql::Insert(table)
      .Columns({"revision", "parent", "message", "checksum", "applied_at"})
      .AddRow({sql::Param(sql::Value(revision.id)),
               sql::Param(revision.parent.empty() ? sql::Value() : sql::Value(revision.parent)),
               sql::Param(sql::Value(revision.message)), sql::Param(sql::Value(revision.checksum)),
               applied_at});
}

// The version table, and where DDL is not transactional the progress
// table.
absl::Status CreateVersionTable(Session& session) {
  std::vector<sql::TableDef> tables = {VersionTableDef()};
  if (!session.dialect().TransactionalDdl()) tables.push_back(ProgressTableDef());
  for (const sql::TableDef& table : tables) {
    DUO_ASSIGN_OR_RETURN(
        std::vector<std::string> statements,
        dialect::CreateTableStatements(session.dialect(), table, {.if_not_exists = true}));
    for (const std::string& statement : statements) {
      DUO_RETURN_IF_ERROR(session.ExecuteScript(statement));
    }
  }
  return absl::OkStatus();
}

// The revision that stopped part way, if any (never more than one: a run
// goes no further than it).
absl::StatusOr<std::optional<Progress>> ReadProgress(const MigrateImpl& impl, Session& session) {
  if (session.dialect().TransactionalDdl()) return std::optional<Progress>();
  DUO_ASSIGN_OR_RETURN(bool exists, impl.TableExists(session, kProgressTable));
  if (!exists) return std::optional<Progress>();
  const sql::Table& table = ProgressTable();
  DUO_ASSIGN_OR_RETURN(
      Result result,
      session.Execute(
          sql::Select({table.C("revision"), table.C("direction"), table.C("statements"),
                       table.C("started"), table.C("completed"), table.C("completed_checksum")})
              .From(table)));
  if (result.size() == 0) return std::optional<Progress>();
  Progress progress;
  DUO_ASSIGN_OR_RETURN(progress.revision, result.Get<std::string>(0, 0));
  DUO_ASSIGN_OR_RETURN(std::string direction, result.Get<std::string>(0, 1));
  progress.upgrade = direction == "upgrade";
  DUO_ASSIGN_OR_RETURN(progress.statements, result.Get<int64_t>(0, 2));
  DUO_ASSIGN_OR_RETURN(progress.started, result.Get<int64_t>(0, 3));
  DUO_ASSIGN_OR_RETURN(progress.completed, result.Get<int64_t>(0, 4));
  DUO_ASSIGN_OR_RETURN(progress.completed_checksum, result.Get<std::string>(0, 5));
  return std::optional<Progress>(std::move(progress));
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

// What a revision that stopped part way left, in words: which statements
// took effect, which one it stopped at, what to do.
std::string StoppedAt(const Session& session, const Progress& progress, absl::string_view what) {
  const std::string direction = progress.upgrade ? "upgrade" : "downgrade";
  std::string text =
      absl::StrCat("revision ", what, "'s ", direction,
                   " stopped part way: ", session.dialect().name(), " commits DDL as it runs, so ");
  if (progress.completed == 0) {
    absl::StrAppend(&text, "no statement of it completed");
  } else {
    absl::StrAppend(&text, "statements 1 to ", progress.completed, " of ", progress.statements,
                    " took effect");
  }
  if (progress.started > progress.completed) {
    absl::StrAppend(&text, "; statement ", progress.started,
                    " was running when the run ended and may or may not have taken effect "
                    "(check the schema before resuming)");
  } else {
    absl::StrAppend(&text, "; statement ", progress.completed + 1, " failed and did not");
  }
  // An applied revision's file cannot change (its checksum is recorded):
  // a down step is resumed as it is, once the database lets it run.
  absl::StrAppend(
      &text, ". The revision is not recorded as ", progress.upgrade ? "applied" : "reverted", ". ",
      progress.upgrade
          ? absl::StrCat("Fix statement ", progress.completed + 1, " in the file if it is wrong")
          : absl::StrCat("Make statement ", progress.completed + 1,
                         " able to run (the file of an applied revision cannot change)"),
      " and run `duo-migrate ", direction,
      " --resume` to continue from it; or undo what took effect by hand and run `duo-migrate "
      "stamp` with the revision the database is at (which forgets this progress)");
  return text;
}

// Where the first revision to run starts: 0, or after the statements a
// stopped run completed when the user asked to resume it.
absl::StatusOr<size_t> Resumption(const Session& session, const std::optional<Progress>& progress,
                                  const std::vector<Revision>& revisions, bool upgrade,
                                  const RunOptions& options) {
  if (!progress.has_value()) return 0;
  const Revision* revision = nullptr;
  for (const Revision& candidate : revisions) {
    if (candidate.id == progress->revision) revision = &candidate;
  }
  const std::string what = revision != nullptr ? Describe(*revision) : progress->revision;
  if (!options.resume) {
    return absl::FailedPreconditionError(
        absl::StrCat("nothing was run: ", StoppedAt(session, *progress, what)));
  }
  if (progress->upgrade != upgrade || revisions.empty() ||
      revisions.front().id != progress->revision) {
    return absl::FailedPreconditionError(absl::StrCat(
        "nothing was run: --resume continues revision ", what, "'s ",
        progress->upgrade ? "upgrade" : "downgrade", ", which this run would not run first"));
  }
  const std::vector<std::string>& statements = upgrade ? revision->up : revision->down;
  const size_t completed = static_cast<size_t>(progress->completed);
  if (completed > statements.size() ||
      StatementsChecksum(statements, completed) != progress->completed_checksum) {
    return absl::FailedPreconditionError(absl::StrCat(
        "nothing was run: statements 1 to ", completed, " of revision ", what,
        " took effect, but the file no longer holds them as they ran; restore them (fix only "
        "the statements after them) before resuming"));
  }
  return completed;
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
  // `start`: the statements before it ran in a run that stopped part way
  // (only where DDL is not transactional, see Resumption).
  absl::StatusOr<bool> Apply(const Revision& revision, const std::vector<std::string>& statements,
                             bool upgrade, size_t start = 0) {
    if (options_.sql_only) {
      AppendScript(revision, statements, upgrade);
      return true;
    }
    // Outside the revision's transaction (SQLite's PRAGMA foreign_keys is
    // a no-op inside one).
    for (const std::string& statement : impl_.BeforeRevision(revision)) {
      DUO_RETURN_IF_ERROR(session_.ExecuteScript(statement));
    }
    absl::StatusOr<bool> applied =
        session_.dialect().TransactionalDdl()
            ? ApplyLocked(revision, statements, upgrade)
            : ApplyRecordingProgress(revision, statements, upgrade, start);
    if (session_.in_transaction()) session_.Rollback().IgnoreError();
    for (const std::string& statement : impl_.AfterRevision(revision)) {
      absl::Status restored = session_.ExecuteScript(statement);
      if (applied.ok() && !restored.ok()) return restored;
    }
    return applied;
  }

  const std::vector<std::string>& script() const { return script_; }

 private:
  // Creates the revision's progress row: nothing started.
  absl::Status StartProgress(const Revision& revision, const std::vector<std::string>& statements,
                             bool upgrade) {
    const sql::Table& table = ProgressTable();
    DUO_RETURN_IF_ERROR(
        session_.Execute(sql::Delete(table).Where(table.C("revision") == revision.id)).status());
    return session_
        .Execute(
            sql::Insert(table)
                .Columns({"revision", "direction", "statements", "started", "completed",
                          "completed_checksum", "updated_at"})
                .AddRow({sql::Param(sql::Value(revision.id)),
                         sql::Param(sql::Value(std::string(upgrade ? "upgrade" : "downgrade"))),
                         sql::Param(sql::Value(static_cast<int64_t>(statements.size()))),
                         sql::Param(sql::Value(int64_t{0})), sql::Param(sql::Value(int64_t{0})),
                         sql::Param(sql::Value(StatementsChecksum(statements, 0))),
                         sql::Param(sql::Value(absl::Now()))}))
        .status();
  }

  // Updates the row StartProgress created (or a stopped run left).
  absl::Status SetProgress(const Revision& revision, const std::vector<std::string>& statements,
                           size_t started, size_t completed) {
    const sql::Table& table = ProgressTable();
    return session_
        .Execute(sql::Update(table)
                     .Set("started", sql::Param(sql::Value(static_cast<int64_t>(started))))
                     .Set("completed", sql::Param(sql::Value(static_cast<int64_t>(completed))))
                     .Set("completed_checksum",
                          sql::Param(sql::Value(StatementsChecksum(statements, completed))))
                     .Set("updated_at", sql::Param(sql::Value(absl::Now())))
                     .Where(table.C("revision") == revision.id))
        .status();
  }

  // Where DDL commits as it runs: statement by statement from `start`, the
  // progress row updated around each (runner.h), the revision recorded and
  // its progress row deleted in one transaction at the end.
  absl::StatusOr<bool> ApplyRecordingProgress(const Revision& revision,
                                              const std::vector<std::string>& statements,
                                              bool upgrade, size_t start) {
    DUO_ASSIGN_OR_RETURN(std::vector<AppliedRevision> applied, ReadApplied(impl_, session_));
    const bool is_applied =
        std::any_of(applied.begin(), applied.end(),
                    [&](const AppliedRevision& a) { return a.id == revision.id; });
    if (is_applied != !upgrade) return false;
    if (start == 0) DUO_RETURN_IF_ERROR(StartProgress(revision, statements, upgrade));
    for (size_t i = start; i < statements.size(); ++i) {
      DUO_RETURN_IF_ERROR(SetProgress(revision, statements, i + 1, i));
      absl::Status status = session_.ExecuteScript(statements[i]);
      if (!status.ok()) {
        // The failed statement did not take effect (MariaDB's DDL is atomic;
        // a statement in autocommit rolls back by itself).
        std::string left;
        if (i == 0) {
          // Nothing took effect: nothing to resume.
          const sql::Table& table = ProgressTable();
          session_.Execute(sql::Delete(table).Where(table.C("revision") == revision.id))
              .IgnoreError();
          left = "\n  nothing of it took effect; the version is unchanged";
        } else {
          absl::Status recorded = SetProgress(revision, statements, i, i);
          left =
              absl::StrCat("\n  ",
                           StoppedAt(session_,
                                     Progress{.revision = revision.id,
                                              .upgrade = upgrade,
                                              .statements = static_cast<int64_t>(statements.size()),
                                              .started = static_cast<int64_t>(i),
                                              .completed = static_cast<int64_t>(i)},
                                     Describe(revision)),
                           recorded.ok() ? ""
                                         : absl::StrCat("\n  recording this in ", kProgressTable,
                                                        " failed too: ", recorded.message()));
        }
        return absl::AbortedError(absl::StrCat(
            "revision ", Describe(revision), ": statement ", i + 1, " of ", statements.size(),
            " failed: ", status.message(), "\n  statement: ", Truncated(statements[i]), left));
      }
      DUO_RETURN_IF_ERROR(SetProgress(revision, statements, i + 1, i + 1));
    }
    DUO_ASSIGN_OR_RETURN(const std::string problem, impl_.CheckRevision(session_, revision));
    if (!problem.empty()) {
      return absl::AbortedError(absl::StrCat(
          "revision ", Describe(revision), " ", problem, "; its statements took effect (",
          session_.dialect().name(), " commits DDL as it runs) and it is not recorded"));
    }
    const sql::Table& table = ProgressTable();
    absl::Status recorded = session_.Begin();
    if (recorded.ok()) recorded = session_.Execute(VersionUpdate(revision, upgrade)).status();
    if (recorded.ok()) {
      recorded =
          session_.Execute(sql::Delete(table).Where(table.C("revision") == revision.id)).status();
    }
    if (recorded.ok()) recorded = session_.Commit();
    if (!recorded.ok()) {
      return absl::AbortedError(
          absl::StrCat("revision ", Describe(revision), ": recording it in ", kVersionTable,
                       " failed: ", recorded.message(), "\n  all ", statements.size(),
                       " of its statements took effect; ", kProgressTable, " says so"));
    }
    return true;
  }

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
    // Where DDL commits as it runs, a transaction around it would only
    // pretend; the version row comes after the last statement, which a
    // client stopping at the first error never reaches on a failure.
    const bool transaction = revision.transactional && session_.dialect().TransactionalDdl();
    if (!session_.dialect().TransactionalDdl()) {
      script_.push_back(absl::StrCat("-- ", session_.dialect().name(),
                                     " commits each statement as it runs: a failure leaves the "
                                     "ones before it applied and this revision unrecorded"));
    }
    if (transaction) {
      script_.push_back(session_.dialect().Transaction(kRevisionSpec).begin + ";");
    }
    for (const std::string& statement : statements) script_.push_back(statement + ";");
    for (const std::string& statement : impl_.CheckRevisionScript(revision)) {
      script_.push_back(statement + ";");
    }
    // Applied when the script runs, not when it was printed; and the
    // database spells its own clock (a timestamp literal in one database's
    // form is refused by another's strict mode).
    absl::StatusOr<dialect::CompiledStatement> compiled =
        session_.dialect().Compile(VersionUpdate(revision, upgrade, sql::CurrentTimestamp()));
    if (compiled.ok()) script_.push_back(session_.dialect().DebugSql(*compiled) + ";");
    if (transaction) script_.push_back("COMMIT;");
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
  size_t resume_at = 0;
  if (!options.sql_only) {
    DUO_RETURN_IF_ERROR(CheckDestructive(pending, /*upgrade=*/true, options));
    DUO_ASSIGN_OR_RETURN(std::optional<Progress> progress, ReadProgress(*impl, session));
    DUO_ASSIGN_OR_RETURN(resume_at,
                         Resumption(session, progress, pending, /*upgrade=*/true, options));
  }

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
    DUO_ASSIGN_OR_RETURN(bool ran, run.Apply(revision, revision.up, /*upgrade=*/true, resume_at));
    resume_at = 0;
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
  size_t resume_at = 0;
  if (!options.sql_only) {
    DUO_RETURN_IF_ERROR(CheckDestructive(reverting, /*upgrade=*/false, options));
    DUO_ASSIGN_OR_RETURN(std::optional<Progress> progress, ReadProgress(*impl, session));
    DUO_ASSIGN_OR_RETURN(resume_at,
                         Resumption(session, progress, reverting, /*upgrade=*/false, options));
  }

  RunReport report;
  Run run(*impl, session, options);
  for (const Revision& revision : reverting) {
    const absl::Time start = absl::Now();
    DUO_ASSIGN_OR_RETURN(bool ran,
                         run.Apply(revision, revision.down, /*upgrade=*/false, resume_at));
    resume_at = 0;
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
  // The user has brought the schema to `target`: a revision that stopped
  // part way is theirs now.
  if (!session.dialect().TransactionalDdl()) {
    const sql::Table& progress = ProgressTable();
    DUO_RETURN_IF_ERROR(
        session.Execute(sql::Delete(progress).Where(sql::Param(sql::Value(true)))).status());
  }
  return session.Commit();
}

}  // namespace duo::migrate
