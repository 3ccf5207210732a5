// JSON members against what the database holds, on SQLite and PostgreSQL:
// SQL NULL and JSON null map to std::optional the way SQLAlchemy's JSON
// type sees them, numbers keep their spelling where the column keeps text,
// and what nlohmann::json cannot hold is an error naming the column. Every
// expectation about storage reads the database's own text, not DuoORM
// reading itself. docs/types.md ("Sharing a database with other clients")
// states the rules.

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "duo/engine/error.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"
#include "duo/query/testdata/model_table_test.h"
#include "duo/session/database.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/database.h"
#include "testing/status.h"

namespace json_storage {

struct Document : duo::Model<Document> {
  int64_t id = 0;
  nlohmann::json doc;                   // DuoORM's own: jsonb / JSON_TEXT
  std::optional<nlohmann::json> maybe;  // nullable, likewise
  std::optional<nlohmann::json> loose;  // declared JSON, as SQLAlchemy's create_all does
  std::vector<int64_t> tags;            // bigint[] / a JSON array in ARRAY_TEXT
  std::optional<std::vector<int64_t>> maybe_tags;

  static duo::Schema<Document> Table() {
    return duo::Schema<Document>("json_documents")
        .Column(&Document::id, "id", duo::PrimaryKey())
        .Column(&Document::doc, "doc")
        .Column(&Document::maybe, "maybe")
        // PostgreSQL's json keeps the text as written; on SQLite the type
        // name JSON has NUMERIC affinity.
        .Column(&Document::loose, "loose", duo::Type(duo::sql::SqlType::Custom("JSON")))
        .Column(&Document::tags, "tags")
        .Column(&Document::maybe_tags, "maybe_tags");
  }
};

namespace {

using ::duo::sql::Text;
using ::testing::HasSubstr;

class JsonStorageTest : public duo::query_testing::ModelTableTest<Document> {
 protected:
  // Stores a row the way another client does: JSON as text parameters,
  // typed by the column (so `doc` gets 'null', not SQL NULL).
  void InsertRaw(int64_t id, const std::string& doc, std::optional<std::string> maybe,
                 std::optional<std::string> loose, std::optional<std::string> maybe_tags) {
    auto text_or_null = [](const std::optional<std::string>& text) {
      return text ? duo::sql::Value(*text) : duo::sql::Value();
    };
    // An array parameter is a native array on PostgreSQL and JSON text on
    // SQLite; JSON null only exists in the latter.
    duo::sql::Value tags = duo::sql::Value(duo::sql::Array{});
    DUO_ASSERT_OK(
        db_->Execute(Text("INSERT INTO json_documents (id, doc, maybe, loose, tags, "
                          "maybe_tags) VALUES (:id, :doc, :maybe, :loose, :tags, :mt)")
                         .Bind("id", id)
                         .Bind("doc", doc)
                         .Bind("maybe", text_or_null(maybe))
                         .Bind("loose", text_or_null(loose))
                         .Bind("tags", tags)
                         .Bind("mt", maybe_tags && !sqlite() ? tags : text_or_null(maybe_tags)))
            .status());
  }

