// DuoORM and SQLAlchemy 1.4 (with psycopg2, and Python's sqlite3) sharing
// UUIDs (alone and in arrays), enums (native on PostgreSQL, by label) , times of day and intervals,
// in a table DuoORM made and in one SQLAlchemy's create_all made, declared
// on the Python side as docs/types.md says (column_types.py: a types.py
// would shadow Python's own types module). Each side's reads
// are checked against the values the other side wrote, spelled out here,
// never against DuoORM reading itself.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"
#include "duo/session/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/database.h"
#include "testing/python_client.h"
#include "testing/status.h"

namespace interop {

enum class Mood { kSad, kOk, kHappy };
enum class Status { kDraft, kActive, kRetired };

}  // namespace interop

// The labels are the Python members' names: SQLAlchemy's Enum(Mood) stores
// names. Native on PostgreSQL, as SQLAlchemy's Enum is, under one name.
template <>
struct duo::sql::EnumTraits<interop::Mood> {
  static constexpr EnumStorage kStorage = EnumStorage::kNative;
  static constexpr std::string_view kTypeName = "thing_mood";
  static constexpr std::pair<interop::Mood, std::string_view> kNames[] = {
      {interop::Mood::kSad, "sad"}, {interop::Mood::kOk, "ok"}, {interop::Mood::kHappy, "happy"}};
};
// The labels are the Python members' values, which Enum(Status,
// values_callable=...) stores.
template <>
struct duo::sql::EnumTraits<interop::Status> {
  static constexpr EnumStorage kStorage = EnumStorage::kText;
  static constexpr std::pair<interop::Status, std::string_view> kNames[] = {
      {interop::Status::kDraft, "draft"},
      {interop::Status::kActive, "active"},
      {interop::Status::kRetired, "retired"}};
};

