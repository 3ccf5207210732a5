// Golden tests of the plan: a schema pair in, the up and down SQL per
// dialect out, with what each direction loses and the warnings `create`
// prints. No database: the schemas are written as introspection reads them
// (real_schema_test.cc and migrate_test.cc run such plans on both).

#include "migrate/plan.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "duo/dialect/mysql/dialect.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/sql/table.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrate/diff.h"
#include "migrate/introspect.h"
#include "migrate/sqlite/fail_unless_zero.h"
#include "testing/status.h"

namespace duo::migrate {
namespace {

using sql::SqlType;
using sql::TableDef;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const dialect::Dialect& Sqlite() { return dialect::SqliteDialect(); }
const dialect::Dialect& Postgres() { return dialect::PostgresDialect(); }
const dialect::Dialect& Mysql() { return dialect::MysqlDialect(); }

std::string Joined(const std::vector<std::string>& statements) {
  return absl::StrJoin(statements, ";\n");
}

absl::StatusOr<Plan> PlanFor(const dialect::Dialect& dialect, const LiveSchema& live,
                             const std::vector<TableDef>& target, const DiffOptions& options = {}) {
  return PlanMigration(dialect, Diff(dialect, live.tables, target, options), live);
}

TableDef Books(SqlType id, SqlType pages) {
  TableDef table("books");
  table.AddColumn({.name = "id", .type = id, .nullable = false, .primary_key = true})
      .AddColumn({.name = "title", .type = SqlType::Text(), .nullable = false})
      .AddColumn({.name = "pages", .type = pages});
  return table;
}

// ------------------------------------------------------------ PostgreSQL

TEST(PostgresPlanTest, CreateAndDropTables) {
  LiveSchema live;
  live.tables = {TableDef("legacy")};
  live.tables[0].AddColumn({.name = "x", .type = SqlType::Integer()});
  DUO_ASSERT_OK_AND_ASSIGN(
      Plan plan, PlanFor(Postgres(), live, {Books(SqlType::BigInt(), SqlType::Integer())}));
  EXPECT_EQ(Joined(plan.Up()),
            "CREATE TABLE \"books\" (\n"
            "  \"id\" bigint NOT NULL,\n"
            "  \"title\" text NOT NULL,\n"
            "  \"pages\" integer,\n"
            "  CONSTRAINT \"books_pkey\" PRIMARY KEY (\"id\")\n"
            ");\n"
            "DROP TABLE \"legacy\"");
  EXPECT_EQ(Joined(plan.Down()),
            "CREATE TABLE \"legacy\" (\n"
            "  \"x\" integer\n"
            ");\n"
            "DROP TABLE \"books\"");
  EXPECT_THAT(plan.DestructiveUp(), ElementsAre("drop table \"legacy\""));
  EXPECT_THAT(plan.DestructiveDown(), ElementsAre("drop table \"books\""));
  EXPECT_FALSE(plan.sqlite_foreign_keys_off);
}

TEST(PostgresPlanTest, TypeChangesWidenOrLoseData) {
  LiveSchema live;
  live.tables = {Books(SqlType::Integer(), SqlType::Array(SqlType::Kind::kInteger))};
  DUO_ASSERT_OK_AND_ASSIGN(
      Plan plan, PlanFor(Postgres(), live,
                         {Books(SqlType::BigInt(), SqlType::Array(SqlType::Kind::kBigInt))}));
  EXPECT_EQ(Joined(plan.Up()),
            "ALTER TABLE \"books\" ALTER COLUMN \"id\" TYPE bigint USING \"id\"::bigint;\n"
            "ALTER TABLE \"books\" ALTER COLUMN \"pages\" TYPE bigint[] USING \"pages\"::bigint[]");
  // integer[] -> bigint[] widens like integer -> bigint: nothing is lost
  // going up, and going back may not fit.
  EXPECT_THAT(plan.DestructiveUp(), IsEmpty());
  EXPECT_THAT(plan.DestructiveDown(),
              ElementsAre("change type of \"books\".\"pages\" back to integer[]",
                          "change type of \"books\".\"id\" back to integer"));
}

TEST(PostgresPlanTest, PrimaryKeyIsDroppedByItsIntrospectedName) {
  TableDef tags("book_tags");
  tags.AddColumn(
          {.name = "book_id", .type = SqlType::Integer(), .nullable = false, .primary_key = true})
      .AddColumn({.name = "tag", .type = SqlType::Text(), .nullable = false});
  TableDef composite = tags;
  composite.primary_key = {"book_id", "tag"};
  LiveSchema live;
  live.tables = {tags};
  live.primary_key_names = {{"book_tags", "book_tags_pk"}};
  DUO_ASSERT_OK_AND_ASSIGN(Plan plan, PlanFor(Postgres(), live, {composite}));
  EXPECT_EQ(Joined(plan.Up()),
            "ALTER TABLE \"book_tags\" DROP CONSTRAINT \"book_tags_pk\";\n"
            "ALTER TABLE \"book_tags\" ADD CONSTRAINT \"book_tags_pkey\" "
            "PRIMARY KEY (\"book_id\", \"tag\")");
  EXPECT_EQ(Joined(plan.Down()),
            "ALTER TABLE \"book_tags\" DROP CONSTRAINT \"book_tags_pkey\";\n"
            "ALTER TABLE \"book_tags\" ADD CONSTRAINT \"book_tags_pk\" PRIMARY KEY (\"book_id\")");
}

TEST(PostgresPlanTest, ForeignKeyActionChangeAndRenamedParent) {
  TableDef authors("authors");
  authors.AddColumn(
      {.name = "id", .type = SqlType::BigInt(), .nullable = false, .primary_key = true});
  TableDef books = Books(SqlType::BigInt(), SqlType::Integer());
  books.AddColumn({.name = "author_id", .type = SqlType::BigInt()});
  books.foreign_keys.push_back({.name = "books_author_id_fkey",
                                .columns = {"author_id"},
                                .referenced_table = "authors",
                                .referenced_columns = {"id"}});
  LiveSchema live;
  live.tables = {authors, books};
  TableDef writers = authors;
  writers.name = "writers";
  TableDef cascading = books;
  cascading.foreign_keys[0].referenced_table = "writers";
  cascading.foreign_keys[0].on_delete = sql::ReferentialAction::kSetNull;
  DUO_ASSERT_OK_AND_ASSIGN(Plan plan, PlanFor(Postgres(), live, {writers, cascading},
                                              {.table_renames = {{"authors", "writers"}}}));
  EXPECT_EQ(Joined(plan.Up()),
            "ALTER TABLE \"books\" DROP CONSTRAINT \"books_author_id_fkey\";\n"
            "ALTER TABLE \"authors\" RENAME TO \"writers\";\n"
            "ALTER TABLE \"books\" ADD CONSTRAINT \"books_author_id_fkey\" FOREIGN KEY "
            "(\"author_id\") REFERENCES \"writers\" (\"id\") ON DELETE SET NULL");
  EXPECT_EQ(Joined(plan.Down()),
            "ALTER TABLE \"books\" DROP CONSTRAINT \"books_author_id_fkey\";\n"
            "ALTER TABLE \"writers\" RENAME TO \"authors\";\n"
            "ALTER TABLE \"books\" ADD CONSTRAINT \"books_author_id_fkey\" FOREIGN KEY "
            "(\"author_id\") REFERENCES \"authors\" (\"id\")");
}

TEST(PostgresPlanTest, NotNullColumnsWithoutDefaultsWarn) {
  TableDef books = Books(SqlType::BigInt(), SqlType::Integer());
  books.columns[2].nullable = false;  // pages NOT NULL, to be dropped
  TableDef target = Books(SqlType::BigInt(), SqlType::Integer());
  target.columns.erase(target.columns.begin() + 2);
  target.AddColumn({.name = "year", .type = SqlType::Integer(), .nullable = false});
  target.AddColumn({.name = "isbn",
                    .type = SqlType::Text(),
                    .nullable = false,
                    .server_default = sql::Text("''::text")});
  LiveSchema live;
  live.tables = {books};
  DUO_ASSERT_OK_AND_ASSIGN(Plan plan, PlanFor(Postgres(), live, {target}));
  EXPECT_EQ(Joined(plan.Up()),
            "ALTER TABLE \"books\" DROP COLUMN \"pages\";\n"
            "ALTER TABLE \"books\" ADD COLUMN \"year\" integer NOT NULL;\n"
            "ALTER TABLE \"books\" ADD COLUMN \"isbn\" text NOT NULL DEFAULT (''::text)");
  EXPECT_EQ(Joined(plan.Down()),
            "ALTER TABLE \"books\" DROP COLUMN \"isbn\";\n"
            "ALTER TABLE \"books\" DROP COLUMN \"year\";\n"
            "-- fails if \"books\" has rows: \"pages\" is NOT NULL with no default and nothing "
            "to fill it from\n"
            "ALTER TABLE \"books\" ADD COLUMN \"pages\" integer NOT NULL");
  EXPECT_THAT(plan.warnings,
              ElementsAre("column \"books\".\"year\" is added NOT NULL without a default: the "
                          "upgrade fails if \"books\" has rows; give it a server default, or add "
                          "it nullable, fill it, and make it NOT NULL in a later revision",
                          "column \"books\".\"pages\" is dropped; it was NOT NULL without a "
                          "default, so the downgrade (which adds it back empty) fails if "
                          "\"books\" has rows"));
}

// ------------------------------------------------------------ MySQL

// A column changed in any way is restated whole; keys are dropped by their
// kind; indexes are dropped ON their table; a foreign key goes with the
// index InnoDB made for it.
TEST(MysqlPlanTest, ColumnsRestatedWholeAndKeysDroppedByKind) {
  LiveSchema live;
  TableDef books("books");
  books.AddColumn({.name = "id", .type = SqlType::BigInt(), .nullable = false, .primary_key = true})
      .AddColumn({.name = "author_id", .type = SqlType::BigInt()})
      .AddColumn({.name = "title", .type = SqlType::Varchar(100), .nullable = false})
      .AddColumn({.name = "pages", .type = SqlType::Integer()});
  books.foreign_keys.push_back({.name = "books_ibfk_1",
                                .columns = {"author_id"},
                                .referenced_table = "authors",
                                .referenced_columns = {"id"}});
  books.uniques.push_back({"books_title_key", {"title"}});
  books.indexes.push_back({.name = "books_pages_idx", .columns = {"pages"}});
  books.checks.push_back({"books_pages_positive", sql::Text("`pages` > 0")});
  live.tables = {books};
  live.foreign_key_indexes[{"books", "books_ibfk_1"}] = "author_id";

  TableDef target("books");
  target
      .AddColumn({.name = "id", .type = SqlType::BigInt(), .nullable = false, .primary_key = true})
      .AddColumn({.name = "author_id", .type = SqlType::BigInt()})
      .AddColumn({.name = "title", .type = SqlType::Varchar(200), .nullable = false})
      .AddColumn({.name = "pages",
                  .type = SqlType::BigInt(),
                  .nullable = false,
                  .server_default = sql::Text("0")});
  DUO_ASSERT_OK_AND_ASSIGN(Plan plan, PlanFor(Mysql(), live, {target}));
  EXPECT_EQ(Joined(plan.Up()),
            "ALTER TABLE `books` DROP FOREIGN KEY `books_ibfk_1`, DROP INDEX `author_id`;\n"
            "ALTER TABLE `books` DROP CONSTRAINT `books_pages_positive`;\n"
            "ALTER TABLE `books` DROP INDEX `books_title_key`;\n"
            "DROP INDEX `books_pages_idx` ON `books`;\n"
            "ALTER TABLE `books` MODIFY COLUMN `title` VARCHAR(200) NOT NULL;\n"
            "ALTER TABLE `books` MODIFY COLUMN `pages` BIGINT NOT NULL DEFAULT (0)");
  EXPECT_EQ(Joined(plan.Down()),
            "ALTER TABLE `books` MODIFY COLUMN `pages` INT;\n"
            "ALTER TABLE `books` MODIFY COLUMN `title` VARCHAR(100) NOT NULL;\n"
            "CREATE INDEX `books_pages_idx` ON `books` (`pages`);\n"
            "ALTER TABLE `books` ADD CONSTRAINT `books_title_key` UNIQUE (`title`);\n"
            "ALTER TABLE `books` ADD CONSTRAINT `books_pages_positive` CHECK (`pages` > 0);\n"
            "ALTER TABLE `books` ADD CONSTRAINT `books_ibfk_1` FOREIGN KEY (`author_id`) "
            "REFERENCES `authors` (`id`)");
  EXPECT_THAT(plan.DestructiveUp(),
              ElementsAre("set NOT NULL on `books`.`pages` (fails if rows hold NULL)"));
  EXPECT_THAT(plan.DestructiveDown(),
              ElementsAre("change type of `books`.`pages` back to INT",
                          "change type of `books`.`title` back to VARCHAR(100)"));
}

TEST(MysqlPlanTest, PrimaryKeyRenamesAndNewKeys) {
  LiveSchema live;
  TableDef tags("tags");
  tags.AddColumn({.name = "book_id", .type = SqlType::BigInt(), .nullable = false})
      .AddColumn({.name = "name", .type = SqlType::Varchar(40), .nullable = false});
  tags.primary_key = {"book_id"};
  live.tables = {tags};
  TableDef target("labels");
  target.AddColumn({.name = "book_id", .type = SqlType::BigInt(), .nullable = false})
      .AddColumn({.name = "label", .type = SqlType::Varchar(40), .nullable = false});
  target.primary_key = {"book_id", "label"};
  target.indexes.push_back({.name = "labels_label_idx", .columns = {"label"}});
  DUO_ASSERT_OK_AND_ASSIGN(Plan plan, PlanFor(Mysql(), live, {target},
                                              {.table_renames = {{"tags", "labels"}},
                                               .column_renames = {{{"labels", "name"}, "label"}}}));
  EXPECT_EQ(Joined(plan.Up()),
            "ALTER TABLE `tags` DROP PRIMARY KEY;\n"
            "ALTER TABLE `tags` RENAME TO `labels`;\n"
            "ALTER TABLE `labels` RENAME COLUMN `name` TO `label`;\n"
            "ALTER TABLE `labels` ADD CONSTRAINT `labels_pkey` PRIMARY KEY (`book_id`, `label`);\n"
            "CREATE INDEX `labels_label_idx` ON `labels` (`label`)");
  EXPECT_EQ(Joined(plan.Down()),
            "DROP INDEX `labels_label_idx` ON `labels`;\n"
            "ALTER TABLE `labels` DROP PRIMARY KEY;\n"
            "ALTER TABLE `labels` RENAME COLUMN `label` TO `name`;\n"
            "ALTER TABLE `labels` RENAME TO `tags`;\n"
            "ALTER TABLE `tags` ADD CONSTRAINT `tags_pkey` PRIMARY KEY (`book_id`)");
}

// ---------------------------------------------------------------- SQLite

TEST(SqlitePlanTest, RebuildKeepsViewsTriggersAndVerifiesConversions) {
  LiveSchema live;
  live.tables = {Books(SqlType::Integer(), SqlType::Text())};
  live.tables[0].columns[0].autoincrement = true;
  live.tables[0].indexes.push_back({"books_title_idx", {"title"}, false, {}});
  live.triggers.push_back({"books_touch", "books",
                           "CREATE TRIGGER books_touch AFTER UPDATE ON books BEGIN SELECT 1; END"});
  live.views.push_back({"titles", "CREATE VIEW titles AS SELECT title FROM books", {"books"}});
  live.views.push_back(
      {"long_titles", "CREATE VIEW long_titles AS SELECT * FROM titles", {"titles"}});
  live.views.push_back({"other", "CREATE VIEW other AS SELECT 1", {}});
  TableDef target = live.tables[0];
  target.columns[2].type = SqlType::Integer();  // pages: TEXT -> INTEGER
  DUO_ASSERT_OK_AND_ASSIGN(Plan plan, PlanFor(Sqlite(), live, {target}));
  EXPECT_TRUE(plan.sqlite_foreign_keys_off);
  EXPECT_EQ(Joined(plan.Up()),
            "DROP VIEW \"long_titles\";\n"
            "DROP VIEW \"titles\";\n"
            "CREATE TABLE \"_duo_new_books\" (\n"
            "  \"id\" INTEGER PRIMARY KEY,\n"
            "  \"title\" TEXT NOT NULL,\n"
            "  \"pages\" INTEGER\n"
            ");\n"
            "INSERT INTO \"_duo_new_books\" (\"id\", \"title\", \"pages\") SELECT \"id\", "
            "\"title\", \"pages\" FROM \"books\";\n"
            "CREATE TEMP TABLE \"_duo_assert\" (\"n\" INTEGER CONSTRAINT \"books.pages holds "
            "values that are not INTEGER (converting them failed)\" CHECK (\"n\" = 0));\n"
            "INSERT INTO temp.\"_duo_assert\" (\"n\") SELECT count(*) FROM \"_duo_new_books\" "
            "WHERE typeof(\"pages\") NOT IN ('integer', 'null');\n"
            "DROP TABLE temp.\"_duo_assert\";\n"
            "DROP TABLE \"books\";\n"
            "ALTER TABLE \"_duo_new_books\" RENAME TO \"books\";\n"
            "CREATE INDEX \"books_title_idx\" ON \"books\" (\"title\");\n"
            "CREATE TRIGGER books_touch AFTER UPDATE ON books BEGIN SELECT 1; END;\n"
            "CREATE VIEW titles AS SELECT title FROM books;\n"
            "CREATE VIEW long_titles AS SELECT * FROM titles");
  // Going back, INTEGER -> TEXT always converts: no verification.
  EXPECT_EQ(Joined(plan.Down()),
            "DROP VIEW \"long_titles\";\n"
            "DROP VIEW \"titles\";\n"
            "CREATE TABLE \"_duo_new_books\" (\n"
            "  \"id\" INTEGER PRIMARY KEY,\n"
            "  \"title\" TEXT NOT NULL,\n"
            "  \"pages\" TEXT\n"
            ");\n"
            "INSERT INTO \"_duo_new_books\" (\"id\", \"title\", \"pages\") SELECT \"id\", "
            "\"title\", \"pages\" FROM \"books\";\n"
            "DROP TABLE \"books\";\n"
            "ALTER TABLE \"_duo_new_books\" RENAME TO \"books\";\n"
            "CREATE INDEX \"books_title_idx\" ON \"books\" (\"title\");\n"
            "CREATE TRIGGER books_touch AFTER UPDATE ON books BEGIN SELECT 1; END;\n"
            "CREATE VIEW titles AS SELECT title FROM books;\n"
            "CREATE VIEW long_titles AS SELECT * FROM titles");
  EXPECT_THAT(plan.DestructiveUp(), ElementsAre("change type of \"books\".\"pages\""));
  EXPECT_THAT(plan.warnings,
              ElementsAre(::testing::HasSubstr("view \"titles\" reads \"books\", which this "
                                               "revision rebuilds or drops")));
}

TEST(SqlitePlanTest, RenamesAndPlainColumnsAlterInPlace) {
  TableDef authors("authors");
  authors
      .AddColumn({.name = "id",
                  .type = SqlType::Integer(),
                  .nullable = false,
                  .primary_key = true,
                  .autoincrement = true})
      .AddColumn({.name = "full_name", .type = SqlType::Text()});
  TableDef books = Books(SqlType::Integer(), SqlType::Integer());
  books.AddColumn({.name = "author_id", .type = SqlType::Integer()});
  books.foreign_keys.push_back(
      {.columns = {"author_id"}, .referenced_table = "authors", .referenced_columns = {"id"}});
  LiveSchema live;
  live.tables = {authors, books};
  TableDef writers = authors;
  writers.name = "writers";
  writers.columns[1].name = "name";
  writers.AddColumn({.name = "bio", .type = SqlType::Text()});
  TableDef retargeted = books;
  retargeted.foreign_keys[0].referenced_table = "writers";
  DUO_ASSERT_OK_AND_ASSIGN(Plan plan,
                           PlanFor(Sqlite(), live, {writers, retargeted},
                                   {.table_renames = {{"authors", "writers"}},
                                    .column_renames = {{{"writers", "full_name"}, "name"}}}));
  EXPECT_FALSE(plan.sqlite_foreign_keys_off);  // no rebuild, not even of the child
  EXPECT_EQ(Joined(plan.Up()),
            "ALTER TABLE \"authors\" RENAME TO \"writers\";\n"
            "ALTER TABLE \"writers\" RENAME COLUMN \"full_name\" TO \"name\";\n"
            "ALTER TABLE \"writers\" ADD COLUMN \"bio\" TEXT");
  EXPECT_EQ(Joined(plan.Down()),
            "ALTER TABLE \"writers\" DROP COLUMN \"bio\";\n"
            "ALTER TABLE \"writers\" RENAME COLUMN \"name\" TO \"full_name\";\n"
            "ALTER TABLE \"writers\" RENAME TO \"authors\"");
  EXPECT_THAT(plan.DestructiveDown(), ElementsAre("drop column \"writers\".\"bio\""));
  EXPECT_THAT(plan.warnings, IsEmpty());
}

TEST(SqliteFailUnlessZeroTest, NamesTheFailureInTheConstraint) {
  EXPECT_THAT(SqliteFailUnlessZero("it's wrong", "SELECT 1"),
              ElementsAre("CREATE TEMP TABLE \"_duo_assert\" (\"n\" INTEGER CONSTRAINT "
                          "\"it's wrong\" CHECK (\"n\" = 0))",
                          "INSERT INTO temp.\"_duo_assert\" (\"n\") SELECT 1",
                          "DROP TABLE temp.\"_duo_assert\""));
}

// Native enum types go first (the tables use them); an added label has no
// down statement, which the plan warns about; a conflict refuses the plan.
TEST(PlanEnumTest, CreatesTypesAddsLabelsAndRefusesConflicts) {
  SchemaDiff diff;
  diff.created_enums.push_back({"public.mood", {"sad", "ok"}});
  diff.added_enum_labels.push_back({.type = "public.tone", .label = "dark", .after = "light"});
  diff.added_enum_labels.push_back({.type = "public.tone", .label = "pale", .before = "light"});
  absl::StatusOr<Plan> plan = PlanMigration(dialect::PostgresDialect(), diff, LiveSchema{});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->Up(),
              ::testing::ElementsAre("CREATE TYPE public.mood AS ENUM ('sad', 'ok')",
                                     "ALTER TYPE public.tone ADD VALUE 'dark' AFTER 'light'",
                                     "ALTER TYPE public.tone ADD VALUE 'pale' BEFORE 'light'"));
  EXPECT_THAT(plan->Down(), ::testing::ElementsAre("DROP TYPE public.mood"));
  EXPECT_EQ(plan->warnings.size(), 2u);

  diff.enum_conflicts.push_back("enum type public.tone: label 'grey' is in the database");
  plan = PlanMigration(dialect::PostgresDialect(), diff, LiveSchema{});
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(plan.status().message()), ::testing::HasSubstr("'grey'"));
}

}  // namespace
}  // namespace duo::migrate