  // What the database itself says column `column` of row `id` holds.
  std::optional<std::string> StoredText(int64_t id, absl::string_view column) {
    absl::StatusOr<duo::Result> rows = db_->Execute(
        Text(absl::StrCat("SELECT CAST(", column, " AS TEXT) FROM json_documents WHERE id = :id"))
            .Bind("id", id));
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return std::nullopt;
    absl::StatusOr<std::optional<std::string>> text = rows->Get<std::optional<std::string>>(0, 0);
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? *text : std::nullopt;
  }
  std::string StoredType(int64_t id, absl::string_view column) {
    const std::string type =
        sqlite() ? absl::StrCat("typeof(", column, ")")
                 : absl::StrCat("CASE WHEN ", column, " IS NULL THEN 'null' ELSE 'text' END");
    absl::StatusOr<duo::Result> rows = db_->Execute(
        Text(absl::StrCat("SELECT ", type, " FROM json_documents WHERE id = :id")).Bind("id", id));
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return "";
    return *rows->Get<std::string>(0, 0);
  }
};

TEST_P(JsonStorageTest, JsonNullFromAnotherClientIsNulloptInAnOptional) {
  // SQLAlchemy's JSON writes None as the text null and reads it as None.
  InsertRaw(1, "null", "null", " null ", std::nullopt);
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Document> read, Document::Get(1));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->maybe, std::nullopt);  // was a present JSON null
  EXPECT_EQ(read->loose, std::nullopt);
  // A plain nlohmann::json has no "absent": it holds the document null.
  EXPECT_EQ(read->doc, nlohmann::json(nullptr));

  // SQL NULL is nullopt as before.
  InsertRaw(2, "{}", std::nullopt, std::nullopt, std::nullopt);
  DUO_ASSERT_OK_AND_ASSIGN(read, Document::Get(2));
  EXPECT_EQ(read->maybe, std::nullopt);
  EXPECT_EQ(read->loose, std::nullopt);
}

TEST_P(JsonStorageTest, NulloptIsSqlNullAndAJsonNullIsStoredAsWritten) {
  DUO_ASSERT_OK_AND_ASSIGN(Document none, Document::Create(Document{.doc = nullptr}));
  EXPECT_EQ(StoredType(none.id, "maybe"), "null");
  EXPECT_EQ(StoredText(none.id, "doc"), "null");
  DUO_ASSERT_OK_AND_ASSIGN(
      Document json_null, Document::Create(Document{.doc = {1}, .maybe = nlohmann::json(nullptr)}));
  EXPECT_EQ(StoredText(json_null.id, "maybe"), "null");
  // Read back as SQLAlchemy reads it: no value.
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Document> read, Document::Get(json_null.id));
  EXPECT_EQ(read->maybe, std::nullopt);
}

TEST_P(JsonStorageTest, ArraysHoldingJsonNull) {
  if (!sqlite()) {
    // PostgreSQL arrays are native (SQLAlchemy's ARRAY): no JSON null, and
    // SQL NULL is nullopt.
    InsertRaw(1, "{}", std::nullopt, std::nullopt, std::nullopt);
    DUO_ASSERT_OK_AND_ASSIGN(std::optional<Document> read, Document::Get(1));
    EXPECT_EQ(read->maybe_tags, std::nullopt);
    return;
  }
  // SQLite keeps arrays as JSON text; SQLAlchemy's JSON writes None as null.
  InsertRaw(1, "{}", std::nullopt, std::nullopt, "null");
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Document> read, Document::Get(1));  // was an error
  EXPECT_EQ(read->maybe_tags, std::nullopt);
  InsertRaw(2, "{}", std::nullopt, std::nullopt, "[1, 2]");
  DUO_ASSERT_OK_AND_ASSIGN(read, Document::Get(2));
  EXPECT_EQ(read->maybe_tags, (std::vector<int64_t>{1, 2}));

  // A plain vector refuses it like SQL NULL, naming the column: an empty
  // array would be a value no client wrote.
  DUO_ASSERT_OK(
      db_->Execute(Text("UPDATE json_documents SET tags = 'null' WHERE id = 2")).status());
  absl::StatusOr<std::optional<Document>> refused = Document::Get(2);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(duo::GetErrorKind(refused.status()), duo::ErrorKind::kDataError);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("\"tags\" holds JSON null"));
}