namespace interop {

// One row shape, twice: the members must be the model's own.
#define INTEROP_THING(Name, table_name)                         \
  struct Name : duo::Model<Name> {                              \
    int64_t id = 0;                                             \
    duo::sql::Uuid ref;                                         \
    duo::sql::TimeOfDay opens;                                  \
    absl::Duration wait;                                        \
    Mood mood = Mood::kOk;                                      \
    Status status = Status::kDraft;                             \
    std::vector<duo::sql::Uuid> refs;                           \
    static duo::Schema<Name> Table() {                          \
      return duo::Schema<Name>(table_name)                      \
          .Column(&Name::id, "id", duo::PrimaryKey())           \
          .Column(&Name::ref, "ref")                            \
          .Column(&Name::opens, "opens")                        \
          .Column(&Name::wait, "wait")                          \
          .Column(&Name::mood, "mood")                          \
          .Column(&Name::status, "status", duo::Length(20))     \
          .Column(&Name::refs, "refs");                         \
    }                                                           \
    friend bool operator==(const Name&, const Name&) = default; \
  }

INTEROP_THING(DuoThing, "duo_things");  // made by DuoORM
INTEROP_THING(SaThing, "sa_things");    // made by SQLAlchemy's create_all

namespace {

using ::duo::sql::TimeOfDay;
using ::duo::sql::Uuid;

// The values both sides write: DuoORM as ids 1-3, column_types.py as 101-103.
struct Edge {
  const char* uuid;
  const char* hex;  // SQLite's stored form
  TimeOfDay opens;
  const char* opens_text;    // Python's isoformat()
  const char* sqlite_opens;  // SQLite's stored text (both writers: six digits)
  const char* pg_opens;      // PostgreSQL's text
  absl::Duration wait;
  int64_t wait_micros;
  const char* sqlite_wait;  // SQLAlchemy's Interval on SQLite
  Mood mood;
  const char* mood_label;
  Status status;
  const char* status_label;
  std::vector<const char*> refs;  // canonical text
  const char* sqlite_refs;        // SQLite's stored JSON (both writers)
  const char* pg_refs;            // PostgreSQL's text of the uuid[]
};

std::vector<Edge> Edges() {
  return {
      {"00000000-0000-0000-0000-000000000000",
       "00000000000000000000000000000000",
       *TimeOfDay::Parse("00:00"),
       "00:00:00",
       "00:00:00.000000",
       "00:00:00",
       absl::ZeroDuration(),
       0,
       "1970-01-01 00:00:00.000000",
       Mood::kSad,
       "sad",
       Status::kDraft,
       "draft",
       {},
       "[]",
       "{}"},
      {"ffffffff-ffff-ffff-ffff-ffffffffffff",
       "ffffffffffffffffffffffffffffffff",
       *TimeOfDay::Parse("23:59:59.999999"),
       "23:59:59.999999",
       "23:59:59.999999",
       "23:59:59.999999",
       absl::Hours(24 * 400) + absl::Microseconds(1),
       34560000000001,
       "1971-02-05 00:00:00.000001",
       Mood::kHappy,
       "happy",
       Status::kActive,
       "active",
       {"ffffffff-ffff-ffff-ffff-ffffffffffff", "00000000-0000-0000-0000-000000000000"},
       R"(["ffffffffffffffffffffffffffffffff","00000000000000000000000000000000"])",
       "{ffffffff-ffff-ffff-ffff-ffffffffffff,00000000-0000-0000-0000-000000000000}"},
      {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
       "a0eebc999c0b4ef8bb6d6bb9bd380a11",
       *TimeOfDay::Parse("12:34:56.5"),
       "12:34:56.500000",
       "12:34:56.500000",
       "12:34:56.5",
       -absl::Hours(26) - absl::Milliseconds(500),
       -93600500000,
       "1969-12-30 21:59:59.500000",
       Mood::kOk,
       "ok",
       Status::kRetired,
       "retired",
       {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
       R"(["a0eebc999c0b4ef8bb6d6bb9bd380a11","a0eebc999c0b4ef8bb6d6bb9bd380a11"])",
       "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"},
  };
}

template <typename T>
T FromEdge(int64_t id, const Edge& edge) {
  T thing;
  thing.id = id;
  thing.ref = *Uuid::Parse(edge.uuid);
  thing.opens = edge.opens;
  thing.wait = edge.wait;
  thing.mood = edge.mood;
  thing.status = edge.status;
  for (const char* ref : edge.refs) thing.refs.push_back(*Uuid::Parse(ref));
  return thing;
}

class TypesInteropTest : public duo::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    absl::StatusOr<duo::Database> db = duo::Database::Open(database().direct_url());
    DUO_ASSERT_OK(db.status());
    db_ = std::make_unique<duo::Database>(*db);
    duo::Models::Default().Bind(*db_);
    DUO_ASSERT_OK(duo::Models::CreateTables(*db_, {&duo::MetaOf<DuoThing>()}));
    DUO_ASSERT_OK(Python({"create"}).status());
  }
  void TearDown() override {
    duo::Models::Default().Unbind();
    db_.reset();
    BackendTest::TearDown();
  }

  bool sqlite() const { return backend() == duo::testing::Backend::kSqlite; }

  absl::StatusOr<std::string> Python(std::vector<std::string> args) {
    args.insert(args.begin() + 1,
                {std::string(duo::testing::BackendName(backend())), database().native_target()});
    return duo::testing::RunPythonClient("testing/interop/column_types.py", args);
  }

  // What column_types.py `read` must print for the rows of both writers.
  nlohmann::json Expected() const {
    nlohmann::json expected = {{"sqlalchemy", nlohmann::json::array()},
                               {"dbapi", nlohmann::json::array()}};
    for (const int64_t base : {0, 100}) {
      int64_t id = base;
      for (const Edge& edge : Edges()) {
        ++id;
        nlohmann::json refs = nlohmann::json::array();
        for (const char* ref : edge.refs) refs.push_back(ref);
        expected["sqlalchemy"].push_back({id, edge.uuid, edge.opens_text, edge.wait_micros,
                                          edge.mood_label, edge.status_label, refs});
        if (sqlite()) {
          expected["dbapi"].push_back({id, edge.hex, edge.sqlite_opens, edge.sqlite_wait,
                                       edge.mood_label, edge.status_label, edge.sqlite_refs});
        } else {
          expected["dbapi"].push_back({id, edge.uuid, edge.pg_opens, edge.wait_micros,
                                       edge.mood_label, edge.status_label, edge.pg_refs, "uuid",
                                       "thing_mood", "uuid[]"});
        }
      }
    }
    return expected;
  }

