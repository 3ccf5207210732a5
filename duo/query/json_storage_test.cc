// JSON members against what the database holds, on SQLite and PostgreSQL:
// SQL NULL and JSON null map to std::optional the way SQLAlchemy's JSON
// type sees them, numbers keep their spelling where the column keeps text,
// and what nlohmann::json cannot hold is an error naming the column. Every
// expectation about storage reads the database's own text, not DuoORM
// reading itself. docs/types.md ("Sharing a database with other clients")
// states the rules.

#include <algorithm>
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
#include "duo/sql/json.h"
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
        .Column(&Document::maybe_tags, "maybe_tags")
        // PostgreSQL's: left out of SQLite's DDL (ddl.h).
        .GinIndex("json_documents_doc_gin", {"doc"})
        .GinIndex("json_documents_tags_gin", {"tags"});
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

// ---- Queries inside documents and arrays (duo/sql/json.h) ---------------------
//
// Each query's rows are checked against an oracle: the same question asked
// of the stored values in plain C++ (nlohmann::json, std::vector), following
// json.h's definitions; containment follows PostgreSQL's documented rules
// for jsonb @>.

namespace oracle {

using ::duo::sql::JsonPath;
using ::nlohmann::json;

// The value at `path` (keys into objects, indexes into arrays), or null.
const json* At(const json& doc, const JsonPath& path) {
  const json* at = &doc;
  for (const duo::sql::JsonStep& step : path) {
    if (step.is_index()) {
      if (!at->is_array() || step.index() >= static_cast<int64_t>(at->size())) return nullptr;
      at = &(*at)[static_cast<size_t>(step.index())];
    } else {
      if (!at->is_object()) return nullptr;
      auto it = at->find(step.key());
      if (it == at->end()) return nullptr;
      at = &*it;
    }
  }
  return at;
}

std::optional<std::string> TextAt(const json& doc, const JsonPath& path) {
  const json* at = At(doc, path);
  if (at == nullptr || !at->is_string()) return std::nullopt;
  return at->get<std::string>();
}

std::optional<double> NumberAt(const json& doc, const JsonPath& path) {
  const json* at = At(doc, path);
  if (at == nullptr || !at->is_number()) return std::nullopt;
  return at->get<double>();
}

bool SameScalar(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

// PostgreSQL's jsonb containment (docs: "jsonb Containment and Existence").
bool Contains(const json& a, const json& b, bool top) {
  if (a.is_object()) {
    if (!b.is_object()) return false;
    for (const auto& [key, value] : b.items()) {
      auto it = a.find(key);
      if (it == a.end() || !Contains(*it, value, false)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    // A top-level array contains a primitive it holds.
    if (top && b.is_primitive()) {
      for (const json& element : a) {
        if (element.is_primitive() && SameScalar(element, b)) return true;
      }
      return false;
    }
    if (!b.is_array()) return false;
    for (const json& wanted : b) {
      bool found = false;
      for (const json& element : a) {
        if (wanted.is_primitive()
                ? element.is_primitive() && SameScalar(element, wanted)
                : element.type() == wanted.type() && Contains(element, wanted, false)) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }
  return b.is_primitive() && SameScalar(a, b);
}

}  // namespace oracle

class JsonQueryTest : public JsonStorageTest {
 protected:
  void SetUp() override {
    JsonStorageTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    using nlohmann::json;
    // 300 levels of {"d": ..., "level": n}, under the reader's depth limit.
    json deep = {{"leaf", "bottom"}};
    for (int level = 300; level > 0; --level) deep = {{"d", deep}, {"level", level}};
    json long_list = json::array();
    for (int i = 0; i < 5000; ++i) long_list.push_back(i);
    std::vector<int64_t> many_tags;
    for (int64_t i = 0; i < 10000; ++i) many_tags.push_back(i);
    const std::vector<std::pair<json, std::vector<int64_t>>> rows = {
        {{{"meta", {{"color", "red"}, {"size", 42}}}, {"name", "plain"}}, {1, 2, 3}},
        {{{"meta", {{"color", "blue"}, {"size", 41.5}}}, {"list", {1, 2, 3}}}, {}},
        // Text that looks like numbers is text.
        {{{"meta", {{"color", "NaN"}, {"size", "42"}}}}, {7}},
        {{{"meta", {{"color", "Infinity"}, {"size", nullptr}}}}, {-5, INT64_MAX}},
        {{{"café", {{"ключ", "значение"}}},
          {"🔑", "emoji"},
          {"a.b", "dotted"},
          {"a\"b", "quoted"},
          {"$", "dollar"},
          {"[0]", "bracket"},
          {"it's", "apostrophe"},
          {"", "empty key"}},
         many_tags},
        // An array where the others have an object.
        {{{"meta", {{{"color", "red"}}}}}, {3}},
        // The key "0" next to an array's element 0.
        {{{"list", nlohmann::json::array({"0", "1"})}, {"0", "key zero"}}, {0}},
        {deep, {}},
        {{{"list", long_list}, {"meta", {{"color", "ünïcødé"}, {"size", 9007199254740993}}}}, {}},
        {nullptr, {}},
        {"just text", {}},
        {7, {}},
        {{1, "a", {{"color", "red"}}}, {2}},
        {{{"meta", {{"color", ""}, {"size", -0.0}}}}, {}},
    };
    for (const auto& [doc, tags] : rows) {
      absl::StatusOr<Document> created = Document::Create(Document{.doc = doc, .tags = tags});
      ASSERT_TRUE(created.ok()) << created.status() << " for " << doc.dump();
      docs_.emplace_back(created->id, doc);
      tags_.emplace_back(created->id, tags);
    }
  }

  // The ids of the rows the database finds for `where`, in order.
  std::vector<int64_t> Found(const duo::sql::Expr& where) {
    absl::StatusOr<std::vector<Document>> rows =
        duo::Query<Document>().Where(where).OrderBy("id").All();
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<int64_t> ids;
    if (rows.ok()) {
      for (const Document& row : *rows) ids.push_back(row.id);
    }
    return ids;
  }
  std::vector<int64_t> FoundBy(const std::vector<duo::Filter>& filters) {
    absl::StatusOr<std::vector<Document>> rows =
        duo::Query<Document>().FilterBy(filters).OrderBy("id").All();
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<int64_t> ids;
    if (rows.ok()) {
      for (const Document& row : *rows) ids.push_back(row.id);
    }
    return ids;
  }
  // The ids of the rows whose document satisfies `holds`.
  template <typename Predicate>
  std::vector<int64_t> ExpectedDocs(Predicate holds) const {
    std::vector<int64_t> ids;
    for (const auto& [id, doc] : docs_) {
      if (holds(doc)) ids.push_back(id);
    }
    return ids;
  }
  template <typename Predicate>
  std::vector<int64_t> ExpectedTags(Predicate holds) const {
    std::vector<int64_t> ids;
    for (const auto& [id, tags] : tags_) {
      if (holds(tags)) ids.push_back(id);
    }
    return ids;
  }

  const duo::sql::TypedExpr<nlohmann::json> doc_ = duo::col(&Document::doc);
  const duo::sql::TypedExpr<std::vector<int64_t>> tags_col_ = duo::col(&Document::tags);
  std::vector<std::pair<int64_t, nlohmann::json>> docs_;
  std::vector<std::pair<int64_t, std::vector<int64_t>>> tags_;
};

TEST_P(JsonQueryTest, TextAtAPathMatchesTheOracle) {
  using duo::sql::JsonPath;
  using duo::sql::JsonTextAt;
  const std::vector<std::pair<JsonPath, std::string>> cases = {
      {{"meta", "color"}, "red"}, {{"meta", "color"}, "NaN"},    {{"meta", "color"}, "ünïcødé"},
      {{"meta", "color"}, ""},    {{"meta", "size"}, "42"},      {{"café", "ключ"}, "значение"},
      {{"🔑"}, "emoji"},           {{"a.b"}, "dotted"},           {{"a\"b"}, "quoted"},
      {{"$"}, "dollar"},          {{"[0]"}, "bracket"},          {{"it's"}, "apostrophe"},
      {{""}, "empty key"},        {{"0"}, "key zero"},           {{"list", 0}, "0"},
      {{"list", 1}, "1"},         {{"meta", 0, "color"}, "red"}, {{2, "color"}, "red"},
      {{"name"}, "plain"},
  };
  for (const auto& [path, text] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Found(JsonTextAt(doc_, path) == text), ExpectedDocs([&](const nlohmann::json& doc) {
                return oracle::TextAt(doc, path) == text;
              }));
  }
  const JsonPath color = {"meta", "color"};
  EXPECT_EQ(Found(JsonTextAt(doc_, color).IsNotNull()),
            ExpectedDocs([&](const nlohmann::json& doc) { return oracle::TextAt(doc, color); }));
  // A number is not text: size 42 is not "42".
  EXPECT_EQ(Found(JsonTextAt(doc_, {"meta", "size"}).IsNotNull()).size(), 1u);
}

TEST_P(JsonQueryTest, NumberAtAPathMatchesTheOracle) {
  using duo::sql::JsonNumberAt;
  using duo::sql::JsonPath;
  const JsonPath size = {"meta", "size"};
  for (const double bound : {-1.0, 0.0, 41.0, 41.5, 42.0, 1e15}) {
    SCOPED_TRACE(bound);
    EXPECT_EQ(Found(JsonNumberAt(doc_, size) > bound), ExpectedDocs([&](const nlohmann::json& doc) {
                std::optional<double> number = oracle::NumberAt(doc, size);
                return number && *number > bound;
              }));
  }
  EXPECT_EQ(Found(JsonNumberAt(doc_, size).IsNotNull()),
            ExpectedDocs([&](const nlohmann::json& doc) { return oracle::NumberAt(doc, size); }));
  // The 4,999th element of a long array; a level 40 objects down.
  const JsonPath last = {"list", 4999};
  EXPECT_EQ(Found(JsonNumberAt(doc_, last) == 4999),
            ExpectedDocs([&](const nlohmann::json& doc) { return oracle::NumberAt(doc, last); }));
  JsonPath deep(40, duo::sql::JsonStep("d"));
  deep.emplace_back("level");
  const std::vector<int64_t> found = Found(JsonNumberAt(doc_, deep) == 41);
  EXPECT_EQ(found, ExpectedDocs([&](const nlohmann::json& doc) {
              return oracle::NumberAt(doc, deep) == 41.0;
            }));
  EXPECT_EQ(found.size(), 1u);
}

TEST_P(JsonQueryTest, KeyExistenceMatchesTheOracle) {
  using duo::sql::JsonHasKey;
  using duo::sql::JsonPath;
  const std::vector<std::pair<JsonPath, std::string>> cases = {
      {{}, "meta"}, {{"meta"}, "size"}, {{}, "0"},  {{}, "a.b"},     {{}, "a\"b"}, {{}, ""},
      {{}, "🔑"},    {{"café"}, "ключ"}, {{}, "ab"}, {{"list"}, "0"}, {{}, "1"},
  };
  for (const auto& [path, key] : cases) {
    SCOPED_TRACE(key);
    EXPECT_EQ(Found(JsonHasKey(doc_, path, key)), ExpectedDocs([&](const nlohmann::json& doc) {
                const nlohmann::json* at = oracle::At(doc, path);
                return at != nullptr && at->is_object() && at->contains(key);
              }));
  }
}

TEST_P(JsonQueryTest, ContainmentOnPostgresAndANamedErrorOnSqlite) {
  const std::vector<nlohmann::json> fragments = {
      {{"meta", {{"color", "red"}}}},
      {{"meta", {{"size", 42.0}}}},
      {{"list", {3, 1}}},
      nlohmann::json::object(),
      {{"meta", {{{"color", "red"}}}}},
      {1},
      "a",
      {{"café", {{"ключ", "значение"}}}},
  };
  for (const nlohmann::json& fragment : fragments) {
    SCOPED_TRACE(fragment.dump());
    const duo::sql::Expr where = duo::sql::JsonContains(doc_, duo::sql::JsonText{fragment.dump()});
    if (sqlite()) {
      absl::StatusOr<std::vector<Document>> rows = duo::Query<Document>().Where(where).All();
      EXPECT_EQ(rows.status().code(), absl::StatusCode::kUnimplemented);
      EXPECT_THAT(rows.status().message(), HasSubstr("sqlite does not support JSON containment"));
      continue;
    }
    EXPECT_EQ(Found(where), ExpectedDocs([&](const nlohmann::json& doc) {
                return oracle::Contains(doc, fragment, true);
              }));
  }
}

// The GIN indexes the model declares serve containment, key existence and
// array containment and overlap on PostgreSQL: with sequential scans priced
// out, its planner reads them for each operator, as compiled. SQLite has no
// GIN: its tables were created without them.
TEST_P(JsonQueryTest, GinIndexesServeTheOperatorsOnPostgres) {
  if (sqlite()) {
    absl::StatusOr<duo::Result> indexes = db_->Execute(
        Text("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%_gin'"));
    DUO_ASSERT_OK(indexes.status());
    EXPECT_EQ(indexes->Scalar<int64_t>().value(), 0);
    return;
  }
  duo::sql::Array some_tags;
  some_tags.elements = {duo::sql::Value(int64_t{3}), duo::sql::Value(int64_t{7})};
  const std::vector<std::pair<duo::sql::Expr, std::string>> uses = {
      {duo::sql::JsonContains(doc_, duo::sql::JsonText{R"({"meta": {"color": "red"}})"}),
       "json_documents_doc_gin"},
      {duo::sql::JsonHasKey(doc_, {}, "meta"), "json_documents_doc_gin"},
      {duo::sql::ArrayContains(tags_col_, some_tags), "json_documents_tags_gin"},
      {duo::sql::ArrayOverlaps(tags_col_, some_tags), "json_documents_tags_gin"},
  };
  for (const auto& [where, index] : uses) {
    const duo::sql::Select select = duo::Query<Document>().Where(where).Alchemize();
    absl::StatusOr<duo::dialect::CompiledStatement> compiled = db_->Compile(select);
    DUO_ASSERT_OK(compiled.status());
    SCOPED_TRACE(compiled->sql);
    std::string plan;
    DUO_ASSERT_OK(db_->Transaction([&](duo::Session& session) -> absl::Status {
      DUO_RETURN_IF_ERROR(session.ExecuteScript("SET LOCAL enable_seqscan = off"));
      return session.Read(
          duo::dialect::CompiledStatement{"EXPLAIN " + compiled->sql, compiled->params},
          [&](duo::engine::Cursor& rows) -> absl::Status {
            while (true) {
              DUO_ASSIGN_OR_RETURN(bool more, rows.Next());
              if (!more) return absl::OkStatus();
              DUO_ASSIGN_OR_RETURN(absl::string_view line, rows.GetText(0));
              absl::StrAppend(&plan, line, "\n");
            }
          });
    }));
    EXPECT_THAT(plan, HasSubstr(index)) << plan;
  }
  // The found rows stay the oracle's (ContainmentOnPostgres..., ArrayOperators...).
  EXPECT_EQ(Found(duo::sql::ArrayOverlaps(tags_col_, some_tags)),
            ExpectedTags([](const std::vector<int64_t>& tags) {
              return std::find(tags.begin(), tags.end(), 3) != tags.end() ||
                     std::find(tags.begin(), tags.end(), 7) != tags.end();
            }));
}

TEST_P(JsonQueryTest, ArrayOperatorsMatchTheOracle) {
  using duo::sql::Array;
  using duo::sql::Value;
  auto has = [](const std::vector<int64_t>& tags, int64_t value) {
    return std::find(tags.begin(), tags.end(), value) != tags.end();
  };
  const std::vector<std::vector<int64_t>> sets = {{1, 2},          {},  {3, 7}, {9999},
                                                  {INT64_MAX, -5}, {42}};
  for (const std::vector<int64_t>& set : sets) {
    SCOPED_TRACE(set.size());
    Array values;
    for (int64_t value : set) values.elements.emplace_back(value);
    EXPECT_EQ(Found(duo::sql::ArrayContains(tags_col_, values)),
              ExpectedTags([&](const std::vector<int64_t>& tags) {
                return std::all_of(set.begin(), set.end(),
                                   [&](int64_t value) { return has(tags, value); });
              }));
    EXPECT_EQ(Found(duo::sql::ArrayOverlaps(tags_col_, values)),
              ExpectedTags([&](const std::vector<int64_t>& tags) {
                return std::any_of(set.begin(), set.end(),
                                   [&](int64_t value) { return has(tags, value); });
              }));
  }
  for (const int64_t value : {int64_t{0}, int64_t{3}, int64_t{9999}, INT64_MAX, int64_t{-5}}) {
    SCOPED_TRACE(value);
    EXPECT_EQ(Found(duo::sql::ArrayHas(tags_col_, Value(value))),
              ExpectedTags([&](const std::vector<int64_t>& tags) { return has(tags, value); }));
  }
  for (const int64_t length : {0, 1, 2, 3, 10000}) {
    SCOPED_TRACE(length);
    EXPECT_EQ(Found(duo::sql::ArrayLength(tags_col_) == length),
              ExpectedTags([&](const std::vector<int64_t>& tags) {
                return static_cast<int64_t>(tags.size()) == length;
              }));
  }
}

TEST_P(JsonQueryTest, FilterByPathsReadKeysInsideJsonColumns) {
  using duo::sql::JsonPath;
  const JsonPath color = {"meta", "color"};
  const JsonPath size = {"meta", "size"};
  EXPECT_EQ(FoundBy({{"doc.meta.color", "red"}}), ExpectedDocs([&](const nlohmann::json& doc) {
              return oracle::TextAt(doc, color) == "red";
            }));
  EXPECT_EQ(FoundBy({{"doc.meta.size", 42}}), ExpectedDocs([&](const nlohmann::json& doc) {
              return oracle::NumberAt(doc, size) == 42.0;
            }));
  EXPECT_EQ(FoundBy({{"doc.meta.size", 41.5}}), ExpectedDocs([&](const nlohmann::json& doc) {
              return oracle::NumberAt(doc, size) == 41.5;
            }));
  // NULL: the key is missing (a key holding JSON null is present).
  EXPECT_EQ(FoundBy({{"doc.meta.size", std::nullopt}}),
            ExpectedDocs([&](const nlohmann::json& doc) {
              const nlohmann::json* meta = oracle::At(doc, {"meta"});
              return meta == nullptr || !meta->is_object() || !meta->contains("size");
            }));
  EXPECT_EQ(FoundBy({{"doc.café.ключ", "значение"}}).size(), 1u);
  // Segments are keys, never indexes: "list.0" is the key "0" of list,
  // which no row has (one row's list is an array whose element 0 is "0").
  EXPECT_THAT(FoundBy({{"doc.list.0", "0"}}), ::testing::IsEmpty());

  absl::StatusOr<std::vector<Document>> boolean =
      duo::Query<Document>().FilterBy({{"doc.meta.color", true}}).All();
  EXPECT_EQ(boolean.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(boolean.status().message(), HasSubstr("json_documents.doc"));
  // Only JSON columns are read into: "tags.x" is still an unknown
  // relationship.
  absl::StatusOr<std::vector<Document>> array =
      duo::Query<Document>().FilterBy({{"tags.x", 1}}).All();
  EXPECT_EQ(array.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(array.status().message(), HasSubstr("no relationship \"tags\""));
}

// A model whose column name holds a dot beside a JSON column: the paths
// that could name either are refused (the query never reaches the table).
struct Dotted : duo::Model<Dotted> {
  int64_t id = 0;
  nlohmann::json doc;
  std::string doc_color;

  static duo::Schema<Dotted> Table() {
    return duo::Schema<Dotted>("dotted")
        .Column(&Dotted::id, "id", duo::PrimaryKey())
        .Column(&Dotted::doc, "doc")
        .Column(&Dotted::doc_color, "doc.color");
  }
};

TEST_P(JsonQueryTest, APathThatCouldNameAColumnWithADotIsAmbiguous) {
  for (const char* path : {"doc.color", "doc.color.shade"}) {
    SCOPED_TRACE(path);
    absl::StatusOr<std::vector<Dotted>> rows = duo::Query<Dotted>().FilterBy({{path, "x"}}).All();
    EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(rows.status().message(), HasSubstr("ambiguous"));
    EXPECT_THAT(rows.status().message(), HasSubstr("\"doc.color\""));
  }
  // A key that no column's name could be is read inside the document.
  const duo::sql::Select select = duo::Query<Dotted>().FilterBy({{"doc.shade", "x"}}).Alchemize();
  EXPECT_TRUE(db_->dialect().Compile(select).ok());
}

DUO_INSTANTIATE_BACKEND_TEST(JsonQueryTest);

}  // namespace
}  // namespace json_storage
