// duo-migrate on what real schemas hold besides duo's own tables (issue
// 21): types defined outside duo, views, constraint names someone else
// chose, offline scripts run by another client, and conversions that must
// not keep values silently unconverted. Each test runs on the database(s)
// the behaviour concerns.

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/ddl.h"
#include "duo/session/database.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrate/autogenerate.h"
#include "migrate/cli.h"
#include "migrate/diff.h"
#include "migrate/introspect.h"
#include "migrate/plan.h"
#include "migrate/revision.h"
#include "migrate/runner.h"
#include "migrate/testdata/moods.h"
#include "testing/database.h"
#include "testing/status.h"

namespace duo::migrate {
namespace {

using testing::Backend;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class RealSchemaTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("real_schema_", ::testing::UnitTest::GetInstance()->random_seed(), "_",
                        reinterpret_cast<uintptr_t>(this));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    DUO_ASSERT_OK_AND_ASSIGN(db_, Database::Open(database().url()));
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_);
      std::filesystem::remove(dir_.string() + "_script.sql");
      std::filesystem::remove(dir_.string() + "_script.sql.out");
    }
    BackendTest::TearDown();
  }

  bool postgres() const { return backend() == Backend::kPostgres; }
  bool sqlite() const { return backend() == Backend::kSqlite; }
  bool mariadb() const { return backend() == Backend::kMariadb; }
  // `name` quoted as this database's plans quote it.
  std::string Quoted(absl::string_view name) const {
    return dialect::QuoteIdentifier(db_.dialect(), name);
  }

  // Runs the CLI in-process; returns its exit code, keeps its output.
  int Cli(std::vector<std::string> args) {
    args.insert(args.end(), {"--url", database().url(), "--dir", dir_.string()});
    std::ostringstream out, err;
    const int code = RunCli(args, out, err);
    out_ = out.str();
    err_ = err.str();
    return code;
  }

  absl::Status Exec(const std::string& sql) {
    DUO_ASSIGN_OR_RETURN(Session session, db_.StandaloneSession());
    return session.ExecuteScript(sql);
  }

  absl::StatusOr<int64_t> Scalar(const std::string& sql) {
    DUO_ASSIGN_OR_RETURN(Result result, db_.Execute(sql::Text(sql)));
    return result.Scalar<int64_t>();
  }

  // The tables `ddl` creates, as this database stores them: a throwaway
  // in-memory SQLite database, a PostgreSQL schema in a transaction
  // that is rolled back, or another MariaDB database, dropped after.
  absl::StatusOr<std::vector<sql::TableDef>> Target(const std::string& ddl) {
    if (mariadb()) {
      DUO_ASSIGN_OR_RETURN(std::unique_ptr<testing::TestDatabase> target,
                           testing::TestDatabase::NewMariadb());
      DUO_ASSIGN_OR_RETURN(Database scratch, Database::Open(target->url()));
      DUO_ASSIGN_OR_RETURN(Session session, scratch.StandaloneSession());
      DUO_RETURN_IF_ERROR(session.ExecuteScript(ddl));
      DUO_ASSIGN_OR_RETURN(LiveSchema schema, Introspect(session));
      return schema.tables;
    }
    if (sqlite()) {
      DUO_ASSIGN_OR_RETURN(Database scratch, Database::Open("sqlite:///:memory:"));
      DUO_ASSIGN_OR_RETURN(Session session, scratch.StandaloneSession());
      DUO_RETURN_IF_ERROR(session.ExecuteScript(ddl));
      DUO_ASSIGN_OR_RETURN(LiveSchema schema, Introspect(session));
      return schema.tables;
    }
    DUO_ASSIGN_OR_RETURN(Session session, db_.StandaloneSession());
    DUO_RETURN_IF_ERROR(session.Begin());
    auto body = [&]() -> absl::StatusOr<std::vector<sql::TableDef>> {
      DUO_RETURN_IF_ERROR(session.ExecuteScript(
          "CREATE SCHEMA duo_target; SET LOCAL search_path TO duo_target, public"));
      DUO_RETURN_IF_ERROR(session.ExecuteScript(ddl));
      DUO_ASSIGN_OR_RETURN(LiveSchema schema, Introspect(session, {.schema = "duo_target"}));
      return schema.tables;
    };
    absl::StatusOr<std::vector<sql::TableDef>> tables = body();
    session.Rollback().IgnoreError();
    return tables;
  }

  // Writes the revision that takes the database to `target`, as `create`
  // does; returns its plan.
  absl::StatusOr<Plan> Create(const std::string& message, const std::vector<sql::TableDef>& target,
                              const DiffOptions& options = {}) {
    DUO_ASSIGN_OR_RETURN(LiveSchema live, LiveSchemaOf(db_));
    const SchemaDiff diff = Diff(db_.dialect(), live.tables, target, options);
    DUO_ASSIGN_OR_RETURN(Plan plan, PlanMigration(db_.dialect(), diff, live));
    DUO_ASSIGN_OR_RETURN(std::vector<Revision> revisions, Migrator(db_, dir_.string()).Revisions());
    Revision revision{.id = NewRevisionId(),
                      .parent = revisions.empty() ? "" : revisions.back().id,
                      .message = message,
                      .dialect = std::string(db_.dialect().name())};
    revision.up = plan.Up();
    revision.down = plan.Down();
    revision.sqlite_foreign_keys_off = plan.sqlite_foreign_keys_off;
    revision.destructive_up = plan.DestructiveUp();
    revision.destructive_down = plan.DestructiveDown();
    DUO_RETURN_IF_ERROR(WriteRevisionFile(dir_.string(), revision).status());
    return plan;
  }

  absl::Status Upgrade() {
    return Migrator(db_, dir_.string()).Upgrade("head", {.allow_destructive = true}).status();
  }

  // SQLite: runs `script` with the sqlite3 shell as an operator would
  // (-bail: stop at the first error), foreign keys on as an application's
  // connection has them. Returns the shell's exit code.
  int RunSqliteShell(const std::string& script) {
    // Beside the migrations folder, not in it: it is no revision.
    const std::string path = dir_.string() + "_script.sql";
    std::ofstream(path) << script;
    const std::string file = database().url().substr(std::string("sqlite:///").size());
    const std::string command = absl::StrCat("sqlite3 -bail -cmd 'PRAGMA foreign_keys = ON' '",
                                             file, "' < '", path, "' > '", path, ".out' 2>&1");
    const int status = std::system(command.c_str());
    std::ifstream in(path + ".out");
    shell_output_.assign(std::istreambuf_iterator<char>(in), {});
    return WEXITSTATUS(status);
  }

  std::filesystem::path dir_;
  Database db_ = *Database::Open("sqlite:///:memory:");
  std::string out_, err_, shell_output_;
};

