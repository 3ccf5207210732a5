// The duo-migrate command line, as a library: duo_migrate_binary links it
// with the program's models (see //migrate:defs.bzl).
//
//   duo-migrate init [--dir DIR]
//   duo-migrate create "add orders"        autogenerate a revision
//   duo-migrate upgrade [REV|head]
//   duo-migrate downgrade [REV|base]       one revision by default
//   duo-migrate history | current | heads | stamp REV | check
//
// Every command takes --help. Exit codes are the constants below.

#ifndef MIGRATE_CLI_H_
#define MIGRATE_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace duo::migrate {

inline constexpr int kExitOk = 0;
// `check`: the models and the database differ, or revisions are pending.
inline constexpr int kExitDifferences = 1;
// Unknown command or flag, missing argument.
inline constexpr int kExitUsage = 2;
// Refused before anything ran: destructive steps without
// --allow-destructive, an applied file edited, branched history, a
// database that is behind when creating a revision, a wrong dialect.
inline constexpr int kExitRefused = 3;
// The database or a revision failed (the failing revision was rolled back).
inline constexpr int kExitFailed = 4;

// Runs one command; `args` excludes the program name.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace duo::migrate

#endif  // MIGRATE_CLI_H_
