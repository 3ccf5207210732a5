// JSON shared with SQLAlchemy (testing/interop/json_values.py), on SQLite and
// PostgreSQL: each side writes the same edge values (JSON null and SQL NULL,
// 2^64-1, 2^70, 1e300, -0.0, 0.1, nesting, unicode, arrays with null) into a
// table made by DuoORM and one made by SQLAlchemy's create_all, and reads
// the other's. Each side checks against what the other wrote, never against
// its own reading of its own rows; docs/types.md ("Sharing a database with
// other clients", JSON) states the mapping checked here.

#include "nlohmann/json.hpp"

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"
#include "duo/session/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/python_client.h"
#include "testing/status.h"

namespace json_interop {

inline constexpr const char* kTableNames[] = {"duo_docs", "sa_docs"};

// One model per table, declared the same way; only duo_docs is created by
// DuoORM (jsonb / JSON_TEXT, json / JSON for `loose`, bigint[] / ARRAY_TEXT).
template <int kTable>
struct Doc : duo::Model<Doc<kTable>> {
  int64_t id = 0;
  nlohmann::json doc;
  std::optional<nlohmann::json> maybe;
  std::optional<nlohmann::json> loose;
  std::optional<std::vector<std::optional<int64_t>>> tags;

  static duo::Schema<Doc> Table() {
    return duo::Schema<Doc>(kTableNames[kTable])
        .Column(&Doc::id, "id", duo::PrimaryKey())
        .Column(&Doc::doc, "doc")
        .Column(&Doc::maybe, "maybe")
        .Column(&Doc::loose, "loose", duo::Type(duo::sql::SqlType::Custom("JSON")))
        .Column(&Doc::tags, "tags");
  }
};

namespace {

using ::duo::testing::Backend;
using ::duo::testing::RunPythonClient;
using ::testing::HasSubstr;

nlohmann::json Nested(int levels) {
  nlohmann::json value = {{"k", {1, nullptr}}};
  for (int i = 0; i < levels; ++i) value = nlohmann::json::array({std::move(value)});
  return value;
}

// The values of json_values.py's CASES 2-8 (1 is no value; 9, 2^70, only
// SQLAlchemy can write).
nlohmann::json CaseValue(int number) {
  switch (number) {
    case 2:
      return std::numeric_limits<uint64_t>::max();
    case 3:
      return 1e300;
    case 4:
      return -0.0;
    case 5:
      return 0.1;
    case 6:
      return Nested(40);
    case 7:
      return {{"\u00e9", "\u00fc \u2713 \U0001F600 \"q\" \\ \n"}};
    case 8:
      return nlohmann::json::parse(R"([1, null, "x", {"a": null}, []])");
    default:
      return nullptr;
  }
}

std::optional<std::vector<std::optional<int64_t>>> CaseTags(int number) {
  if (number == 1) return std::nullopt;
  if (number == 8) {
    return std::vector<std::optional<int64_t>>{1, std::nullopt,
                                               std::numeric_limits<int64_t>::max()};
  }
  return std::vector<std::optional<int64_t>>{};
}

// How a column keeps a document. SQLite's JSON_TEXT and PostgreSQL's json
// keep the text; jsonb keeps numbers as numeric (-0.0 becomes 0.0); a
// column SQLite sees as NUMERIC (the type name JSON) turns a document that
// is one number into an INTEGER or REAL (-0.0 into 0, 2^64-1 into a REAL).
enum class Storage { kText, kJsonb, kNumeric };

Storage StorageOf(Backend backend, int table, absl::string_view column) {
  if (backend == Backend::kSqlite) {
    return table == 0 && column != "loose" ? Storage::kText : Storage::kNumeric;
  }
  return column == "loose" ? Storage::kText : Storage::kJsonb;
}

// What DuoORM must read of SQLAlchemy's case `number` in a column stored as
// `storage`, as nlohmann writes it (a dump tells -0.0 from 0 and 1e19 from
// 2^64-1, which nlohmann's == does not).
std::string Expected(int number, Storage storage) {
  if (storage == Storage::kNumeric) {
    if (number == 2) return "1.8446744073709552e+19";
    if (number == 4) return "0";
    if (number == 9) return "1.1805916207174113e+21";
  }
  if (storage == Storage::kJsonb && number == 4) return "0.0";
  return CaseValue(number).dump();
}

class JsonInteropTest : public duo::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    absl::StatusOr<duo::Database> db = duo::Database::Open(database().direct_url());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::make_unique<duo::Database>(*db);
    duo::Models::Default().Bind(*db_);
    DUO_ASSERT_OK(duo::Models::CreateTables(*db_, {&duo::MetaOf<Doc<0>>()}));
  }
  void TearDown() override {
    duo::Models::Default().Unbind();
    db_.reset();
    BackendTest::TearDown();
  }