// ------------------------------------------------ 1. types outside duo

// A column whose type lives in public (an enum; the citext extension's
// type) resolves in the models' scratch schema as it does for the live
// tables, and the unqualified and qualified spellings are one type.
// Before: `create` failed with `type "mood" does not exist`, and
// `public.mood` read as a change from `mood` forever.
TEST_P(RealSchemaTest, TypesDefinedInPublicResolveAndCompareByIdentity) {
  if (!postgres()) GTEST_SKIP() << "types defined by the user are PostgreSQL's";
  DUO_ASSERT_OK(
      Exec("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); "
           "CREATE EXTENSION IF NOT EXISTS citext"));
  ASSERT_EQ(Cli({"create", "diary", "--group", "moods"}), kExitOk) << err_;
  ASSERT_EQ(Cli({"upgrade"}), kExitOk) << err_;
  DUO_ASSERT_OK(Exec("INSERT INTO diary (mood, author) VALUES ('happy', 'Le Guin')"));
  EXPECT_EQ(*Scalar("SELECT count(*) FROM diary WHERE author = 'LE GUIN'"), 1);  // citext
  EXPECT_FALSE(Exec("INSERT INTO diary (mood) VALUES ('furious')").ok());        // the enum

  EXPECT_EQ(Cli({"check", "--group", "moods"}), kExitOk) << out_ << err_;
  EXPECT_EQ(Cli({"check", "--group", "moods_qualified"}), kExitOk) << out_ << err_;
  // The same type either way, spelled by identity.
  DUO_ASSERT_OK_AND_ASSIGN(Autogenerated generated,
                           Autogenerate(db_, moods::qualified_models.models()));
  EXPECT_THAT(generated.diff.Describe(db_.dialect()), IsEmpty());
  const sql::TableDef* diary = generated.live.FindTable("diary");
  ASSERT_NE(diary, nullptr);
  EXPECT_EQ(diary->FindColumn("mood")->type, sql::SqlType::Custom("public.mood"));
  EXPECT_EQ(diary->FindColumn("author")->type, sql::SqlType::Custom("public.citext"));
}

