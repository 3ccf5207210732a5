// Golden tests of the schema diff: two schemas in, the changes out, one
// line each as `create` prints them, in both dialects' spellings. No
// database: the schemas are written as introspection reads them.

#include "migrate/diff.h"

#include <string>
#include <vector>

#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/sql/table.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace duo::migrate {
namespace {

using sql::ColumnDef;
using sql::ReferentialAction;
using sql::SqlType;
using sql::TableDef;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TableDef Authors(const std::string& name = "authors") {
  TableDef table(name);
  table
      .AddColumn({.name = "id",
                  .type = SqlType::BigInt(),
                  .nullable = false,
                  .primary_key = true,
                  .autoincrement = true})
      .AddColumn({.name = "name", .type = SqlType::Varchar(100), .nullable = false});
  table.uniques.push_back({"", {"name"}});
  return table;
}

TableDef Books(const std::string& parent = "authors") {
  TableDef table("books");
  table.AddColumn({.name = "id", .type = SqlType::BigInt(), .nullable = false, .primary_key = true})
      .AddColumn({.name = "author_id", .type = SqlType::BigInt(), .nullable = false})
      .AddColumn({.name = "title", .type = SqlType::Text(), .nullable = false})
      .AddColumn({.name = "pages", .type = SqlType::Integer()})
      .AddColumn({.name = "note", .type = SqlType::Text()});
  table.foreign_keys.push_back({.name = "",
                                .columns = {"author_id"},
                                .referenced_table = parent,
                                .referenced_columns = {"id"},
                                .on_delete = ReferentialAction::kCascade});
  table.indexes.push_back({"books_author_id_idx", {"author_id"}, false, {}});
  table.checks.push_back({"books_pages_positive", sql::Text("pages > 0")});
  return table;
}

TEST(DiffTest, IdenticalSchemasDiffToNothing) {
  const SchemaDiff diff =
      Diff(dialect::SqliteDialect(), {Authors(), Books()}, {Authors(), Books()});
  EXPECT_TRUE(diff.empty());
}

TEST(DiffTest, EveryKindOfChangeInBothSpellings) {
  TableDef books = Books();
  books.columns.erase(books.columns.begin() + 4);  // note
  books.columns[3].type = SqlType::BigInt();       // pages
  books.columns[3].server_default = sql::Text("0");
  books.columns[2].nullable = true;  // title
  books.AddColumn({.name = "isbn", .type = SqlType::Varchar(13), .nullable = false});
  books.uniques.push_back({"", {"isbn"}});
  books.foreign_keys[0].on_delete = ReferentialAction::kRestrict;
  books.indexes.push_back({"books_title_idx", {"title"}, false, sql::Text("title IS NOT NULL")});
  books.checks[0].condition = sql::Text("(pages >= 0)");
  TableDef shelves("shelves");
  shelves.AddColumn(
      {.name = "id", .type = SqlType::Integer(), .nullable = false, .primary_key = true});
  const SchemaDiff diff = Diff(dialect::SqliteDialect(), {Authors(), Books(), TableDef("legacy")},
                               {Authors(), books, shelves});
  EXPECT_THAT(
      diff.Describe(dialect::SqliteDialect()),
      ElementsAre("create table \"shelves\"", "add column \"books\".\"isbn\" VARCHAR(13) NOT NULL",
                  "drop column \"books\".\"note\"",
                  "alter column \"books\".\"title\": NOT NULL -> NULL",
                  "alter column \"books\".\"pages\": type INTEGER -> BIGINT; "
                  "default (none) -> 0",
                  "add index \"books_title_idx\" on \"books\" (\"title\")",
                  "add unique (\"isbn\") on \"books\"",
                  "drop foreign key \"books\" (\"author_id\") -> \"authors\" (\"id\")",
                  "add foreign key \"books\" (\"author_id\") -> \"authors\" (\"id\")",
                  "drop check \"books_pages_positive\" on \"books\"",
                  "add check \"books_pages_positive\" on \"books\": (pages >= 0)",
                  "drop table \"legacy\""));
  EXPECT_THAT(
      Diff(dialect::PostgresDialect(), {Books()}, {books}).Describe(dialect::PostgresDialect())[3],
      "alter column \"books\".\"pages\": type integer -> bigint; default (none) -> 0");
}

// An index whose access method changes is dropped and created again.
TEST(DiffTest, AnIndexMethodChangeRecreatesTheIndex) {
  sql::TableDef live("docs");
  live.AddColumn({.name = "body", .type = sql::SqlType::Json()});
  live.indexes.push_back({.name = "docs_body_idx", .columns = {"body"}});
  sql::TableDef wanted = live;
  wanted.indexes[0].method = "gin";
  const SchemaDiff diff = Diff(dialect::PostgresDialect(), {live}, {wanted});
  EXPECT_THAT(diff.Describe(dialect::PostgresDialect()),
              ElementsAre("drop index \"docs_body_idx\" on \"docs\"",
                          "add index \"docs_body_idx\" on \"docs\" using gin (\"body\")"));
  EXPECT_TRUE(Diff(dialect::PostgresDialect(), {wanted}, {wanted}).empty());
}

TEST(DiffTest, ExpressionsCompareByNormalizedText) {
  TableDef books = Books();
  books.checks[0].condition = sql::Text("((PAGES   >  0))");
  EXPECT_TRUE(Diff(dialect::PostgresDialect(), {Books()}, {books}).empty());
  EXPECT_EQ(NormalizeSqlText(" ((a = 'X  Y')) "), "a = 'X  Y'");
}

TEST(DiffTest, UndeclaredRenamesAreDropsAndAdds) {
  TableDef books = Books();
  books.columns[4].name = "remark";
  EXPECT_THAT(
      Diff(dialect::SqliteDialect(), {Books()}, {books}).Describe(dialect::SqliteDialect()),
      ElementsAre("add column \"books\".\"remark\" TEXT NULL", "drop column \"books\".\"note\""));
  EXPECT_THAT(Diff(dialect::SqliteDialect(), {Books()}, {books},
                   {.column_renames = {{{"books", "note"}, "remark"}}})
                  .Describe(dialect::SqliteDialect()),
              ElementsAre("rename column \"books\".\"note\" to \"remark\""));
}

// Both databases retarget a child's foreign key when its parent is
// renamed: the child does not change.
TEST(DiffTest, RenamedParentRetargetsItsChildren) {
  const SchemaDiff diff =
      Diff(dialect::PostgresDialect(), {Authors(), Books()}, {Authors("writers"), Books("writers")},
           {.table_renames = {{"authors", "writers"}}});
  EXPECT_THAT(diff.Describe(dialect::PostgresDialect()),
              ElementsAre("rename table \"authors\" to \"writers\""));
  ASSERT_EQ(diff.changed_tables.size(), 1u);
  EXPECT_EQ(diff.changed_tables[0].renamed_from, "authors");
  // Without the declaration: a new table, a dropped one, and the child's
  // key moving between them.
  EXPECT_THAT(
      Diff(dialect::PostgresDialect(), {Authors(), Books()}, {Authors("writers"), Books("writers")})
          .Describe(dialect::PostgresDialect()),
      ElementsAre("create table \"writers\"",
                  "drop foreign key \"books\" (\"author_id\") -> \"authors\" (\"id\")",
                  "add foreign key \"books\" (\"author_id\") -> \"writers\" (\"id\")",
                  "drop table \"authors\""));
}

TEST(DiffTest, PrimaryKeyChangesAndRenamedKeyColumns) {
  TableDef tags("book_tags");
  tags.AddColumn(
          {.name = "book_id", .type = SqlType::Integer(), .nullable = false, .primary_key = true})
      .AddColumn({.name = "tag", .type = SqlType::Text(), .nullable = false});
  TableDef composite = tags;
  composite.primary_key = {"book_id", "tag"};
  EXPECT_THAT(
      Diff(dialect::PostgresDialect(), {tags}, {composite}).Describe(dialect::PostgresDialect()),
      ElementsAre("change primary key of \"book_tags\": (\"book_id\") -> "
                  "(\"book_id\", \"tag\")"));
  TableDef renamed = tags;
  renamed.columns[0].name = "title_id";
  EXPECT_THAT(Diff(dialect::PostgresDialect(), {tags}, {renamed},
                   {.column_renames = {{{"book_tags", "book_id"}, "title_id"}}})
                  .Describe(dialect::PostgresDialect()),
              ElementsAre("rename column \"book_tags\".\"book_id\" to \"title_id\""));
}

TEST(DependencyOrderTest, ParentsFirstAndCyclesBroken) {
  TableDef a("a"), b("b");
  a.foreign_keys.push_back({.columns = {"b_id"}, .referenced_table = "b"});
  b.foreign_keys.push_back({.columns = {"a_id"}, .referenced_table = "a"});
  const std::vector<TableDef> tables = {Books(), Authors(), a, b};
  std::vector<std::string> names;
  for (const TableDef* table : DependencyOrder(tables)) names.push_back(table->name);
  EXPECT_THAT(names, ElementsAre("authors", "books", "a", "b"));
  EXPECT_THAT(DependencyOrder({}), IsEmpty());
}

// ---- Native enum types (PostgreSQL) and uuid columns

TEST(DiffTest, EnumTypeTheSchemaLacksIsCreated) {
  SchemaDiff diff;
  DiffEnums({}, {{"public.mood", {"sad", "it's ok"}}}, diff);
  EXPECT_FALSE(diff.empty());
  EXPECT_THAT(diff.Describe(dialect::PostgresDialect()),
              ElementsAre("create enum type public.mood ('sad', 'it''s ok')"));
}

TEST(DiffTest, EnumLabelsAreAddedInTheDeclaredPlaces) {
  SchemaDiff diff;
  DiffEnums({{"public.mood", {"sad", "ok", "happy"}}},
            {{"public.mood", {"awful", "glum", "sad", "ok", "content", "happy", "elated"}}}, diff);
  EXPECT_THAT(diff.enum_conflicts, IsEmpty());
  ASSERT_EQ(diff.added_enum_labels.size(), 4u);
  // Ahead of the first label: each before it, which keeps their order.
  EXPECT_EQ(diff.added_enum_labels[0].label, "awful");
  EXPECT_EQ(diff.added_enum_labels[0].before, "sad");
  EXPECT_EQ(diff.added_enum_labels[1].label, "glum");
  EXPECT_EQ(diff.added_enum_labels[1].before, "sad");
  EXPECT_EQ(diff.added_enum_labels[2].after, "ok");
  EXPECT_EQ(diff.added_enum_labels[3].after, "happy");
  EXPECT_THAT(diff.Describe(dialect::PostgresDialect()),
              ElementsAre("add label 'awful' to enum type public.mood",
                          "add label 'glum' to enum type public.mood",
                          "add label 'content' to enum type public.mood",
                          "add label 'elated' to enum type public.mood"));
}

TEST(DiffTest, EnumLabelsThatAgreeDiffToNothing) {
  SchemaDiff diff;
  // A live type the models do not declare is someone else's: left alone.
  DiffEnums({{"public.mood", {"sad", "ok"}}, {"public.other", {"x"}}},
            {{"public.mood", {"sad", "ok"}}}, diff);
  EXPECT_TRUE(diff.empty());
}

TEST(DiffTest, AnEnumLabelDroppedOrMovedIsAConflictNotASilentDrop) {
  SchemaDiff dropped;
  DiffEnums({{"public.mood", {"sad", "ok", "happy"}}}, {{"public.mood", {"sad", "happy"}}},
            dropped);
  ASSERT_EQ(dropped.enum_conflicts.size(), 1u);
  EXPECT_THAT(dropped.enum_conflicts[0],
              ::testing::HasSubstr("enum type public.mood: label 'ok' is in the database but not "
                                   "declared"));
  EXPECT_THAT(dropped.added_enum_labels, IsEmpty());
  EXPECT_FALSE(dropped.empty());

  SchemaDiff moved;
  DiffEnums({{"public.mood", {"sad", "ok"}}}, {{"public.mood", {"ok", "sad"}}}, moved);
  ASSERT_EQ(moved.enum_conflicts.size(), 1u);
  EXPECT_THAT(moved.enum_conflicts[0], ::testing::HasSubstr("declared in another order"));
}

TEST(DiffTest, UuidColumnsSpelledPerDialect) {
  TableDef live("t");
  live.AddColumn({.name = "id", .type = SqlType::Text(), .nullable = false, .primary_key = true});
  TableDef model("t");
  model.AddColumn({.name = "id", .type = SqlType::Uuid(), .nullable = false, .primary_key = true});
  EXPECT_THAT(
      Diff(dialect::PostgresDialect(), {live}, {model}).Describe(dialect::PostgresDialect()),
      ElementsAre(::testing::HasSubstr("type text -> uuid")));
  EXPECT_THAT(Diff(dialect::SqliteDialect(), {live}, {model}).Describe(dialect::SqliteDialect()),
              ElementsAre(::testing::HasSubstr("type TEXT -> CHAR(32)")));
  EXPECT_TRUE(Diff(dialect::PostgresDialect(), {model}, {model}).empty());
}

}  // namespace
}  // namespace duo::migrate
