#include "migrate/cli.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/base/status_macros.h"
#include "duo/model/models.h"
#include "migrate/autogenerate.h"
#include "migrate/revision.h"
#include "migrate/runner.h"

namespace duo::migrate {
namespace {

constexpr char kConfigFile[] = "duo-migrate.cfg";

constexpr char kUsage[] =
    R"(usage: duo-migrate COMMAND [ARGS] [--url URL] [--dir DIR] [--group NAME]

Commands:
  init [--dir DIR]        create the migrations folder and duo-migrate.cfg
  create "MESSAGE"        write a revision: the difference between the models
                          and the database (--empty: a blank one to fill in)
  upgrade [REV|head]      apply pending revisions, up to REV
  downgrade [REV|base]    revert the last revision, or down to REV / base
  history                 list revisions, marking the applied ones
  current                 print the database's revision
  heads                   print the latest revision(s) of the folder
  stamp REV|head|base     record REV as applied without running anything
  check                   exit 1 when the models and the database differ

Common options:
  --url URL               database URL (else duo-migrate.cfg's url, else
                          $DUO_DATABASE_URL)
  --dir DIR               migrations folder (else duo-migrate.cfg's directory)
  --group NAME            the model group to diff (default: default)
  --help                  help for a command

Exit codes: 0 done; 1 check found differences; 2 usage error; 3 refused
before anything ran (destructive steps without --allow-destructive, an
applied file edited, a database behind its revisions, ...); 4 a database or
revision failure (the failing revision was rolled back).
)";

const std::map<std::string, std::string>& CommandHelp() {
  static const auto* const help = new std::map<std::string, std::string>{
      {"init", R"(usage: duo-migrate init [--dir DIR]

Creates the migrations folder (default: migrations) and duo-migrate.cfg in
the current directory, so that later commands need no flags. Set the
database with `url = ...` in the file, --url, or $DUO_DATABASE_URL.
)"},
      {"create", R"(usage: duo-migrate create "MESSAGE" [--empty] [--allow-destructive]
                           [--rename-table OLD=NEW] [--rename-column TABLE.OLD=NEW]

Introspects the database, compares it with the linked models and writes the
difference as a revision file (up and down SQL) for review. The database
must be at the latest revision. Renames are never guessed: a renamed table
or column reads as drop + add unless declared with --rename-*. Revisions
that drop data (tables, columns, narrowing types, SET NOT NULL) are listed
and written only with --allow-destructive.
  --empty    write a revision with no statements, to fill in by hand
)"},
      {"upgrade", R"(usage: duo-migrate upgrade [REV|head] [--sql] [--allow-destructive] [--resume]

Applies pending revisions in order, each in its own transaction with its
version-table row. A failing statement rolls its revision back and is
reported; revisions before it stay applied. Where DDL commits as it runs
(MySQL, MariaDB), a revision runs statement by statement with its progress
recorded: one that stopped part way is reported, naming the statement, and
runs on only with --resume.
  --sql                 print the SQL instead of running it (a script for
                        `sqlite3 -bail` or `psql -v ON_ERROR_STOP=1`; it
                        lists what loses data and needs no
                        --allow-destructive)
  --allow-destructive   run revisions marked as dropping data
  --resume              continue a revision that stopped part way (MySQL,
                        MariaDB) after its last completed statement
)"},
      {"downgrade",
       R"(usage: duo-migrate downgrade [REV|base] [--sql] [--allow-destructive] [--resume]

Reverts the last applied revision, or every revision after REV, or all of
them (base), running their down steps.
  --sql                 print the SQL instead of running it (see upgrade)
  --allow-destructive   needed when a down step drops data (dropping a table
                        or column the revision created)
  --resume              continue a down step that stopped part way (see
                        upgrade)
)"},
      {"history",
       "usage: duo-migrate history\n\nLists revisions base first; "
       "applied ones are marked, the database's current one with (current).\n"},
      {"current",
       "usage: duo-migrate current\n\nPrints the database's current revision, "
       "or base.\n"},
      {"heads",
       "usage: duo-migrate heads\n\nPrints the revisions nothing follows (one, "
       "unless the history branched).\n"},
      {"stamp",
       "usage: duo-migrate stamp REV|head|base\n\nRecords REV as the database's "
       "revision without running any SQL (for a schema created another way).\n"},
      {"check", R"(usage: duo-migrate check

Exits 0 when the database is at the latest revision and matches the models,
1 (listing the differences) otherwise: a gate for CI.
)"},
  };
  return *help;
}

struct Flags {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;
  std::map<std::string, bool> switches;