// Native enum types and uuid columns declared in the models: created with
// the table, labels added in place, a dropped label refused with the
// reason, and a schema made from the models checks clean (the uuid and
// enum columns introspect as the models declare them).
TEST_P(RealSchemaTest, NativeEnumsAndUuidsAreCreatedAlteredAndDiffed) {
  ASSERT_EQ(Cli({"create", "journal", "--group", "native_moods"}), kExitOk) << err_;
  ASSERT_EQ(Cli({"upgrade"}), kExitOk) << err_;
  EXPECT_EQ(Cli({"check", "--group", "native_moods"}), kExitOk) << out_ << err_;
  if (sqlite()) {
    // TEXT and CHAR(32) on SQLite: nothing to alter when labels change.
    EXPECT_EQ(Cli({"check", "--group", "native_moods_more"}), kExitOk) << out_ << err_;
    return;
  }
  if (mariadb()) {
    // The column's own ENUM(...): labels change with the column, in the
    // declared order; a label dropped is a narrowing, which loses data.
    auto column_type = [&]() {
      absl::StatusOr<Result> type = db_.Execute(sql::Text(
          "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
          "AND TABLE_NAME = 'journal' AND COLUMN_NAME = 'feeling'"));
      return type.ok() ? type->Scalar<std::string>().value_or("") : type.status().ToString();
    };
    EXPECT_EQ(column_type(), "enum('sad','ok','happy')");
    DUO_ASSERT_OK(Exec(
        "INSERT INTO journal (id, feeling) VALUES ('a0eebc999c0b4ef8bb6d6bb9bd380a11', 'ok')"));
    EXPECT_EQ(Cli({"check", "--group", "native_moods_more"}), kExitDifferences) << out_ << err_;
    ASSERT_EQ(Cli({"create", "more", "--group", "native_moods_more"}), kExitOk) << err_;
    ASSERT_EQ(Cli({"upgrade"}), kExitOk) << err_;
    EXPECT_EQ(column_type(), "enum('glum','sad','ok','content','happy')");
    EXPECT_EQ(Cli({"check", "--group", "native_moods_more"}), kExitOk) << out_ << err_;
    EXPECT_EQ(Cli({"create", "fewer", "--group", "native_moods_fewer"}), kExitRefused);
    EXPECT_THAT(err_, HasSubstr("change type of `journal`.`feeling`"));
    EXPECT_EQ(*Scalar("SELECT count(*) FROM journal WHERE feeling = 'ok'"), 1);
    return;
  }
  EXPECT_EQ(*Scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = 'journal'::regclass "
                    "AND attname = 'id' AND atttypid = 'uuid'::regtype"),
            1);
  EXPECT_EQ(*Scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = 'journal'::regclass "
                    "AND attname = 'feeling' AND atttypid = 'feeling'::regtype"),
            1);
  DUO_ASSERT_OK(
      Exec("INSERT INTO journal (id, feeling) "
           "VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'ok')"));

  // Labels added before the first and in the middle, in the declared order.
  EXPECT_EQ(Cli({"check", "--group", "native_moods_more"}), kExitDifferences) << out_ << err_;
  EXPECT_THAT(out_, HasSubstr("add label 'content' to enum type public.feeling"));
  DUO_ASSERT_OK_AND_ASSIGN(Autogenerated generated,
                           Autogenerate(db_, moods::native_more_models.models()));
  EXPECT_THAT(generated.plan.Up(),
              ::testing::ElementsAre("ALTER TYPE public.feeling ADD VALUE 'glum' BEFORE 'sad'",
                                     "ALTER TYPE public.feeling ADD VALUE 'content' AFTER 'ok'"));
  EXPECT_THAT(generated.plan.Down(), IsEmpty());
  EXPECT_THAT(generated.plan.warnings, Contains(HasSubstr("cannot drop an enum label")));
  ASSERT_EQ(Cli({"create", "more", "--group", "native_moods_more"}), kExitOk) << err_;
  ASSERT_EQ(Cli({"upgrade"}), kExitOk) << err_;
  DUO_ASSERT_OK_AND_ASSIGN(Result labels,
                           db_.Execute(sql::Text("SELECT string_agg(enumlabel, ',' ORDER BY "
                                                 "enumsortorder) FROM pg_enum WHERE enumtypid = "
                                                 "'feeling'::regtype")));
  EXPECT_EQ(*labels.Scalar<std::string>(), "glum,sad,ok,content,happy");
  EXPECT_EQ(Cli({"check", "--group", "native_moods_more"}), kExitOk) << out_ << err_;

  // A label the models no longer declare: never a silent drop.
  absl::StatusOr<Autogenerated> fewer = Autogenerate(db_, moods::native_fewer_models.models());
  EXPECT_EQ(fewer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(fewer.status().message()),
              HasSubstr("label 'ok' is in the database but not declared"));
  EXPECT_NE(Cli({"create", "fewer", "--group", "native_moods_fewer"}), kExitOk);
  EXPECT_THAT(err_, HasSubstr("cannot drop or move an enum label"));
  EXPECT_EQ(*Scalar("SELECT count(*) FROM journal WHERE feeling = 'ok'"), 1);
}

