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

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using sql::ColumnDef;
using sql::ReferentialAction;
using sql::SqlType;
using sql::TableDef;

TableDef Authors(const std::string& name = "authors") {
  TableDef table(name);
  table.AddColumn({.name = "id", .type = SqlType::BigInt(), .nullable = false, .primary_key = true,
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
  const SchemaDiff diff = Diff(dialect::SqliteDialect(), {Authors(), Books()}, {Authors(), Books()});
  EXPECT_TRUE(diff.empty());
}

TEST(DiffTest, EveryKindOfChangeInBothSpellings) {
  TableDef books = Books();
  books.columns.erase(books.columns.begin() + 4);  // note
  books.columns[3].type = SqlType::BigInt();       // pages
  books.columns[3].server_default = sql::Text("0");
  books.columns[2].nullable = true;                // title
  books.AddColumn({.name = "isbn", .type = SqlType::Varchar(13), .nullable = false});
  books.uniques.push_back({"", {"isbn"}});
  books.foreign_keys[0].on_delete = ReferentialAction::kRestrict;
  books.indexes.push_back({"books_title_idx", {"title"}, false, sql::Text("title IS NOT NULL")});
  books.checks[0].condition = sql::Text("(pages >= 0)");
  TableDef shelves("shelves");
  shelves.AddColumn({.name = "id", .type = SqlType::Integer(), .nullable = false,
                     .primary_key = true});
  const SchemaDiff diff =
      Diff(dialect::SqliteDialect(), {Authors(), Books(), TableDef("legacy")},
           {Authors(), books, shelves});
  EXPECT_THAT(diff.Describe(dialect::SqliteDialect()),
              ElementsAre("create table \"shelves\"",
                          "add column \"books\".\"isbn\" VARCHAR(13) NOT NULL",
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

TEST(DiffTest, ExpressionsCompareByNormalizedText) {
  TableDef books = Books();
  books.checks[0].condition = sql::Text("((PAGES   >  0))");
  EXPECT_TRUE(Diff(dialect::PostgresDialect(), {Books()}, {books}).empty());
  EXPECT_EQ(NormalizeSqlText(" ((a = 'X  Y')) "), "a = 'X  Y'");
}

TEST(DiffTest, UndeclaredRenamesAreDropsAndAdds) {
  TableDef books = Books();
  books.columns[4].name = "remark";
  EXPECT_THAT(Diff(dialect::SqliteDialect(), {Books()}, {books}).Describe(dialect::SqliteDialect()),
              ElementsAre("add column \"books\".\"remark\" TEXT NULL",
                          "drop column \"books\".\"note\""));
  EXPECT_THAT(Diff(dialect::SqliteDialect(), {Books()}, {books},
                   {.column_renames = {{{"books", "note"}, "remark"}}})
                  .Describe(dialect::SqliteDialect()),
              ElementsAre("rename column \"books\".\"note\" to \"remark\""));
}

// Both databases retarget a child's foreign key when its parent is
// renamed: the child does not change.
TEST(DiffTest, RenamedParentRetargetsItsChildren) {
  const SchemaDiff diff = Diff(dialect::PostgresDialect(), {Authors(), Books()},
                               {Authors("writers"), Books("writers")},
                               {.table_renames = {{"authors", "writers"}}});
  EXPECT_THAT(diff.Describe(dialect::PostgresDialect()),
              ElementsAre("rename table \"authors\" to \"writers\""));
  ASSERT_EQ(diff.changed_tables.size(), 1u);
  EXPECT_EQ(diff.changed_tables[0].renamed_from, "authors");
  // Without the declaration: a new table, a dropped one, and the child's
  // key moving between them.
  EXPECT_THAT(Diff(dialect::PostgresDialect(), {Authors(), Books()},
                   {Authors("writers"), Books("writers")})
                  .Describe(dialect::PostgresDialect()),
              ElementsAre("create table \"writers\"",
                          "drop foreign key \"books\" (\"author_id\") -> \"authors\" (\"id\")",
                          "add foreign key \"books\" (\"author_id\") -> \"writers\" (\"id\")",
                          "drop table \"authors\""));
}

TEST(DiffTest, PrimaryKeyChangesAndRenamedKeyColumns) {
  TableDef tags("book_tags");
  tags.AddColumn({.name = "book_id", .type = SqlType::Integer(), .nullable = false,
                  .primary_key = true})
      .AddColumn({.name = "tag", .type = SqlType::Text(), .nullable = false});
  TableDef composite = tags;
  composite.primary_key = {"book_id", "tag"};
  EXPECT_THAT(Diff(dialect::PostgresDialect(), {tags}, {composite})
                  .Describe(dialect::PostgresDialect()),
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

}  // namespace
}  // namespace duo::migrate
