// Applies and reverts revision files, recording them in the database.
//
// The version table (duo_migrations) holds one row per applied revision
// with the checksum of its file, so that a file edited after it ran is
// refused with the file and revision named, instead of silently diverging
// from what the database went through.
//
// Each revision runs in its own transaction (unless its file says
// `transactional: false`), together with the version-table update: a
// failing statement rolls back the revision and leaves the version as it
// was, and the error names the revision, the file and the statement.
//
// Runs started at once apply each revision exactly once, transactional or
// not: each holds a lock for the whole run and reads the version table
// after taking it (MigrateImpl::LockRun, impl.h. PostgreSQL: an advisory
// lock; SQLite: an exclusive flock() on "<database file>-duo-migrate.lock"
// beside the database, which the kernel releases if the process dies).
// Transactional revisions also take the database's write lock at BEGIN
// where it has one (SQLite: BEGIN IMMEDIATE) and re-read the version table.
//
// Where the database commits DDL as it runs it (Dialect::TransactionalDdl
// false: MySQL, MariaDB), a revision cannot roll back. There the runner
// runs its statements one by one and records its progress in
// duo_migrations_progress (kProgressTable) as it goes: which statement it
// started, how many completed, and a checksum of those. The version table
// records the revision, and its progress row goes, in one transaction
// after its last statement, so that a revision is never recorded half
// done. A revision that failed or was killed part way is reported by the
// next run, naming the revision and the statement it stopped at (and
// whether that statement may have taken effect, when the run was killed
// while it ran); nothing runs until the user either resumes it
// (RunOptions::resume: the statements after the completed ones run,
// provided those completed ones are unchanged in the file; an upgrade's
// file may be fixed first, an applied revision's down step cannot change)
// or undoes the completed statements by hand and runs `stamp` (which
// forgets the progress).
//
// With RunOptions::sql_only the runner prints instead: a script that does
// what the run does around each revision (SQLite's foreign keys off around
// rebuilds, PRAGMA foreign_key_check failing the script before COMMIT), for
// a client that stops at the first error.

#ifndef MIGRATE_RUNNER_H_
#define MIGRATE_RUNNER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "duo/session/database.h"
#include "migrate/revision.h"

namespace duo::migrate {

struct AppliedRevision {
  std::string id;
  std::string parent;
  std::string message;
  std::string checksum;
  absl::Time applied_at;
};

struct RunOptions {
  // Revisions whose direction drops data run only with this set (a
  // sql_only run prints them whatever it says, listing what they lose).
  bool allow_destructive = false;
  // Collect the SQL instead of running it (the CLI's --sql).
  bool sql_only = false;
  // Where DDL is not transactional: continue a revision that stopped part
  // way, from the statement after the last one that completed (the CLI's
  // --resume). Without it, such a revision is reported and nothing runs.
  bool resume = false;
  // Progress, one line per revision.
  std::function<void(const std::string&)> log;
};

struct RunReport {
  std::vector<std::string> revisions;  // ids applied or reverted, in order
  std::vector<std::string> sql;        // sql_only: the script
};

class Migrator {
 public:
  // Revisions are read from `directory` on every call, so that a file
  // changed on disk is noticed.
  Migrator(Database database, std::string directory);

  // Rows of the version table in the order applied (empty before the
  // first upgrade).
  absl::StatusOr<std::vector<AppliedRevision>> Applied() const;
  // The revision files, base first.
  absl::StatusOr<std::vector<Revision>> Revisions() const;
  // The last applied revision; nullopt at base.
  absl::StatusOr<std::optional<std::string>> Current() const;
  // Revisions not applied yet, in order.
  absl::StatusOr<std::vector<Revision>> Pending() const;

  // Applies revisions up to `target` ("head", or a revision id).
  absl::StatusOr<RunReport> Upgrade(const std::string& target, const RunOptions& options = {});
  // Reverts down to `target`: a revision id (which stays applied), "base"
  // (everything), or "" for one revision.
  absl::StatusOr<RunReport> Downgrade(const std::string& target, const RunOptions& options = {});
  // Records `target` ("base", "head" or an id) as the current revision
  // without running anything: for a database whose schema is already there.
  absl::Status Stamp(const std::string& target);

 private:
  Database database_;
  std::string directory_;
};

}  // namespace duo::migrate

#endif  // MIGRATE_RUNNER_H_