// ------------------------------------------------ 2. views over rebuilt tables

// Before: "error in view book_titles: no such table: main.books" at the
// rebuild's rename, the revision rolled back, and `create` said nothing.
TEST_P(RealSchemaTest, SqliteRebuildKeepsViewsOverTheTable) {
  if (!sqlite()) GTEST_SKIP() << "SQLite's table rebuilds";
  DUO_ASSERT_OK(
      Exec("CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, note TEXT);"
           "CREATE VIEW book_titles AS SELECT id, title FROM books;"
           "CREATE VIEW long_titles AS SELECT title FROM book_titles WHERE length(title) > 5;"
           "INSERT INTO books (title, note) VALUES ('Earthsea', 'a'), ('Dune', 'b')"));
  // Dropping a column rebuilds the table.
  DUO_ASSERT_OK_AND_ASSIGN(
      std::vector<sql::TableDef> target,
      Target("CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL)"));
  DUO_ASSERT_OK_AND_ASSIGN(Plan plan, Create("drop note", target));
  EXPECT_THAT(plan.warnings, Contains(HasSubstr("view \"book_titles\" reads \"books\"")));
  DUO_ASSERT_OK(Upgrade());
  EXPECT_EQ(*Scalar("SELECT count(*) FROM long_titles"), 1);
  EXPECT_EQ(*Scalar("SELECT count(*) FROM book_titles"), 2);
  DUO_ASSERT_OK(Migrator(db_, dir_.string()).Downgrade("", {.allow_destructive = true}).status());
  EXPECT_EQ(*Scalar("SELECT count(*) FROM book_titles WHERE title = 'Dune'"), 1);
  EXPECT_EQ(*Scalar("SELECT count(*) FROM long_titles"), 1);
}

