// Types other clients create, through the ORM on SQLite and PostgreSQL
// (and through PgBouncer): UUIDs and arrays of them, native enums, times of
// day, intervals, and string members reading column types the driver has
// no C++ type for.
// Stored forms are checked with the database's own SQL (its text casts,
// pg_typeof, SQLite's time functions), never by DuoORM reading itself back
// alone.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "duo/engine/read.h"
#include "duo/model/json.h"
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

namespace types {

enum class Mood { kSad, kOk, kHappy };
enum class Shade { kLight, kDark };

}  // namespace types

template <>
struct duo::sql::EnumTraits<types::Mood> {
  static constexpr EnumStorage kStorage = EnumStorage::kNative;
  static constexpr std::string_view kTypeName = "ticket_mood";
  static constexpr std::pair<types::Mood, std::string_view> kNames[] = {
      {types::Mood::kSad, "sad"}, {types::Mood::kOk, "ok"}, {types::Mood::kHappy, "happy"}};
};

// A native enum type another client created (the table too: see
// StreamedReadsLookUpCreatedTypesFirst).
template <>
struct duo::sql::EnumTraits<types::Shade> {
  static constexpr EnumStorage kStorage = EnumStorage::kNative;
  static constexpr std::string_view kTypeName = "swatch_shade";
  static constexpr std::pair<types::Shade, std::string_view> kNames[] = {
      {types::Shade::kLight, "light"}, {types::Shade::kDark, "dark"}};
};

namespace types {

struct Ticket : duo::Model<Ticket> {
  int64_t id = 0;
  duo::sql::Uuid ref;
  std::optional<duo::sql::Uuid> parent;
  duo::sql::TimeOfDay opens;
  absl::Duration wait;
  Mood mood = Mood::kOk;

  static duo::Schema<Ticket> Table() {
    return duo::Schema<Ticket>("tickets")
        .Column(&Ticket::id, "id", duo::PrimaryKey())
        .Column(&Ticket::ref, "ref")
        .Column(&Ticket::parent, "parent")
        .Column(&Ticket::opens, "opens")
        .Column(&Ticket::wait, "wait")
        .Column(&Ticket::mood, "mood");
  }
  friend bool operator==(const Ticket&, const Ticket&) = default;
};

// Every column read into a string: the types PostgreSQL has and the
// driver has no C++ type for.
struct Anything : duo::Model<Anything> {
  int64_t id = 0;
  std::string a_uuid, an_inet, a_cidr, a_mac, an_interval, a_time, a_timetz, an_enum, a_citext,
      an_xml;
  static duo::Schema<Anything> Table() {
    return duo::Schema<Anything>("anything")
        .Column(&Anything::id, "id", duo::PrimaryKey())
        .Column(&Anything::a_uuid, "a_uuid")
        .Column(&Anything::an_inet, "an_inet")
        .Column(&Anything::a_cidr, "a_cidr")
        .Column(&Anything::a_mac, "a_mac")
        .Column(&Anything::an_interval, "an_interval")
        .Column(&Anything::a_time, "a_time")
        .Column(&Anything::a_timetz, "a_timetz")
        .Column(&Anything::an_enum, "an_enum")
        .Column(&Anything::a_citext, "a_citext")
        .Column(&Anything::an_xml, "an_xml");
  }
};

// Arrays of UUIDs: uuid[] on PostgreSQL, a JSON array of the 32-digit
// form on SQLite.
struct Batch : duo::Model<Batch> {
  int64_t id = 0;
  std::vector<duo::sql::Uuid> refs;
  std::optional<std::vector<duo::sql::Uuid>> maybe;

  static duo::Schema<Batch> Table() {
    return duo::Schema<Batch>("batches")
        .Column(&Batch::id, "id", duo::PrimaryKey())
        .Column(&Batch::refs, "refs")
        .Column(&Batch::maybe, "maybe");
  }
  friend bool operator==(const Batch&, const Batch&) = default;
};

// A table with a native enum and a citext column, made by SQL, read
// through string and enum members.
struct Swatch : duo::Model<Swatch> {
  int64_t id = 0;
  Shade shade = Shade::kLight;
  std::string shade_label;
  std::optional<std::string> name;