  std::optional<std::string> Value(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  }
  bool Switch(const std::string& name) const { return switches.count(name) != 0; }
};

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args) {
  static const auto* const kValueFlags = new std::vector<std::string>{
      "url", "dir", "group", "config", "rename-table", "rename-column"};
  static const auto* const kSwitches =
      new std::vector<std::string>{"help", "sql", "allow-destructive", "empty", "resume"};
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      flags.switches["help"] = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      if (flags.command.empty()) {
        flags.command = arg;
      } else {
        flags.positional.push_back(arg);
      }
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (std::find(kSwitches->begin(), kSwitches->end(), name) != kSwitches->end()) {
      if (value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      flags.switches[name] = true;
    } else if (std::find(kValueFlags->begin(), kValueFlags->end(), name) != kValueFlags->end()) {
      if (!value.has_value()) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
        }
        value = args[++i];
      }
      flags.values[name].push_back(*value);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", name));
    }
  }
  return flags;
}

// duo-migrate.cfg: `key = value` lines, # comments.
absl::StatusOr<std::map<std::string, std::string>> ReadConfig(const std::string& path) {
  std::map<std::string, std::string> config;
  std::ifstream file(path);
  if (!file) return config;
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(text, absl::MaxSplits('=', 1));
    const std::string key(absl::StripAsciiWhitespace(kv.first));
    if (key != "directory" && key != "url" && key != "group") {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": unknown setting '", key,
                                                     "' (known: directory, url, group)"));
    }
    config[key] = std::string(absl::StripAsciiWhitespace(kv.second));
  }
  return config;
}

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kAlreadyExists:
      return kExitRefused;
    default:
      return kExitFailed;
  }
}

std::string RevisionLabel(const Revision& revision) {
  return absl::StrCat(revision.id, "  ", revision.message);
}

class Cli {
 public:
  Cli(Flags flags, std::map<std::string, std::string> config, std::ostream& out)
      : flags_(std::move(flags)), config_(std::move(config)), out_(out) {}

  absl::Status Dispatch() {
    const std::string& command = flags_.command;
    if (command == "init") return Init();
    if (command == "create") return Create();
    if (command == "upgrade") return Upgrade();
    if (command == "downgrade") return Downgrade();
    if (command == "history") return History();
    if (command == "current") return Current();
    if (command == "heads") return HeadsCommand();
    if (command == "stamp") return StampCommand();
    if (command == "check") return Check();
    return absl::InternalError("unreachable");
  }

  bool differences() const { return differences_; }

 private:
  std::string Directory() const {
    if (auto dir = flags_.Value("dir")) return *dir;
    auto it = config_.find("directory");
    return it != config_.end() ? it->second : "migrations";
  }

  absl::StatusOr<Database> OpenDatabase() const {
    DatabaseOptions options;
    // A concurrent duo-migrate may hold SQLite's write lock for a whole revision.
    options.sqlite_busy_timeout = absl::Minutes(2);
    options.application_name = "duo-migrate";
    if (auto url = flags_.Value("url")) return Database::Open(*url, options);
    if (auto it = config_.find("url"); it != config_.end() && !it->second.empty()) {
      return Database::Open(it->second, options);
    }
    if (std::getenv("DUO_DATABASE_URL") == nullptr) {
      return absl::InvalidArgumentError(
          "no database: pass --url, set url in duo-migrate.cfg, or set DUO_DATABASE_URL");
    }
    return Database::FromEnvironment(options);
  }

  absl::StatusOr<std::vector<const ModelMeta*>> ModelsToDiff() const {
    std::string group = flags_.Value("group").value_or("");
    if (group.empty()) {
      auto it = config_.find("group");
      group = it != config_.end() ? it->second : Models::Default().name();
    }
    for (const Models* models : Models::All()) {
      if (models->name() == group) return models->models();
    }
    if (group == Models::Default().name()) return Models::Default().models();
    return absl::InvalidArgumentError(
        absl::StrCat("no model group '", group, "' is linked into this duo-migrate"));
  }