TEST_P(RealSchemaTest, PostgresWarnsAboutViewsOverAlteredTables) {
  if (!postgres()) GTEST_SKIP() << "PostgreSQL's view dependencies";
  DUO_ASSERT_OK(
      Exec("CREATE TABLE books (id integer PRIMARY KEY, title text NOT NULL, pages integer);"
           "CREATE VIEW book_pages AS SELECT id, pages FROM books"));
  DUO_ASSERT_OK_AND_ASSIGN(
      std::vector<sql::TableDef> target,
      Target("CREATE TABLE books (id integer PRIMARY KEY, title text NOT NULL, "
             "pages bigint)"));
  DUO_ASSERT_OK_AND_ASSIGN(LiveSchema live, LiveSchemaOf(db_));
  DUO_ASSERT_OK_AND_ASSIGN(
      Plan plan, PlanMigration(db_.dialect(), Diff(db_.dialect(), live.tables, target), live));
  EXPECT_THAT(plan.warnings, Contains(HasSubstr("view \"book_pages\" reads \"books\"")));
}

// ------------------------------------------------ 3. offline SQLite scripts

// Before: the script left out PRAGMA foreign_keys = OFF, so rebuilding the
// parent (DROP TABLE "books") cascaded into every child row, exit 0.
TEST_P(RealSchemaTest, SqliteScriptRebuildingAParentKeepsCascadingChildren) {
  if (!sqlite()) GTEST_SKIP() << "SQLite's scripts";
  DUO_ASSERT_OK(
      Exec("CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, note TEXT);"
           "CREATE TABLE shelves (id INTEGER PRIMARY KEY, "
           "book_id INTEGER NOT NULL REFERENCES books (id) ON DELETE CASCADE);"
           "INSERT INTO books (id, title) VALUES (1, 'Earthsea'), (2, 'Dune');"
           "INSERT INTO shelves (book_id) VALUES (1), (2), (2)"));
  DUO_ASSERT_OK_AND_ASSIGN(
      std::vector<sql::TableDef> target,
      Target("CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL);"
             "CREATE TABLE shelves (id INTEGER PRIMARY KEY, "
             "book_id INTEGER NOT NULL REFERENCES books (id) ON DELETE CASCADE)"));
  DUO_ASSERT_OK(Create("drop note", target).status());
  // Printing needs no --allow-destructive: it runs nothing.
  ASSERT_EQ(Cli({"upgrade", "--sql"}), kExitOk) << err_;
  EXPECT_THAT(out_, HasSubstr("-- loses data: drop column \"books\".\"note\""));
  ASSERT_EQ(RunSqliteShell(out_), 0) << shell_output_ << out_;
  EXPECT_EQ(*Scalar("SELECT count(*) FROM shelves"), 3);
  EXPECT_EQ(*Scalar("SELECT count(*) FROM books"), 2);
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<std::string> current,
                           Migrator(db_, dir_.string()).Current());
  EXPECT_TRUE(current.has_value());

  // Back down through a script too.
  ASSERT_EQ(Cli({"downgrade", "--sql"}), kExitOk) << err_;
  ASSERT_EQ(RunSqliteShell(out_), 0) << shell_output_ << out_;
  EXPECT_EQ(*Scalar("SELECT count(*) FROM shelves"), 3);
  DUO_ASSERT_OK_AND_ASSIGN(current, Migrator(db_, dir_.string()).Current());
  EXPECT_FALSE(current.has_value());
}