  static duo::Schema<Swatch> Table() {
    return duo::Schema<Swatch>("swatches")
        .Column(&Swatch::id, "id", duo::PrimaryKey())
        .Column(&Swatch::shade, "shade")
        .Column(&Swatch::shade_label, "shade_label",
                duo::Type(duo::sql::SqlType::Custom("swatch_shade")))
        .Column(&Swatch::name, "name", duo::Type(duo::sql::SqlType::Custom("citext")));
  }
};

namespace {

using ::duo::col;
using ::duo::sql::TimeOfDay;
using ::duo::sql::Uuid;

Uuid U(const char* text) { return *Uuid::Parse(text); }
TimeOfDay T(const char* text) { return *TimeOfDay::Parse(text); }

class TypesTest : public duo::query_testing::ModelTableTest<Ticket> {
 protected:
  bool mariadb() const { return backend() == duo::testing::Backend::kMariadb; }

  // The one value `sql` selects, as text.
  std::string Scalar(const std::string& sql) {
    absl::StatusOr<duo::Result> result = db_->Execute(duo::sql::Text(sql));
    EXPECT_TRUE(result.ok()) << result.status() << " in " << sql;
    if (!result.ok()) return "";
    absl::StatusOr<std::string> value = result->Scalar<std::string>();
    EXPECT_TRUE(value.ok()) << value.status() << " in " << sql;
    return value.ok() ? *value : "";
  }
};

const Ticket kEdges[] = {
    {.ref = U("00000000-0000-0000-0000-000000000000"),
     .opens = T("00:00"),
     .wait = absl::ZeroDuration(),
     .mood = Mood::kSad},
    {.ref = U("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"),
     .parent = U("123e4567-e89b-12d3-a456-426614174000"),
     .opens = T("23:59:59.999999"),
     .wait = absl::Hours(24 * 400) + absl::Microseconds(1),
     .mood = Mood::kHappy},
    {.ref = U("{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"),
     .opens = T("24:00:00"),
     .wait = -absl::Hours(26) - absl::Microseconds(500000),
     .mood = Mood::kOk},
};

TEST_P(TypesTest, EdgeValuesRoundTripAndFilter) {
  std::vector<Ticket> stored;
  for (const Ticket& ticket : kEdges) {
    absl::StatusOr<Ticket> created = Ticket::Create(ticket);
    ASSERT_TRUE(created.ok()) << created.status();
    Ticket expected = ticket;
    expected.id = created->id;
    EXPECT_EQ(*created, expected);
    stored.push_back(expected);
  }
  for (const Ticket& ticket : stored) {
    absl::StatusOr<std::optional<Ticket>> loaded = Ticket::Get(ticket.id);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_TRUE(loaded->has_value());
    EXPECT_EQ(**loaded, ticket);
  }
  EXPECT_EQ(*Ticket::Where(col(&Ticket::ref) == U("ffffffff-ffff-ffff-ffff-ffffffffffff")).Count(),
            1);
  EXPECT_EQ(*Ticket::Where(col(&Ticket::parent) == std::nullopt).Count(), 2);
  EXPECT_EQ(*Ticket::Where(col(&Ticket::opens) > T("12:00")).Count(), 2);
  EXPECT_EQ(*Ticket::Where(col(&Ticket::mood) == Mood::kHappy).Count(), 1);
  EXPECT_EQ(*Ticket::Where(col(&Ticket::mood).In({Mood::kSad, Mood::kOk})).Count(), 2);
  // Times sort as text on SQLite and as times on PostgreSQL: the same order.
  absl::StatusOr<std::vector<Ticket>> by_time = Ticket::OrderBy("opens").All();
  ASSERT_TRUE(by_time.ok()) << by_time.status();
  ASSERT_EQ(by_time->size(), 3u);
  EXPECT_EQ((*by_time)[0].opens, T("00:00"));
  EXPECT_EQ((*by_time)[2].opens, T("24:00"));
}

TEST_P(TypesTest, StoredInTheDatabasesOwnForms) {
  DUO_ASSERT_OK(Ticket::Create(kEdges[1]).status());
  if (sqlite()) {
    // SQLAlchemy's GUID / Uuid form, SQLite's time text, SQLAlchemy's
    // Interval (1970-01-01 plus it), the label.
    EXPECT_EQ(Scalar("SELECT ref FROM tickets"), "ffffffffffffffffffffffffffffffff");
    EXPECT_EQ(Scalar("SELECT parent FROM tickets"), "123e4567e89b12d3a456426614174000");
    EXPECT_EQ(Scalar("SELECT opens FROM tickets"), "23:59:59.999999");
    // SQLite's time functions read it (they keep milliseconds: .999999
    // rounds up to the next second).
    EXPECT_EQ(Scalar("SELECT time(opens, '-1 hour') FROM tickets"), "23:00:00");
    EXPECT_EQ(Scalar("SELECT wait FROM tickets"), "1971-02-05 00:00:00.000001");
    EXPECT_EQ(Scalar("SELECT mood FROM tickets"), "happy");
  } else if (mariadb()) {
    // SQLAlchemy's Uuid and Interval forms where the database has neither
    // (CHAR(32), DATETIME), TIME, the column's own ENUM.
    EXPECT_EQ(Scalar("SELECT ref FROM tickets"), "ffffffffffffffffffffffffffffffff");
    EXPECT_EQ(Scalar("SELECT CAST(opens AS CHAR) FROM tickets"), "23:59:59.999999");
    EXPECT_EQ(Scalar("SELECT CAST(ADDTIME(opens, '-01:00:00') AS CHAR) FROM tickets"),
              "22:59:59.999999");
    EXPECT_EQ(Scalar("SELECT CAST(wait AS CHAR) FROM tickets"), "1971-02-05 00:00:00.000001");
    EXPECT_EQ(Scalar("SELECT mood FROM tickets"), "happy");
    EXPECT_EQ(Scalar("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                     "DATABASE() AND TABLE_NAME = 'tickets' AND COLUMN_NAME = 'mood'"),
              "enum('sad','ok','happy')");
  } else {
    EXPECT_EQ(Scalar("SELECT pg_typeof(ref)::text FROM tickets"), "uuid");
    EXPECT_EQ(Scalar("SELECT ref::text FROM tickets"), "ffffffff-ffff-ffff-ffff-ffffffffffff");
    EXPECT_EQ(Scalar("SELECT pg_typeof(opens)::text FROM tickets"), "time without time zone");
    EXPECT_EQ(Scalar("SELECT opens::text FROM tickets"), "23:59:59.999999");
    EXPECT_EQ(Scalar("SELECT pg_typeof(wait)::text FROM tickets"), "interval");
    EXPECT_EQ(Scalar("SELECT extract(epoch FROM wait)::text FROM tickets"), "34560000.000001");
    EXPECT_EQ(Scalar("SELECT pg_typeof(mood)::text FROM tickets"), "ticket_mood");
    EXPECT_EQ(Scalar("SELECT mood::text FROM tickets"), "happy");
    EXPECT_EQ(Scalar("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum "
                     "WHERE enumtypid = 'ticket_mood'::regtype"),
              "sad,ok,happy");
  }
}

TEST_P(TypesTest, ValuesOtherClientsWroteAreRead) {
  // Written by SQL, as another client would: the dashed UUID form and a
  // time without fraction on SQLite too.
  if (sqlite()) {
    DUO_ASSERT_OK(
        db_->Execute(duo::sql::Text("INSERT INTO tickets (ref, opens, wait, mood) VALUES "
                                    "('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '09:30:00', "
                                    "'1970-01-01 01:00:00', 'sad')"))
            .status());
  } else if (mariadb()) {
    DUO_ASSERT_OK(db_->Execute(duo::sql::Text("INSERT INTO tickets (ref, opens, wait, mood) VALUES "
                                              "('A0EEBC999C0B4EF8BB6D6BB9BD380A11', '09:30', "
                                              "'1970-01-02 01:00:00', 'sad')"))
                      .status());
  } else {
    DUO_ASSERT_OK(db_->Execute(duo::sql::Text("INSERT INTO tickets (ref, opens, wait, mood) VALUES "
                                              "('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '09:30', "
                                              "'1 day 01:00:00', 'sad')"))
                      .status());
  }
  absl::StatusOr<std::vector<Ticket>> all = Ticket::All();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].ref, U("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
  EXPECT_EQ((*all)[0].opens, T("09:30"));
  EXPECT_EQ((*all)[0].wait, sqlite() ? absl::Hours(1) : absl::Hours(25));
  EXPECT_EQ((*all)[0].mood, Mood::kSad);
}

TEST_P(TypesTest, ALabelTheEnumLacksIsAnErrorNamingTheColumn) {
  if (sqlite()) {
    DUO_ASSERT_OK(db_->Execute(duo::sql::Text("INSERT INTO tickets (ref, opens, wait, mood) VALUES "
                                              "('00000000000000000000000000000000', '00:00:00', "
                                              "'1970-01-01 00:00:00', 'furious')"))
                      .status());
  } else if (mariadb()) {
    DUO_ASSERT_OK(db_->Execute(duo::sql::Text("ALTER TABLE tickets MODIFY mood ENUM('sad', 'ok', "
                                              "'happy', 'furious') NOT NULL"))
                      .status());
    DUO_ASSERT_OK(db_->Execute(duo::sql::Text("INSERT INTO tickets (ref, opens, wait, mood) VALUES "
                                              "(REPLACE(UUID(), '-', ''), '00:00', "
                                              "'1970-01-01 00:00:00', 'furious')"))
                      .status());
  } else {
    DUO_ASSERT_OK(
        db_->Execute(duo::sql::Text("ALTER TYPE ticket_mood ADD VALUE 'furious'")).status());
    DUO_ASSERT_OK(db_->Execute(duo::sql::Text("INSERT INTO tickets (ref, opens, wait, mood) VALUES "
                                              "(gen_random_uuid(), '00:00', '0', 'furious')"))
                      .status());
  }
  absl::StatusOr<std::vector<Ticket>> all = Ticket::All();
  EXPECT_FALSE(all.ok());
  EXPECT_THAT(std::string(all.status().message()), ::testing::HasSubstr("mood"));
}

TEST_P(TypesTest, AnIntervalOfMonthsIsRefusedNotGuessed) {
  if (sqlite() || mariadb()) GTEST_SKIP() << "SQLAlchemy's Interval form has no months";
  DUO_ASSERT_OK(db_->Execute(duo::sql::Text("INSERT INTO tickets (ref, opens, wait, mood) VALUES "
                                            "(gen_random_uuid(), '00:00', '1 mon', 'ok')"))
                    .status());
  absl::StatusOr<std::vector<Ticket>> all = Ticket::All();
  EXPECT_FALSE(all.ok());
  EXPECT_THAT(std::string(all.status().message()), ::testing::HasSubstr("wait"));
}

// The issue: "holds type 2950". Each string must equal the server's own
// text for the value: its output function, as psql shows it and format()
// calls it (inet's ::text cast would add "/128").
TEST_P(TypesTest, StringMembersReadEveryPostgresTypeAsItsText) {
  if (sqlite() || mariadb()) GTEST_SKIP() << "PostgreSQL's types";
  const bool citext = db_->Execute(duo::sql::Text("CREATE EXTENSION IF NOT EXISTS citext")).ok();
  DUO_ASSERT_OK(
      db_->Execute(duo::sql::Text("CREATE TYPE shade AS ENUM ('light', 'dark')")).status());
  DUO_ASSERT_OK(db_->Execute(duo::sql::Text(absl::StrCat(
                                 "CREATE TABLE anything (id bigint PRIMARY KEY, a_uuid uuid, "
                                 "an_inet inet, a_cidr cidr, a_mac macaddr, an_interval interval, "
                                 "a_time time, a_timetz timetz, an_enum shade, a_citext ",
                                 citext ? "citext" : "text", ", an_xml xml)")))
                    .status());
  DUO_ASSERT_OK(
      db_->Execute(
             duo::sql::Text("INSERT INTO anything VALUES "
                            "(1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', "
                            "'10.0.0.0/8', '08:00:2b:01:02:03', "
                            "'1 year 2 mons -3 days 04:05:06.5', '13:14:15.25', "
                            "'13:14:15+05:30', 'dark', 'MiXeD', '<a>b</a>'), "
                            "(2, '00000000-0000-0000-0000-000000000000', '::1', "
                            "'2001:db8::/32', 'ff:ff:ff:ff:ff:ff', '-00:00:00.000001', '24:00', "
                            "'00:00-08', 'light', '', '<x/>'), "
                            "(3, 'ffffffff-ffff-ffff-ffff-ffffffffffff', '::ffff:1.2.3.4', "
                            "'192.168.1.0/24', '00:00:00:00:00:00', '-1 days +02:00', '00:00', "
                            "'23:59:59.999999+14', 'light', 'x', '<y/>')"))
          .status());
  duo::Models::Default().Bind(*db_);
  absl::StatusOr<std::vector<Anything>> rows = Anything::OrderBy("id").All();
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  const char* const kColumns[] = {"a_uuid", "an_inet",  "a_cidr",  "a_mac",    "an_interval",
                                  "a_time", "a_timetz", "an_enum", "a_citext", "an_xml"};
  for (const Anything& row : *rows) {
    const std::string got[] = {row.a_uuid, row.an_inet,  row.a_cidr,  row.a_mac,    row.an_interval,
                               row.a_time, row.a_timetz, row.an_enum, row.a_citext, row.an_xml};
    for (size_t i = 0; i < std::size(kColumns); ++i) {
      EXPECT_EQ(got[i], Scalar(absl::StrCat("SELECT format('%s', ", kColumns[i],
                                            ") FROM anything WHERE id = ", row.id)))
          << kColumns[i] << " of row " << row.id;
    }
  }
  EXPECT_EQ((*rows)[0].an_enum, "dark");
  EXPECT_EQ((*rows)[0].an_interval, "1 year 2 mons -3 days +04:05:06.5");

  // A streamed read of a created type on a connection that has just looked
  // it up (above) or not (StreamedReadsLookUpCreatedTypesFirst): its text.
  std::vector<std::string> labels;
  absl::Status streamed = db_->Read(
      duo::sql::Text("SELECT an_enum FROM anything ORDER BY id"),
      [&labels](duo::engine::Cursor& cursor) -> absl::Status {
        while (true) {
          absl::StatusOr<bool> more = cursor.Next();
          if (!more.ok()) return more.status();
          if (!*more) return absl::OkStatus();
          absl::StatusOr<std::string> label = duo::engine::ReadColumn<std::string>(cursor, 0);
          if (!label.ok()) return label.status();
          labels.push_back(*label);
        }
      },
      duo::engine::RunMode::kStreaming);
  DUO_ASSERT_OK(streamed);
  EXPECT_THAT(labels, ::testing::ElementsAre("dark", "light", "light"));
}

// Iterate with an order streams its rows from one statement; the driver
// learns a created type's binary form (an enum's, citext's: their text) by
// asking the server, which it cannot do while a stream holds the
// connection. On a connection that has never seen the types, the values
// must still be read, not refused or taken for something else.
TEST_P(TypesTest, StreamedReadsLookUpCreatedTypesFirst) {
  if (sqlite() || mariadb()) GTEST_SKIP() << "PostgreSQL's created types";
  for (const char* ddl :
       {"CREATE EXTENSION IF NOT EXISTS citext",
        "CREATE TYPE swatch_shade AS ENUM ('light', 'dark')",
        "CREATE TABLE swatches (id bigint PRIMARY KEY, shade swatch_shade NOT NULL, "
        "shade_label swatch_shade NOT NULL, name citext)",
        // No RETURNING: nothing is read, so nothing is looked up.
        "INSERT INTO swatches VALUES (1, 'dark', 'dark', 'Ink'), (2, 'light', 'light', NULL), "
        "(3, 'light', 'light', ''), (4, 'dark', 'dark', 'MiXeD cAsE'), "
        "(5, 'light', 'light', 'é')"}) {
    DUO_ASSERT_OK(db_->Execute(duo::sql::Text(ddl)).status());
  }
  // A new pool: its connection has looked nothing up.
  DUO_ASSERT_OK_AND_ASSIGN(duo::Database fresh, duo::Database::Open(database().url()));
  duo::Models::Default().Bind(fresh);
  std::vector<std::string> read;
  std::vector<size_t> batches;
  DUO_ASSERT_OK(Swatch::OrderBy("id").IterateBatches(2, [&](std::vector<Swatch>& batch) {
    batches.push_back(batch.size());
    for (const Swatch& swatch : batch) {
      read.push_back(absl::StrCat(swatch.id, " ", swatch.shade == Shade::kDark ? "kDark" : "kLight",
                                  " ", swatch.shade_label, " ",
                                  swatch.name ? "'" + *swatch.name + "'" : "NULL"));
    }
    return absl::OkStatus();
  }));
  EXPECT_THAT(
      read, ::testing::ElementsAre("1 kDark dark 'Ink'", "2 kLight light NULL", "3 kLight light ''",
                                   "4 kDark dark 'MiXeD cAsE'", "5 kLight light 'é'"));
  EXPECT_THAT(batches, ::testing::ElementsAre(2, 2, 1));
  // citext compares without case, through the ORM too.
  EXPECT_EQ(*Swatch::Where(col(&Swatch::name) == std::string("mixed case")).Count(), 1);
  duo::Models::Default().Bind(*db_);
}

// ---- Arrays of UUIDs

class UuidArrayTest : public duo::query_testing::ModelTableTest<Batch> {
 protected:
  std::string Scalar(const std::string& sql) {
    absl::StatusOr<duo::Result> result = db_->Execute(duo::sql::Text(sql));
    EXPECT_TRUE(result.ok()) << result.status() << " in " << sql;
    if (!result.ok()) return "";
    absl::StatusOr<std::optional<std::string>> value = result->Scalar<std::optional<std::string>>();
    EXPECT_TRUE(value.ok()) << value.status() << " in " << sql;
    return value.ok() ? value->value_or("(null)") : "";
  }
};

const Uuid kZero = U("00000000-0000-0000-0000-000000000000");
const Uuid kMax = U("ffffffff-ffff-ffff-ffff-ffffffffffff");
const Uuid kA0 = U("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");

TEST_P(UuidArrayTest, RoundTripEmptyAndNull) {
  const Batch kBatches[] = {
      {.refs = {kA0, kZero, kMax, kA0}},           // maybe: NULL
      {.refs = {}, .maybe = std::vector<Uuid>{}},  // both empty
      {.refs = {kMax}, .maybe = std::vector<Uuid>{kZero, kA0}},
  };
  std::vector<Batch> stored;
  for (const Batch& batch : kBatches) {
    DUO_ASSERT_OK_AND_ASSIGN(Batch created, Batch::Create(batch));
    Batch expected = batch;
    expected.id = created.id;
    EXPECT_EQ(created, expected);
    stored.push_back(expected);
  }
  for (const Batch& batch : stored) {
    DUO_ASSERT_OK_AND_ASSIGN(std::optional<Batch> loaded, Batch::Get(batch.id));
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(*loaded, batch);
  }
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Batch> all, Batch::OrderBy("id").All());
  EXPECT_EQ(all, stored);
  EXPECT_EQ(Scalar("SELECT CAST(count(*) AS TEXT) FROM batches WHERE maybe IS NULL"), "1");
  // Saved over: an empty array replaces the NULL, and NULL an array.
  Batch changed = stored[0];
  changed.refs = {};
  changed.maybe = std::vector<Uuid>{kMax};
  DUO_ASSERT_OK(changed.Save());
  Batch cleared = stored[2];
  cleared.maybe = std::nullopt;
  DUO_ASSERT_OK(cleared.Save());
  EXPECT_EQ(**Batch::Get(changed.id), changed);
  EXPECT_EQ(**Batch::Get(cleared.id), cleared);

  if (sqlite()) {
    // A JSON array of the 32-digit form a single UUID is stored in.
    EXPECT_EQ(Scalar("SELECT refs FROM batches WHERE id = 3"),
              R"(["ffffffffffffffffffffffffffffffff"])");
    EXPECT_EQ(Scalar("SELECT json_extract(refs, '$[1]') FROM batches WHERE id = 3"), "(null)");
    EXPECT_EQ(Scalar("SELECT maybe FROM batches WHERE id = 2"), "[]");
    EXPECT_EQ(Scalar("SELECT typeof(maybe) FROM batches WHERE id = 3"), "null");
    EXPECT_EQ(Scalar("SELECT CAST(json_array_length(refs) AS TEXT) FROM batches WHERE id = 1"),
              "0");
  } else {
    EXPECT_EQ(Scalar("SELECT pg_typeof(refs)::text FROM batches LIMIT 1"), "uuid[]");
    EXPECT_EQ(Scalar("SELECT refs::text FROM batches WHERE id = 3"),
              "{ffffffff-ffff-ffff-ffff-ffffffffffff}");
    EXPECT_EQ(Scalar("SELECT maybe::text FROM batches WHERE id = 2"), "{}");
    EXPECT_EQ(Scalar("SELECT maybe::text FROM batches WHERE id = 3"), "(null)");
    EXPECT_EQ(Scalar("SELECT cardinality(refs)::text FROM batches WHERE id = 1"), "0");
    // uuid's own operators work on the stored elements.
    EXPECT_EQ(Scalar("SELECT count(*)::text FROM batches "
                     "WHERE 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid = ANY (refs || maybe)"),
              "2");
  }
}

TEST_P(UuidArrayTest, StoredByTheDatabasesOwnForms) {
  // Written by SQL as another client would: the dashed form in either
  // case, an empty array, NULL.
  if (sqlite()) {
    DUO_ASSERT_OK(
        db_->Execute(duo::sql::Text("INSERT INTO batches (id, refs, maybe) VALUES "
                                    "(1, '[\"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11\", "
                                    "\"ffffffffffffffffffffffffffffffff\"]', NULL), "
                                    "(2, '[]', '[\"00000000-0000-0000-0000-000000000000\"]')"))
            .status());
  } else {
    DUO_ASSERT_OK(
        db_->Execute(duo::sql::Text("INSERT INTO batches (id, refs, maybe) VALUES "
                                    "(1, ARRAY['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', "
                                    "'ffffffff-ffff-ffff-ffff-ffffffffffff']::uuid[], NULL), "
                                    "(2, '{}', '{00000000-0000-0000-0000-000000000000}')"))
            .status());
  }
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Batch> all, Batch::OrderBy("id").All());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].refs, (std::vector<Uuid>{kA0, kMax}));
  EXPECT_EQ(all[0].maybe, std::nullopt);
  EXPECT_EQ(all[1].refs, std::vector<Uuid>{});
  EXPECT_EQ(all[1].maybe, std::vector<Uuid>{kZero});
  // An element that is no UUID is an error naming the column.
  DUO_ASSERT_OK(db_->Execute(duo::sql::Text(sqlite() ? "UPDATE batches SET refs = '[\"nope\"]'"
                                                     : "ALTER TABLE batches ALTER COLUMN refs "
                                                       "TYPE text[] USING ARRAY['nope']"))
                    .status());
  absl::StatusOr<std::vector<Batch>> broken = Batch::All();
  EXPECT_FALSE(broken.ok());
  EXPECT_THAT(std::string(broken.status().message()), ::testing::HasSubstr("refs"));
}