  absl::StatusOr<std::string> Python(const char* mode) {
    return RunPythonClient(
        "testing/interop/json_values.py",
        {std::string(duo::testing::BackendName(backend())), database().native_target(), mode});
  }

  template <int kTable>
  void Write() {
    for (int number = 1; number <= 8; ++number) {
      Doc<kTable> row;
      row.id = number;
      row.doc = CaseValue(number);
      if (number != 1) row.maybe = row.loose = CaseValue(number);
      row.tags = CaseTags(number);
      absl::StatusOr<Doc<kTable>> created = Doc<kTable>::Create(row);
      DUO_ASSERT_OK(created.status());
      EXPECT_EQ(created->id, number);
    }
  }

  template <int kTable>
  void CheckSqlalchemyRows() {
    SCOPED_TRACE(kTableNames[kTable]);
    auto check = [&](int number, absl::string_view column,
                     const std::optional<nlohmann::json>& read) {
      SCOPED_TRACE(absl::StrCat(column, " case ", number));
      if (number == 1) {
        // SQLAlchemy wrote None as JSON null: no value in an optional, the
        // document null in a plain nlohmann::json.
        if (column == "doc") {
          EXPECT_EQ(read, nlohmann::json(nullptr));
        } else {
          EXPECT_EQ(read, std::nullopt);
        }
        return;
      }
      ASSERT_TRUE(read.has_value());
      EXPECT_EQ(read->dump(), Expected(number, StorageOf(backend(), kTable, column)));
    };
    for (int number = 1; number <= 9; ++number) {
      absl::StatusOr<std::optional<Doc<kTable>>> read = Doc<kTable>::Get(100 + number);
      if (number == 9 && StorageOf(backend(), kTable, "doc") != Storage::kNumeric) {
        // 2^70 as written: nlohmann::json could only round it.
        ASSERT_FALSE(read.ok()) << (*read)->doc.dump();
        EXPECT_THAT(std::string(read.status().message()),
                    HasSubstr("column \"doc\" holds the integer 1180591620717411303424"));
        continue;
      }
      DUO_ASSERT_OK(read.status());
      ASSERT_TRUE(read->has_value()) << number;
      const Doc<kTable>& row = **read;
      check(number, "doc", row.doc);
      check(number, "maybe", row.maybe);
      check(number, "loose", row.loose);
      EXPECT_EQ(row.tags, CaseTags(number == 9 ? 2 : number)) << "tags case " << number;
    }
  }

  std::unique_ptr<duo::Database> db_;
};

TEST_P(JsonInteropTest, EdgeValuesReadTheSameOnBothSides) {
  // SQLAlchemy makes sa_docs and writes rows 101-109 into both tables.
  DUO_ASSERT_OK_AND_ASSIGN(std::string setup, Python("setup"));
  ASSERT_EQ(setup, "[]\n");
  Write<0>();
  Write<1>();

  CheckSqlalchemyRows<0>();
  CheckSqlalchemyRows<1>();

  // SQLAlchemy reads DuoORM's rows 1-8 as it reads its own.
  DUO_ASSERT_OK_AND_ASSIGN(std::string problems, Python("check"));
  EXPECT_EQ(problems, "[]\n");
}

// SQLite and PostgreSQL: the Python clients these tests compare with are
// sqlite3 and psycopg; no MySQL client for Python is installed here.
INSTANTIATE_TEST_SUITE_P(
    Backends, JsonInteropTest,
    ::testing::ValuesIn(::duo::testing::SelectedBackends({::duo::testing::Backend::kSqlite,
                                                          ::duo::testing::Backend::kPostgres})),
    ::duo::testing::BackendParamName);

}  // namespace
}  // namespace json_interop
