// Revision files: how duo-migrate stores one schema change on disk.
//
// A revision is a plain SQL file that a person reviews and commits with the
// code, like Alembic's version scripts but without code to run: the upgrade
// and downgrade are SQL, so what is reviewed is exactly what runs. A header of
// `-- key: value` comments, which the database would ignore anyway, says
// where the revision sits in the history and how to run it:
//
//   -- duo-migrate revision
//   -- id: 3f9a2c1b7d4e
//   -- parent: base
//   -- message: add orders
//   -- dialect: sqlite
//   -- created: 2026-11-25T10:00:00Z
//   -- transactional: true
//   -- sqlite-foreign-keys: off
//   -- destructive-up: drop column "orders"."note"
//   -- destructive-down: drop table "orders"
//
//   -- duo:up
//   CREATE TABLE "orders" (
//     "id" INTEGER PRIMARY KEY
//   );
//
//   -- duo:down
//   DROP TABLE "orders";
//
//   -- duo:end
//
// `parent: base` marks the first revision. `sqlite-foreign-keys` appears only
// when it is off, and each `destructive-*` line is one change that loses
// data, so that a reviewer (and the runner's confirmation prompt) sees them
// without reading the SQL. Blank lines and other comment lines may sit among
// the header lines; an unknown key is an error, since it is most likely a
// misspelt one. A file without `-- duo:down` has no downgrade.
//
// The last line, `-- duo:end` (only blank and comment lines may follow),
// proves the file is whole: a file cut short by a partial write or a bad
// merge lacks it and is refused rather than run in part. The checksum
// covers the file without that line, so that appending it to a file written
// before it existed keeps the checksum recorded when it was applied. An up
// step without statements must say `-- (nothing)`.
//
// Revisions form one linear chain from base to head; OrderRevisions() refuses
// anything else (a branch, typically two developers generating a revision on
// the same head) rather than guessing an order.
//
// Errors name the file (and line), so that the message can go straight to
// the user: InvalidArgument for a malformed file, FailedPrecondition for
// revisions that do not form one chain, and errno's code for I/O failures.
// Revision is a plain value; the functions keep no state and are safe to
// call from several threads.

#ifndef DUO_MIGRATE_REVISION_H_
#define DUO_MIGRATE_REVISION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace duo::migrate {

struct Revision {
  std::string id;       // 12 lowercase hex characters
  std::string parent;   // the parent's id; empty for the first revision
  std::string message;  // one line
  std::string dialect;  // the dialect's name: "sqlite", "postgresql"
  std::string created;  // RFC 3339 UTC; informational only, never used to order
  // false: the runner executes the statements outside a transaction, which
  // some need (PostgreSQL's CREATE INDEX CONCURRENTLY).
  bool transactional = true;
  // SQLite table rebuilds would violate or cascade foreign keys halfway
  // through; the runner turns enforcement off around the revision.
  bool sqlite_foreign_keys_off = false;
  // What each direction destroys, for people: drop column "orders"."note".
  std::vector<std::string> destructive_up;
  std::vector<std::string> destructive_down;
  // SQL statements without their trailing ';'. An empty `down` cannot be
  // downgraded.
  std::vector<std::string> up;
  std::vector<std::string> down;

  // Set by ParseRevision() and the functions that read files.
  std::string path;
  // "sha256:" and 64 hex digits of the file text with CRLF read as LF, so
  // that a checkout's line endings do not make an applied revision look
  // edited.
  std::string checksum;
};

// Returns the text of the revision file for `revision`. Newlines in header
// values become spaces; an empty step is written as `-- (nothing)`.
// ParseRevision() gives back the same fields, provided the values are valid
// (see WriteRevisionFile()).
std::string FormatRevision(const Revision& revision);

// Parses the text of a revision file; `path` is only recorded and used in
// error messages. Accepts CRLF line endings.
absl::StatusOr<Revision> ParseRevision(absl::string_view text, absl::string_view path);

// Reads and parses the revision file at `path`.
absl::StatusOr<Revision> ReadRevisionFile(const std::string& path);

// Writes `revision` to `directory`/<id>_<slug>.sql, where the slug is the
// message in lowercase ASCII letters and digits with every other run of
// characters turned into '_', at most 40 characters (<id>.sql when nothing
// is left). Returns the path. Refuses a revision that would not parse back,
// and never overwrites a file (AlreadyExists).
absl::StatusOr<std::string> WriteRevisionFile(const std::string& directory,
                                              const Revision& revision);

// Reads every *.sql file directly in `directory`, in file-name order. A file
// that does not parse is an error naming it, and so is an id that two files
// share (naming both).
absl::StatusOr<std::vector<Revision>> LoadRevisions(const std::string& directory);

// Returns `revisions` ordered from the first (parent base) to the head.
// FailedPrecondition unless they form one chain: no first revision, several,
// a parent that is missing, two revisions with one parent, or a cycle. The
// messages name the revisions' ids and files and say how to repair them.
absl::StatusOr<std::vector<Revision>> OrderRevisions(std::vector<Revision> revisions);

// Returns the ids of the revisions that no other revision names as parent,
// in the order of `revisions`. One head is a healthy history.
std::vector<std::string> Heads(const std::vector<Revision>& revisions);

// Splits SQL text into statements at each ';' that is outside '...' strings
// ('' escapes a quote; E'...' also takes backslash escapes), "..."
// identifiers, -- and /* */ comments, PostgreSQL dollar quotes ($$...$$,
// $tag$...$tag$) and the BEGIN ... END body of a CREATE TRIGGER, where
// SQLite's trigger statements end in ';', or of a PostgreSQL BEGIN ATOMIC
// function (CASE ... END within the body is matched so that its END does not
// end the body). Statements are trimmed,
// keep their comments, and are dropped when they hold nothing but comments.
std::vector<std::string> SplitStatements(absl::string_view sql);

// Returns a new random revision id: 12 lowercase hex characters (48 bits,
// so two developers practically never collide).
std::string NewRevisionId();

}  // namespace duo::migrate

#endif  // DUO_MIGRATE_REVISION_H_