TEST_P(UuidArrayTest, JsonForm) {
  const Batch batch{.id = 7, .refs = {kA0, kZero}, .maybe = std::nullopt};
  const nlohmann::json json = duo::ToJson(batch);
  EXPECT_EQ(json["refs"], nlohmann::json({"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                                          "00000000-0000-0000-0000-000000000000"}));
  EXPECT_TRUE(json["maybe"].is_null());
  absl::StatusOr<Batch> back = duo::FromJson<Batch>(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, batch);
}

// Arrays of UUIDs: MySQL has no arrays.
INSTANTIATE_TEST_SUITE_P(Backends, UuidArrayTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kPgBouncer})),
                         ::duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(UuidArrayTest);

TEST_P(TypesTest, JsonFormsOfTheNewTypes) {
  const nlohmann::json json = duo::ToJson(kEdges[2]);
  EXPECT_EQ(json["ref"], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(json["opens"], "24:00:00.000000");
  EXPECT_EQ(json["wait"], "-26h0.5s");
  EXPECT_EQ(json["mood"], "ok");
  absl::StatusOr<Ticket> back = duo::FromJson<Ticket>(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, kEdges[2]);
  EXPECT_FALSE(duo::FromJson<Ticket>({{"ref", "not-a-uuid"}}).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, TypesTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kPgBouncer,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TypesTest);

}  // namespace
}  // namespace types
