#include "duo/sql/time_text.h"

#include <cstdint>
#include <random>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace duo::sql {
namespace {

absl::Time Utc(int64_t y, int m, int d, int hh, int mm, int ss, int64_t micros = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone()) +
         absl::Microseconds(micros);
}

TEST(TimeTextTest, ReadsEveryWritersForm) {
  const absl::Time at = Utc(2026, 11, 25, 9, 30, 0, 123456);
  // DuoORM on SQLite now, and before; SQLAlchemy's SQLite DateTime.
  EXPECT_EQ(ParseTimestampText("2026-11-25 09:30:00.123456"), at);
  EXPECT_EQ(ParseTimestampText("2026-11-25T09:30:00.123456Z"), at);
  // PostgreSQL's text output, RFC 3339 with offsets.
  EXPECT_EQ(ParseTimestampText("2026-11-25 09:30:00.123456+00"), at);
  EXPECT_EQ(ParseTimestampText("2026-11-25 14:30:00.123456+05"), at);
  EXPECT_EQ(ParseTimestampText("2026-11-25T15:00:00.123456+05:30"), at);
  EXPECT_EQ(ParseTimestampText("2026-11-25T04:00:00.123456-0530"), at);
  EXPECT_EQ(ParseTimestampText("2026-11-25t09:30:00.123456z"), at);
  // CURRENT_TIMESTAMP, datetime('now'), strftime('%f').
  EXPECT_EQ(ParseTimestampText("2026-11-25 09:30:00"), Utc(2026, 11, 25, 9, 30, 0));
  EXPECT_EQ(ParseTimestampText("2026-11-25 09:30:00.123"), Utc(2026, 11, 25, 9, 30, 0, 123000));
  // Nanoseconds kept; beyond them dropped.
  EXPECT_EQ(ParseTimestampText("2026-11-25 09:30:00.123456789123"),
            Utc(2026, 11, 25, 9, 30, 0, 123456) + absl::Nanoseconds(789));
  // A leap second is the next minute's first, as absl::ParseTime reads it.
  EXPECT_EQ(ParseTimestampText("2016-12-31T23:59:60Z"), Utc(2017, 1, 1, 0, 0, 0));
}

TEST(TimeTextTest, RefusesWhatIsNotATimestamp) {
  for (const char* text : {"", "2026-11-25", "2026-11-25 09:30", "2026-11-25 9:30:00",
                           "2026-02-30 00:00:00", "2026-11-25 24:00:00", "2026-11-25 09:60:00",
                           "2026-11-25 09:30:00.", "2026-11-25 09:30:00Z ", "2026-11-25 09:30:00+5",
                           "2026-11-25 09:30:00+05:3", "2026-11-25_09:30:00", "26-11-25 09:30:00",
                           "+2026-11-25 09:30:00", "2026-11-25 09:30:00 BC", "infinity"}) {
    EXPECT_EQ(ParseTimestampText(text), std::nullopt) << text;
  }
}