// Before: the child table was rebuilt (its REFERENCES clause read as a
// changed foreign key) and, with foreign keys on, its copy failed on the
// parent's new name.
TEST_P(RealSchemaTest, TableRenameRetargetsChildrenAndItsScriptRuns) {
  DUO_ASSERT_OK(
      Exec("CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
           "CREATE TABLE books (id INTEGER PRIMARY KEY, "
           "author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE);"
           "INSERT INTO authors (id, name) VALUES (1, 'Le Guin');"
           "INSERT INTO books (id, author_id) VALUES (1, 1), (2, 1)"));
  DUO_ASSERT_OK_AND_ASSIGN(
      std::vector<sql::TableDef> target,
      Target("CREATE TABLE writers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
             "CREATE TABLE books (id INTEGER PRIMARY KEY, "
             "author_id INTEGER NOT NULL REFERENCES writers (id) ON DELETE CASCADE)"));
  DUO_ASSERT_OK_AND_ASSIGN(Plan plan,
                           Create("rename", target, {.table_renames = {{"authors", "writers"}}}));
  // One step: the rename; the child's key follows it on both databases.
  ASSERT_EQ(plan.steps.size(), 1u) << absl::StrJoin(plan.Up(), ";\n");
  EXPECT_EQ(plan.steps[0].description,
            absl::StrCat("rename table ", Quoted("authors"), " to ", Quoted("writers")));
  if (!sqlite()) {
    DUO_ASSERT_OK(Upgrade());
  } else {
    ASSERT_EQ(Cli({"upgrade", "--sql"}), kExitOk) << err_;
    ASSERT_EQ(RunSqliteShell(out_), 0) << shell_output_ << out_;
  }
  EXPECT_EQ(*Scalar("SELECT count(*) FROM books JOIN writers ON writers.id = books.author_id"), 2);
  DUO_ASSERT_OK_AND_ASSIGN(LiveSchema live, LiveSchemaOf(db_));
  EXPECT_THAT(Diff(db_.dialect(), live.tables, target).Describe(db_.dialect()), IsEmpty());
  // The cascade still works through the renamed parent.
  DUO_ASSERT_OK(Exec(absl::StrCat(sqlite() ? "PRAGMA foreign_keys = ON; " : "",
                                  "DELETE FROM writers WHERE id = 1")));
  EXPECT_EQ(*Scalar("SELECT count(*) FROM books"), 0);
}

// Before: the script had no foreign_key_check, so it committed the orphans.
TEST_P(RealSchemaTest, SqliteScriptAddingAForeignKeyOverOrphansFails) {
  if (!sqlite()) GTEST_SKIP() << "SQLite's scripts";
  DUO_ASSERT_OK(
      Exec("CREATE TABLE authors (id INTEGER PRIMARY KEY);"
           "CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER);"
           "INSERT INTO authors (id) VALUES (1);"
           "INSERT INTO books (author_id) VALUES (1), (7)"));
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<sql::TableDef> target,
                           Target("CREATE TABLE authors (id INTEGER PRIMARY KEY);"
                                  "CREATE TABLE books (id INTEGER PRIMARY KEY, "
                                  "author_id INTEGER REFERENCES authors (id))"));
  DUO_ASSERT_OK(Create("books need authors", target).status());
  ASSERT_EQ(Cli({"upgrade", "--sql"}), kExitOk) << err_;
  EXPECT_NE(RunSqliteShell(out_), 0) << out_;
  EXPECT_THAT(shell_output_, HasSubstr("leaves rows violating foreign keys"));
  // Nothing committed: no key, no version row.
  DUO_ASSERT_OK_AND_ASSIGN(LiveSchema live, LiveSchemaOf(db_));
  EXPECT_THAT(live.FindTable("books")->foreign_keys, IsEmpty());
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<std::string> current,
                           Migrator(db_, dir_.string()).Current());
  EXPECT_FALSE(current.has_value());
  // The online run refuses it the same way.
  absl::Status online = Upgrade();
  EXPECT_THAT(std::string(online.message()), HasSubstr("violating foreign keys"));
}

// ------------------------------------------------ 4. primary-key names