  template <typename T>
  void BothWritersBothReaders(const std::string& table) {
    // DuoORM writes 1-3.
    int64_t id = 0;
    for (const Edge& edge : Edges()) {
      absl::StatusOr<T> created = T::Create(FromEdge<T>(++id, edge));
      DUO_ASSERT_OK(created.status());
      EXPECT_EQ(created->id, id);
    }
    // SQLAlchemy writes 101-103.
    DUO_ASSERT_OK(Python({"write", table}).status());
    // SQLAlchemy and the DB-API driver read all six as written.
    DUO_ASSERT_OK_AND_ASSIGN(std::string out, Python({"read", table}));
    const nlohmann::json read = nlohmann::json::parse(out);
    const nlohmann::json expected = Expected();
    ASSERT_EQ(read["sqlalchemy"].size(), expected["sqlalchemy"].size()) << out;
    for (size_t i = 0; i < expected["sqlalchemy"].size(); ++i) {
      EXPECT_EQ(read["sqlalchemy"][i], expected["sqlalchemy"][i]) << table;
      EXPECT_EQ(read["dbapi"][i], expected["dbapi"][i]) << table;
    }
    // DuoORM reads SQLAlchemy's rows as SQLAlchemy wrote them.
    id = 100;
    for (const Edge& edge : Edges()) {
      ++id;
      absl::StatusOr<std::optional<T>> loaded = T::Get(id);
      DUO_ASSERT_OK(loaded.status());
      ASSERT_TRUE(loaded->has_value()) << id;
      EXPECT_EQ(**loaded, FromEdge<T>(id, edge)) << table << " row " << id;
    }
    // Filters over rows from both writers find both.
    using duo::col;
    DUO_ASSERT_OK_AND_ASSIGN(int64_t max_uuid,
                             T::Where(col(&T::ref) == *Uuid::Parse("FFFFFFFF-FFFF-FFFF-FFFF-"
                                                                   "FFFFFFFFFFFF"))
                                 .Count());
    EXPECT_EQ(max_uuid, 2);
    DUO_ASSERT_OK_AND_ASSIGN(int64_t happy, T::Where(col(&T::mood) == Mood::kHappy).Count());
    EXPECT_EQ(happy, 2);
    DUO_ASSERT_OK_AND_ASSIGN(int64_t afternoon,
                             T::Where(col(&T::opens) > *TimeOfDay::Parse("12:00")).Count());
    EXPECT_EQ(afternoon, 4);
    DUO_ASSERT_OK_AND_ASSIGN(int64_t retired,
                             T::Where(col(&T::status) == Status::kRetired).Count());
    EXPECT_EQ(retired, 2);
  }

  std::unique_ptr<duo::Database> db_;
};

TEST_P(TypesInteropTest, TableMadeByDuo) { BothWritersBothReaders<DuoThing>("duo_things"); }

TEST_P(TypesInteropTest, TableMadeBySqlalchemy) { BothWritersBothReaders<SaThing>("sa_things"); }

// SQLite and PostgreSQL: the Python clients these tests compare with are
// sqlite3 and psycopg; no MySQL client for Python is installed here.
INSTANTIATE_TEST_SUITE_P(
    Backends, TypesInteropTest,
    ::testing::ValuesIn(::duo::testing::SelectedBackends({::duo::testing::Backend::kSqlite,
                                                          ::duo::testing::Backend::kPostgres})),
    ::duo::testing::BackendParamName);

}  // namespace
}  // namespace interop