TEST_P(JsonStorageTest, NumbersKeepTheirSpellingWhereTheColumnKeepsText) {
  const nlohmann::json edge = {{"big", std::numeric_limits<uint64_t>::max()},
                               {"huge", 1e300},
                               {"negative_zero", -0.0},
                               {"tenth", 0.1},
                               {"min", std::numeric_limits<int64_t>::min()}};
  DUO_ASSERT_OK_AND_ASSIGN(Document stored, Document::Create(Document{.doc = edge, .loose = edge}));
  const std::string written = edge.dump();
  // PostgreSQL json and SQLite's TEXT-affinity columns keep the text. It
  // was jsonb's normalized text in a json column: 1e300 as 301 digits.
  EXPECT_EQ(StoredText(stored.id, "loose"), written);
  if (sqlite()) {
    EXPECT_EQ(StoredText(stored.id, "doc"), written);
  } else {
    // jsonb stores numbers as numeric: 1e300 as its digits, -0.0 as 0.0.
    const std::optional<std::string> normalized = StoredText(stored.id, "doc");
    ASSERT_TRUE(normalized.has_value());
    EXPECT_THAT(*normalized, HasSubstr(absl::StrCat("\"huge\": 1", std::string(300, '0'))));
    EXPECT_THAT(*normalized, HasSubstr("\"negative_zero\": 0.0"));
  }
  // Either way DuoORM reads the numbers it wrote: the 301 digits are the
  // double 1e300 exactly as nlohmann writes it.
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Document> read, Document::Get(stored.id));
  EXPECT_EQ(read->loose, edge);
  EXPECT_TRUE(std::signbit((*read->loose)["negative_zero"].get<double>()));
  EXPECT_EQ(read->doc["huge"], nlohmann::json(1e300));
  EXPECT_EQ(read->doc["big"].get<uint64_t>(), std::numeric_limits<uint64_t>::max());
}

TEST_P(JsonStorageTest, IntegersBeyond64BitsAreAnErrorNamingTheColumn) {
  // 2^70, as Python's json writes it: it used to read as a double.
  InsertRaw(1, R"({"n": 1180591620717411303424})", std::nullopt, std::nullopt, std::nullopt);
  absl::StatusOr<std::optional<Document>> read = Document::Get(1);
  ASSERT_FALSE(read.ok()) << (*read)->doc.dump();
  EXPECT_EQ(duo::GetErrorKind(read.status()), duo::ErrorKind::kDataError);
  EXPECT_THAT(std::string(read.status().message()),
              HasSubstr("column \"doc\" holds the integer 1180591620717411303424"));
  // In an array on SQLite (JSON text) too.
  if (sqlite()) {
    InsertRaw(2, "{}", std::nullopt, std::nullopt, "[18446744073709551616]");
    read = Document::Get(2);
    ASSERT_FALSE(read.ok());
    EXPECT_THAT(std::string(read.status().message()), HasSubstr("\"maybe_tags\""));
  }
}

TEST_P(JsonStorageTest, ScalarDocumentsStoredAsNumbersReadAsJsonNumbers) {
  // SQLAlchemy's create_all declares JSON, which has NUMERIC affinity on
  // SQLite: the documents 42 and 3.5 are stored as INTEGER and REAL.
  InsertRaw(1, "{}", std::nullopt, "42", std::nullopt);
  InsertRaw(2, "{}", std::nullopt, "3.5", std::nullopt);
  InsertRaw(3, "{}", std::nullopt, R"("42")", std::nullopt);
  if (sqlite()) {
    EXPECT_EQ(StoredType(1, "loose"), "integer");
    EXPECT_EQ(StoredType(2, "loose"), "real");
  }
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Document> read, Document::Get(1));  // was an error
  EXPECT_EQ(read->loose, nlohmann::json(42));
  DUO_ASSERT_OK_AND_ASSIGN(read, Document::Get(2));
  EXPECT_EQ(read->loose, nlohmann::json(3.5));
  DUO_ASSERT_OK_AND_ASSIGN(read, Document::Get(3));
  EXPECT_EQ(read->loose, nlohmann::json("42"));
}

DUO_INSTANTIATE_BACKEND_TEST(JsonStorageTest);

}  // namespace
}  // namespace json_storage