// Before: the plan dropped "book_tags_pkey", which does not exist.
TEST_P(RealSchemaTest, PrimaryKeyChangeUsesTheIntrospectedName) {
  // MySQL's primary key is always named PRIMARY, and dropped as DROP
  // PRIMARY KEY (plan_test's MysqlPlanTest).
  if (!postgres()) GTEST_SKIP() << "PostgreSQL's primary-key names";
  DUO_ASSERT_OK(
      Exec("CREATE TABLE book_tags (book_id integer NOT NULL, tag text NOT NULL, "
           "CONSTRAINT book_tags_pk PRIMARY KEY (book_id));"
           "INSERT INTO book_tags VALUES (1, 'sf')"));
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<sql::TableDef> target,
                           Target("CREATE TABLE book_tags (book_id integer NOT NULL, "
                                  "tag text NOT NULL, PRIMARY KEY (book_id, tag))"));
  DUO_ASSERT_OK_AND_ASSIGN(Plan plan, Create("composite key", target));
  EXPECT_THAT(absl::StrJoin(plan.Up(), "\n"),
              HasSubstr("ALTER TABLE \"book_tags\" DROP CONSTRAINT \"book_tags_pk\""));
  DUO_ASSERT_OK(Upgrade());
  DUO_ASSERT_OK(Exec("INSERT INTO book_tags VALUES (1, 'fantasy')"));
  DUO_ASSERT_OK_AND_ASSIGN(LiveSchema live, LiveSchemaOf(db_));
  EXPECT_THAT(Diff(db_.dialect(), live.tables, target).Describe(db_.dialect()), IsEmpty());
  DUO_ASSERT_OK(Exec("DELETE FROM book_tags WHERE tag = 'fantasy'"));
  DUO_ASSERT_OK(Migrator(db_, dir_.string()).Downgrade("", {.allow_destructive = true}).status());
  EXPECT_EQ(*Scalar("SELECT count(*) FROM pg_constraint WHERE conname = 'book_tags_pk'"), 1);
}

// A table renamed by --rename-table keeps its key's old name.
TEST_P(RealSchemaTest, PrimaryKeyChangeAfterATableRename) {
  // MySQL's primary key is always named PRIMARY, and dropped as DROP
  // PRIMARY KEY (plan_test's MysqlPlanTest).
  if (!postgres()) GTEST_SKIP() << "PostgreSQL's primary-key names";
  DUO_ASSERT_OK(
      Exec("CREATE TABLE tags (book_id integer NOT NULL, tag text NOT NULL, "
           "PRIMARY KEY (book_id))"));
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<sql::TableDef> renamed,
                           Target("CREATE TABLE labels (book_id integer NOT NULL, "
                                  "tag text NOT NULL, PRIMARY KEY (book_id))"));
  DUO_ASSERT_OK(Create("rename", renamed, {.table_renames = {{"tags", "labels"}}}).status());
  DUO_ASSERT_OK(Upgrade());
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<sql::TableDef> target,
                           Target("CREATE TABLE labels (book_id integer NOT NULL, "
                                  "tag text NOT NULL, PRIMARY KEY (book_id, tag))"));
  DUO_ASSERT_OK_AND_ASSIGN(Plan plan, Create("composite key", target));
  EXPECT_THAT(absl::StrJoin(plan.Up(), "\n"),
              HasSubstr("ALTER TABLE \"labels\" DROP CONSTRAINT \"tags_pkey\""));
  DUO_ASSERT_OK(Upgrade());
  DUO_ASSERT_OK(
      Migrator(db_, dir_.string()).Downgrade("base", {.allow_destructive = true}).status());
  EXPECT_EQ(*Scalar("SELECT count(*) FROM pg_constraint WHERE conname = 'tags_pkey'"), 1);
}

// ------------------------------------------------ paper cuts