  absl::Status RequireDirectory() const {
    if (!std::filesystem::is_directory(Directory())) {
      return absl::FailedPreconditionError(
          absl::StrCat("no migrations folder '", Directory(), "'; run `duo-migrate init` first"));
    }
    return absl::OkStatus();
  }

  absl::Status Init() {
    const std::string dir = Directory();
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
      return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", error.message()));
    }
    out_ << "migrations folder: " << dir << "\n";
    if (std::filesystem::exists(kConfigFile)) {
      out_ << kConfigFile << " exists; left as it is\n";
      return absl::OkStatus();
    }
    std::ofstream config(kConfigFile);
    config << "# duo-migrate settings; command-line flags override them.\n"
           << "directory = " << dir << "\n"
           << "# url = sqlite:///app.db   (or set DUO_DATABASE_URL; keep passwords out of "
              "files)\n"
           << "# group = default\n";
    if (!config) return absl::InternalError(absl::StrCat("cannot write ", kConfigFile));
    out_ << "wrote " << kConfigFile << "\n";
    return absl::OkStatus();
  }

  absl::StatusOr<DiffOptions> Renames() const {
    DiffOptions options;
    auto values = [&](const std::string& name) {
      auto it = flags_.values.find(name);
      return it == flags_.values.end() ? std::vector<std::string>() : it->second;
    };
    for (const std::string& rename : values("rename-table")) {
      std::vector<std::string> parts = absl::StrSplit(rename, '=');
      if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--rename-table wants OLD=NEW, got '", rename, "'"));
      }
      options.table_renames[parts[0]] = parts[1];
    }
    for (const std::string& rename : values("rename-column")) {
      std::vector<std::string> parts = absl::StrSplit(rename, absl::ByAnyChar(".="));
      if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--rename-column wants TABLE.OLD=NEW, got '", rename, "'"));
      }
      options.column_renames[{parts[0], parts[1]}] = parts[2];
    }
    return options;
  }

  absl::Status Create() {
    if (flags_.positional.size() != 1) {
      return absl::InvalidArgumentError("create needs one message: duo-migrate create \"MESSAGE\"");
    }
    DUO_RETURN_IF_ERROR(RequireDirectory());
    DUO_ASSIGN_OR_RETURN(Database database, OpenDatabase());
    Migrator migrator(database, Directory());
    DUO_ASSIGN_OR_RETURN(std::vector<Revision> pending, migrator.Pending());
    if (!pending.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the database is ", pending.size(),
          " revision(s) behind the migrations folder; run `duo-migrate upgrade` first, so that "
          "the new revision is computed against the schema it will run on"));
    }
    DUO_ASSIGN_OR_RETURN(std::vector<Revision> revisions, migrator.Revisions());
    Revision revision;
    revision.id = NewRevisionId();
    revision.parent = revisions.empty() ? "" : revisions.back().id;
    revision.message = flags_.positional[0];
    revision.dialect = std::string(database.dialect().name());
    revision.created = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
    if (!flags_.Switch("empty")) {
      DUO_ASSIGN_OR_RETURN(std::vector<const ModelMeta*> models, ModelsToDiff());
      DUO_ASSIGN_OR_RETURN(DiffOptions renames, Renames());
      DUO_ASSIGN_OR_RETURN(Autogenerated generated, Autogenerate(database, models, renames));
      if (generated.diff.empty()) {
        out_ << "no changes: the database matches the models; nothing written "
                "(--empty writes a blank revision)\n";
        return absl::OkStatus();
      }
      for (const std::string& line : generated.diff.Describe(database.dialect())) {
        out_ << "  " << line << "\n";
      }
      for (const std::string& warning : generated.plan.warnings) {
        out_ << "warning: " << warning << "\n";
      }
      revision.destructive_up = generated.plan.DestructiveUp();
      revision.destructive_down = generated.plan.DestructiveDown();
      if (!revision.destructive_up.empty() && !flags_.Switch("allow-destructive")) {
        std::string list;
        for (const std::string& reason : revision.destructive_up) {
          absl::StrAppend(&list, "\n  ", reason);
        }
        return absl::FailedPreconditionError(absl::StrCat(
            "nothing written: these changes lose data; pass --allow-destructive to write them, "
            "or declare renames with --rename-table / --rename-column:",
            list));
      }
      revision.up = generated.plan.Up();
      revision.down = generated.plan.Down();
      revision.sqlite_foreign_keys_off = generated.plan.sqlite_foreign_keys_off;
    }
    DUO_ASSIGN_OR_RETURN(std::string path, WriteRevisionFile(Directory(), revision));
    out_ << "wrote " << path << " (" << revision.up.size() << " statements up, "
         << revision.down.size() << " down); review it, then run `duo-migrate upgrade`\n";
    return absl::OkStatus();
  }

  RunOptions Options() const {
    RunOptions options;
    options.allow_destructive = flags_.Switch("allow-destructive");
    options.sql_only = flags_.Switch("sql");
    options.resume = flags_.Switch("resume");
    options.log = [this](const std::string& line) { out_ << line << "\n"; };
    return options;
  }

  absl::Status PrintReport(const RunReport& report, absl::string_view done) {
    if (flags_.Switch("sql")) {
      for (const std::string& line : report.sql) out_ << line << "\n";
      return absl::OkStatus();
    }
    if (report.revisions.empty()) out_ << "nothing to do: " << done << "\n";
    return absl::OkStatus();
  }

  absl::Status Upgrade() {
    if (flags_.positional.size() > 1) return absl::InvalidArgumentError("upgrade takes one REV");
    DUO_RETURN_IF_ERROR(RequireDirectory());
    DUO_ASSIGN_OR_RETURN(Database database, OpenDatabase());
    const absl::Time start = absl::Now();
    DUO_ASSIGN_OR_RETURN(
        RunReport report,
        Migrator(database, Directory())
            .Upgrade(flags_.positional.empty() ? "head" : flags_.positional[0], Options()));
    if (!report.revisions.empty() && !flags_.Switch("sql")) {
      out_ << "upgraded " << report.revisions.size() << " revision(s) in "
           << absl::ToInt64Milliseconds(absl::Now() - start) << " ms\n";
    }
    return PrintReport(report, "the database is at the requested revision");
  }

  absl::Status Downgrade() {
    if (flags_.positional.size() > 1) return absl::InvalidArgumentError("downgrade takes one REV");
    DUO_RETURN_IF_ERROR(RequireDirectory());
    DUO_ASSIGN_OR_RETURN(Database database, OpenDatabase());
    DUO_ASSIGN_OR_RETURN(
        RunReport report,
        Migrator(database, Directory())
            .Downgrade(flags_.positional.empty() ? "" : flags_.positional[0], Options()));
    return PrintReport(report, "no applied revision to revert");
  }

  absl::Status History() {
    DUO_RETURN_IF_ERROR(RequireDirectory());
    DUO_ASSIGN_OR_RETURN(Database database, OpenDatabase());
    Migrator migrator(database, Directory());
    DUO_ASSIGN_OR_RETURN(std::vector<Revision> revisions, migrator.Revisions());
    DUO_ASSIGN_OR_RETURN(std::vector<AppliedRevision> applied, migrator.Applied());
    if (revisions.empty()) out_ << "no revisions in " << Directory() << "\n";
    for (size_t i = 0; i < revisions.size(); ++i) {
      const bool is_applied = i < applied.size() && applied[i].id == revisions[i].id;
      const bool current = is_applied && i + 1 == applied.size();
      out_ << (is_applied ? "[x] " : "[ ] ") << RevisionLabel(revisions[i])
           << (current ? "  (current)" : "") << "\n";
    }
    return absl::OkStatus();
  }

  absl::Status Current() {
    DUO_ASSIGN_OR_RETURN(Database database, OpenDatabase());
    DUO_ASSIGN_OR_RETURN(std::vector<AppliedRevision> applied,
                         Migrator(database, Directory()).Applied());
    if (applied.empty()) {
      out_ << "base\n";
    } else {
      out_ << applied.back().id << "  " << applied.back().message << "\n";
    }
    return absl::OkStatus();
  }

  absl::Status HeadsCommand() {
    DUO_RETURN_IF_ERROR(RequireDirectory());
    DUO_ASSIGN_OR_RETURN(std::vector<Revision> revisions, LoadRevisions(Directory()));
    for (const std::string& head : Heads(revisions)) out_ << head << "\n";
    return absl::OkStatus();
  }

  absl::Status StampCommand() {
    if (flags_.positional.size() != 1) {
      return absl::InvalidArgumentError("stamp needs one REV (an id, head or base)");
    }
    DUO_RETURN_IF_ERROR(RequireDirectory());
    DUO_ASSIGN_OR_RETURN(Database database, OpenDatabase());
    DUO_RETURN_IF_ERROR(Migrator(database, Directory()).Stamp(flags_.positional[0]));
    out_ << "stamped " << flags_.positional[0] << "\n";
    return absl::OkStatus();
  }

  absl::Status Check() {
    DUO_RETURN_IF_ERROR(RequireDirectory());
    DUO_ASSIGN_OR_RETURN(Database database, OpenDatabase());
    DUO_ASSIGN_OR_RETURN(std::vector<Revision> pending, Migrator(database, Directory()).Pending());
    for (const Revision& revision : pending) {
      out_ << "pending revision " << RevisionLabel(revision) << "\n";
    }
    DUO_ASSIGN_OR_RETURN(std::vector<const ModelMeta*> models, ModelsToDiff());
    DUO_ASSIGN_OR_RETURN(Autogenerated generated, Autogenerate(database, models));
    for (const std::string& line : generated.diff.Describe(database.dialect())) {
      out_ << "  " << line << "\n";
    }
    differences_ = !pending.empty() || !generated.diff.empty();
    if (!differences_) out_ << "the database is up to date and matches the models\n";
    return absl::OkStatus();
  }

  Flags flags_;
  std::map<std::string, std::string> config_;
  std::ostream& out_;
  bool differences_ = false;
};

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Flags> flags = ParseFlags(args);
  if (!flags.ok()) {
    err << "duo-migrate: " << flags.status().message() << "\n\n" << kUsage;
    return kExitUsage;
  }
  const auto& help = CommandHelp();
  if (flags->command.empty() || flags->command == "help") {
    (flags->Switch("help") || flags->command == "help" ? out : err) << kUsage;
    return flags->Switch("help") || flags->command == "help" ? kExitOk : kExitUsage;
  }
  auto command_help = help.find(flags->command);
  if (command_help == help.end()) {
    err << "duo-migrate: unknown command '" << flags->command << "'\n\n" << kUsage;
    return kExitUsage;
  }
  if (flags->Switch("help")) {
    out << command_help->second;
    return kExitOk;
  }
  static const auto* const kArity = new std::map<std::string, std::pair<size_t, size_t>>{
      {"init", {0, 0}},      {"create", {1, 1}},  {"upgrade", {0, 1}},
      {"downgrade", {0, 1}}, {"history", {0, 0}}, {"current", {0, 0}},
      {"heads", {0, 0}},     {"stamp", {1, 1}},   {"check", {0, 0}},
  };
  const auto [min_args, max_args] = kArity->at(flags->command);
  if (flags->positional.size() < min_args || flags->positional.size() > max_args) {
    err << "duo-migrate " << flags->command << ": wrong number of arguments\n\n"
        << command_help->second;
    return kExitUsage;
  }
  const std::string command = flags->command;
  absl::StatusOr<std::map<std::string, std::string>> config =
      ReadConfig(flags->Value("config").value_or(kConfigFile));
  if (!config.ok()) {
    err << "duo-migrate: " << config.status().message() << "\n";
    return kExitUsage;
  }
  Cli cli(*std::move(flags), *std::move(config), out);
  absl::Status status = cli.Dispatch();
  if (!status.ok()) {
    err << "duo-migrate " << command << ": " << status.message() << "\n";
    return ExitCodeFor(status);
  }
  return cli.differences() ? kExitDifferences : kExitOk;
}

}  // namespace duo::migrate