TEST(TimeTextTest, Dates) {
  EXPECT_EQ(ParseDateText("2024-02-29"), absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(ParseDateText("2000-02-29"), absl::CivilDay(2000, 2, 29));
  EXPECT_EQ(ParseDateText("1900-02-29"), std::nullopt);
  EXPECT_EQ(ParseDateText("2023-02-29"), std::nullopt);
  EXPECT_EQ(ParseDateText("2024-02-29 00:00:00"), std::nullopt);
  EXPECT_EQ(*FormatSqliteDate(absl::CivilDay(1, 1, 1)), "0001-01-01");
  EXPECT_FALSE(FormatSqliteDate(absl::CivilDay(10000, 1, 1)).ok());
}

TEST(TimeTextTest, SqliteFormIsWhatSqlitePrintsWithSixDigits) {
  EXPECT_EQ(*FormatSqliteTimestamp(Utc(2026, 11, 25, 9, 30, 0, 123456)),
            "2026-11-25 09:30:00.123456");
  EXPECT_EQ(*FormatSqliteTimestamp(Utc(2026, 1, 1, 10, 0, 0)), "2026-01-01 10:00:00.000000");
  // Finer than microseconds is truncated, never rounded into the next second.
  EXPECT_EQ(*FormatSqliteTimestamp(Utc(2026, 1, 1, 10, 0, 59, 999999) + absl::Nanoseconds(999)),
            "2026-01-01 10:00:59.999999");
  EXPECT_EQ(*FormatSqliteTimestamp(Utc(1, 1, 1, 0, 0, 0)), "0001-01-01 00:00:00.000000");
  EXPECT_EQ(*FormatSqliteTimestamp(Utc(9999, 12, 31, 23, 59, 59, 999999)),
            "9999-12-31 23:59:59.999999");
  EXPECT_FALSE(FormatSqliteTimestamp(Utc(10000, 1, 1, 0, 0, 0)).ok());
  EXPECT_FALSE(FormatSqliteTimestamp(Utc(-1, 12, 31, 0, 0, 0)).ok());
  EXPECT_FALSE(FormatSqliteTimestamp(absl::InfiniteFuture()).ok());
}

TEST(TimeTextTest, PostgresAndRfc3339Forms) {
  EXPECT_EQ(FormatPostgresTimestamp(Utc(2026, 11, 25, 9, 30, 0, 5)),
            "2026-11-25 09:30:00.000005+00");
  EXPECT_EQ(FormatPostgresTimestamp(Utc(0, 3, 1, 0, 0, 0)), "0001-03-01 00:00:00.000000+00 BC");
  EXPECT_EQ(FormatPostgresTimestamp(absl::InfiniteFuture()), "infinity");
  EXPECT_EQ(FormatPostgresTimestamp(absl::InfinitePast()), "-infinity");
  EXPECT_EQ(FormatRfc3339(Utc(2026, 11, 25, 9, 30, 0, 500000)), "2026-11-25T09:30:00.5Z");
  EXPECT_EQ(FormatRfc3339(Utc(2026, 11, 25, 9, 30, 0)), "2026-11-25T09:30:00Z");
}

// Every instant of years 1 to 9999 (microseconds for the stored forms,
// nanoseconds for RFC 3339) reads back as itself, and the SQLite form
// sorts as the instants do. Seeded: a failure names an input that repeats.
TEST(TimeTextTest, RoundTripsAndOrdersOverRandomInstants) {
  const absl::Time first = Utc(1, 1, 1, 0, 0, 0);
  const absl::Time last = Utc(9999, 12, 31, 23, 59, 59, 999999);
  const int64_t span = absl::ToInt64Microseconds(last - first);
  std::mt19937_64 random(20261125);
  std::uniform_int_distribution<int64_t> offset(0, span);
  std::uniform_int_distribution<int> nanos(0, 999);
  // The edges and leap days first, then random instants.
  std::vector<absl::Time> times = {first,
                                   last,
                                   Utc(2024, 2, 29, 23, 59, 59, 999999),
                                   Utc(2000, 2, 29, 0, 0, 0),
                                   Utc(4, 2, 29, 12, 0, 0, 1),
                                   Utc(9996, 2, 29, 0, 0, 0),
                                   Utc(1970, 1, 1, 0, 0, 0),
                                   Utc(1969, 12, 31, 23, 59, 59, 999999)};
  for (int i = 0; i < 20000; ++i) times.push_back(first + absl::Microseconds(offset(random)));
  std::string previous_text;
  absl::Time previous;
  for (size_t i = 0; i < times.size(); ++i) {
    const absl::Time time = times[i];
    const std::string sqlite = *FormatSqliteTimestamp(time);
    ASSERT_EQ(sqlite.size(), 26u) << sqlite;
    ASSERT_EQ(ParseTimestampText(sqlite), time) << sqlite;
    const std::string postgres = FormatPostgresTimestamp(time);
    ASSERT_EQ(ParseTimestampText(postgres), time) << postgres;
    const absl::Time fine = time + absl::Nanoseconds(nanos(random));
    ASSERT_EQ(ParseTimestampText(FormatRfc3339(fine)), fine) << FormatRfc3339(fine);
    if (i > 0) {
      ASSERT_EQ(previous < time, previous_text < sqlite) << previous_text << " vs " << sqlite;
    }
    previous = time;
    previous_text = sqlite;
  }
}

}  // namespace
}  // namespace duo::sql