// SQLite copies 'many' into an INTEGER column as text; the rebuild now
// verifies each retyped column's values converted, as PostgreSQL's USING
// cast does.
TEST_P(RealSchemaTest, TextToIntegerVerifiesTheConversion) {
  const std::string text = postgres() ? "text" : "TEXT";
  const std::string integer = postgres() ? "integer" : "INTEGER";
  DUO_ASSERT_OK(
      Exec(absl::StrCat("CREATE TABLE books (id ", integer, " PRIMARY KEY, pages ", text,
                        "); INSERT INTO books (id, pages) VALUES (1, '120'), (2, 'many')")));
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<sql::TableDef> target,
                           Target(absl::StrCat("CREATE TABLE books (id ", integer,
                                               " PRIMARY KEY, "
                                               "pages ",
                                               integer, ")")));
  DUO_ASSERT_OK(Create("pages are numbers", target).status());
  absl::Status refused = Upgrade();
  EXPECT_FALSE(refused.ok());
  if (sqlite()) {
    EXPECT_THAT(std::string(refused.message()), HasSubstr("books.pages holds values that are not"));
  }
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<std::string> current,
                           Migrator(db_, dir_.string()).Current());
  EXPECT_FALSE(current.has_value());
  DUO_ASSERT_OK(Exec("UPDATE books SET pages = '300' WHERE id = 2"));
  DUO_ASSERT_OK(Upgrade());
  EXPECT_EQ(*Scalar("SELECT sum(pages) FROM books"), 420);
  if (sqlite()) {
    EXPECT_EQ(*Scalar("SELECT count(*) FROM books WHERE typeof(pages) = 'integer'"), 2);
  }
}

// A NOT NULL column added without a default fails on a table with rows:
// `create` says so; dropping such a column writes a down step that says
// it cannot run on a table with rows, and indeed cannot.
TEST_P(RealSchemaTest, NotNullColumnsWithoutDefaultsAreCalledOut) {
  const std::string integer = postgres() ? "integer" : "INTEGER";
  DUO_ASSERT_OK(Exec(absl::StrCat("CREATE TABLE books (id ", integer, " PRIMARY KEY, pages ",
                                  integer, " NOT NULL); INSERT INTO books VALUES (1, 100)")));
  DUO_ASSERT_OK_AND_ASSIGN(
      std::vector<sql::TableDef> without_pages,
      Target(absl::StrCat("CREATE TABLE books (id ", integer, " PRIMARY KEY)")));
  DUO_ASSERT_OK_AND_ASSIGN(Plan plan, Create("drop pages", without_pages));
  if (mariadb()) {
    // MySQL fills the column with 0 instead of failing, and says so.
    EXPECT_THAT(plan.warnings,
                Contains(HasSubstr("so the downgrade (which adds it back empty) fills it with its "
                                   "type's zero value ('', 0) in the rows `books` has")));
    DUO_ASSERT_OK(Upgrade());
    DUO_ASSERT_OK(Migrator(db_, dir_.string()).Downgrade("", {.allow_destructive = true}).status());
    EXPECT_EQ(*Scalar("SELECT pages FROM books WHERE id = 1"), 0);
    DUO_ASSERT_OK(Upgrade());
  } else {
    EXPECT_THAT(plan.warnings, Contains(HasSubstr("so the downgrade (which adds it back empty) "
                                                  "fails if \"books\" has rows")));
    EXPECT_THAT(absl::StrJoin(plan.Down(), "\n"), HasSubstr("-- fails if \"books\" has rows"));
    DUO_ASSERT_OK(Upgrade());
    absl::Status down =
        Migrator(db_, dir_.string()).Downgrade("", {.allow_destructive = true}).status();
    EXPECT_FALSE(down.ok());
  }

  DUO_ASSERT_OK_AND_ASSIGN(std::vector<sql::TableDef> with_year,
                           Target(absl::StrCat("CREATE TABLE books (id ", integer,
                                               " PRIMARY KEY, year ", integer, " NOT NULL)")));
  DUO_ASSERT_OK_AND_ASSIGN(LiveSchema live, LiveSchemaOf(db_));
  DUO_ASSERT_OK_AND_ASSIGN(
      plan, PlanMigration(db_.dialect(), Diff(db_.dialect(), live.tables, with_year), live));
  EXPECT_THAT(plan.warnings,
              Contains(HasSubstr(absl::StrCat("column ", Quoted("books"), ".", Quoted("year"),
                                              " is added NOT NULL without a default"))));
}

// duo-migrate takes a session lock for its run: against the server, not PgBouncer.
INSTANTIATE_TEST_SUITE_P(Backends, RealSchemaTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);

}  // namespace
}  // namespace duo::migrate
