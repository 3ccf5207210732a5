// Models to and from JSON (duo/model/json.h), without a database: the JSON
// form of every member type, errors that name the field at fault, and
// round trips. Expected JSON is written out by hand.

#include "duo/model/json.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/sql/value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/status.h"

namespace json_test {

enum class Color { kRed, kGreen };
enum class Level { kLow = 1, kHigh = 5 };

}  // namespace json_test

template <>
struct duo::sql::EnumTraits<json_test::Color> {
  static constexpr EnumStorage kStorage = EnumStorage::kText;
  static constexpr std::pair<json_test::Color, std::string_view> kNames[] = {
      {json_test::Color::kRed, "red"}, {json_test::Color::kGreen, "green"}};
};

template <>
struct duo::sql::EnumTraits<json_test::Level> {
  static constexpr EnumStorage kStorage = EnumStorage::kInteger;
  static constexpr std::pair<json_test::Level, std::string_view> kNames[] = {
      {json_test::Level::kLow, "low"}, {json_test::Level::kHigh, "high"}};
};

namespace json_test {

using ::testing::HasSubstr;

duo::Models& TestModels() {
  static duo::Models* models = new duo::Models("json_test");
  return *models;
}

struct Everything {
  int64_t id = 0;
  int32_t i32 = 0;
  int16_t i16 = 0;
  uint8_t u8 = 0;
  double d = 0;
  float f = 0;
  bool flag = false;
  std::string text;
  std::optional<std::string> maybe_text;
  std::optional<int64_t> maybe_int;
  std::vector<int64_t> numbers;
  std::vector<std::string> words;
  absl::Time at;
  std::optional<absl::Time> maybe_at;
  absl::CivilDay day;
  duo::sql::Decimal amount;
  duo::sql::Uuid ref;
  duo::sql::TimeOfDay opens;
  absl::Duration wait;
  duo::sql::Blob data;
  nlohmann::json doc;
  Color color = Color::kRed;
  Level level = Level::kLow;

  static duo::Schema<Everything> Table() {
    return duo::Schema<Everything>("everything", TestModels())
        .Column(&Everything::id, "id", duo::PrimaryKey())
        .Column(&Everything::i32, "i32")
        .Column(&Everything::i16, "i16")
        .Column(&Everything::u8, "u8")
        .Column(&Everything::d, "d")
        .Column(&Everything::f, "f")
        .Column(&Everything::flag, "flag")
        .Column(&Everything::text, "text")
        .Column(&Everything::maybe_text, "maybe_text")
        .Column(&Everything::maybe_int, "maybe_int")
        .Column(&Everything::numbers, "numbers")
        .Column(&Everything::words, "words")
        .Column(&Everything::at, "at")
        .Column(&Everything::maybe_at, "maybe_at")
        .Column(&Everything::day, "day")
        .Column(&Everything::amount, "amount")
        .Column(&Everything::ref, "ref")
        .Column(&Everything::opens, "opens")
        .Column(&Everything::wait, "wait")
        .Column(&Everything::data, "data")
        .Column(&Everything::doc, "doc")
        .Column(&Everything::color, "color")
        .Column(&Everything::level, "level");
  }
};

Everything Sample() {
  Everything e;
  e.id = 7;
  e.i32 = -2147483647 - 1;
  e.i16 = 32767;
  e.u8 = 255;
  e.d = 2.5;
  e.f = -0.25f;
  e.flag = true;
  e.text = "héllo \"quoted\"";
  e.maybe_text = "there";
  e.maybe_int = std::nullopt;
  e.numbers = {1, -2, 9007199254740993};
  e.words = {"a", ""};
  e.at = absl::FromCivil(absl::CivilSecond(2026, 11, 25, 9, 30, 0), absl::UTCTimeZone()) +
         absl::Milliseconds(500);
  e.maybe_at = std::nullopt;
  e.day = absl::CivilDay(2024, 2, 29);
  e.amount = *duo::sql::Decimal::Parse("-1234.5600");
  e.ref = *duo::sql::Uuid::Parse("123E4567-E89B-12D3-A456-426614174000");
  e.opens = *duo::sql::TimeOfDay::FromParts(8, 5, 3, 120);
  e.wait = absl::Hours(26) + absl::Milliseconds(500);
  e.data =
      duo::sql::Blob{std::string("\x00\xff"
                                 "ab",
                                 4)};
  e.doc = nlohmann::json{{"k", {1, 2}}, {"n", nullptr}};
  e.color = Color::kGreen;
  e.level = Level::kHigh;
  return e;
}

const nlohmann::json& SampleJson() {
  static const nlohmann::json* json = new nlohmann::json(nlohmann::json::parse(R"({
    "id": 7,
    "i32": -2147483648,
    "i16": 32767,
    "u8": 255,
    "d": 2.5,
    "f": -0.25,
    "flag": true,
    "text": "héllo \"quoted\"",
    "maybe_text": "there",
    "maybe_int": null,
    "numbers": [1, -2, 9007199254740993],
    "words": ["a", ""],
    "at": "2026-11-25T09:30:00.5Z",
    "maybe_at": null,
    "day": "2024-02-29",
    "amount": "-1234.5600",
    "ref": "123e4567-e89b-12d3-a456-426614174000",
    "opens": "08:05:03.000120",
    "wait": "26h0.5s",
    "data": "AP9hYg==",
    "doc": {"k": [1, 2], "n": null},
    "color": "green",
    "level": 5
  })"));
  return *json;
}

bool SameMembers(const Everything& a, const Everything& b) {
  return a.id == b.id && a.i32 == b.i32 && a.i16 == b.i16 && a.u8 == b.u8 && a.d == b.d &&
         a.f == b.f && a.flag == b.flag && a.text == b.text && a.maybe_text == b.maybe_text &&
         a.maybe_int == b.maybe_int && a.numbers == b.numbers && a.words == b.words &&
         a.at == b.at && a.maybe_at == b.maybe_at && a.day == b.day && a.amount == b.amount &&
         a.ref == b.ref && a.opens == b.opens && a.wait == b.wait && a.data == b.data &&
         a.doc == b.doc && a.color == b.color && a.level == b.level;
}

TEST(ModelJsonTest, ToJsonWritesEveryMemberType) {
  DUO_ASSERT_OK(duo::MetaOf<Everything>().declaration_status());
  EXPECT_EQ(duo::ToJson(Sample()), SampleJson());
}

TEST(ModelJsonTest, FromJsonReadsEveryMemberType) {
  DUO_ASSERT_OK_AND_ASSIGN(Everything e, duo::FromJson<Everything>(SampleJson()));
  EXPECT_TRUE(SameMembers(e, Sample())) << duo::ToJson(e).dump();
}

TEST(ModelJsonTest, RoundTrip) {
  Everything original = Sample();
  original.maybe_int = -5;
  original.maybe_at = absl::FromUnixMicros(-1);  // before the epoch
  original.f = 1.5f;
  DUO_ASSERT_OK_AND_ASSIGN(Everything back, duo::FromJson<Everything>(duo::ToJson(original)));
  EXPECT_TRUE(SameMembers(back, original)) << duo::ToJson(back).dump();
  EXPECT_EQ(duo::ToJson(original)["maybe_at"], "1969-12-31T23:59:59.999999Z");
  // Through text, as a web service sends it.
  DUO_ASSERT_OK_AND_ASSIGN(
      Everything reparsed,
      duo::FromJson<Everything>(nlohmann::json::parse(duo::ToJson(original).dump())));
  EXPECT_TRUE(SameMembers(reparsed, original));
}

TEST(ModelJsonTest, AbsentFieldsKeepTheirDefaults) {
  DUO_ASSERT_OK_AND_ASSIGN(Everything e, duo::FromJson<Everything>(nlohmann::json{{"text", "x"}}));
  EXPECT_EQ(e.text, "x");
  EXPECT_EQ(e.id, 0);
  EXPECT_EQ(e.color, Color::kRed);
  EXPECT_FALSE(e.maybe_text.has_value());
}

TEST(ModelJsonTest, EnumsAcceptNamesAndNumbers) {
  DUO_ASSERT_OK_AND_ASSIGN(
      Everything e, duo::FromJson<Everything>(nlohmann::json{{"color", 1}, {"level", "low"}}));
  EXPECT_EQ(e.color, Color::kGreen);
  EXPECT_EQ(e.level, Level::kLow);
}

TEST(ModelJsonTest, DecimalAcceptsIntegers) {
  DUO_ASSERT_OK_AND_ASSIGN(Everything e,
                           duo::FromJson<Everything>(nlohmann::json{{"amount", -12}}));
  EXPECT_EQ(e.amount.digits(), "-12");
}

TEST(ModelJsonTest, TimestampWithOffset) {
  DUO_ASSERT_OK_AND_ASSIGN(
      Everything e, duo::FromJson<Everything>(nlohmann::json{{"at", "2026-11-25T10:30:00+01:00"}}));
  EXPECT_EQ(e.at, absl::FromCivil(absl::CivilSecond(2026, 11, 25, 9, 30, 0), absl::UTCTimeZone()));
}

TEST(ModelJsonTest, UnknownFieldListsTheColumns) {
  absl::StatusOr<Everything> e = duo::FromJson<Everything>(nlohmann::json{{"nope", 1}});
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(e.status().message(),
              HasSubstr("field \"nope\" is not a column of json_test::Everything; its columns "
                        "are: id, i32, i16, u8, d, f, flag, text,"));
}

TEST(ModelJsonTest, NotAnObject) {
  absl::StatusOr<Everything> e = duo::FromJson<Everything>(nlohmann::json::array({1}));
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(), "field \"json_test::Everything\" must be a JSON object, not [1]");
}

struct BadCase {
  const char* field;
  const char* json;
  absl::StatusCode code;
  const char* message;
};

class ModelJsonErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ModelJsonErrorTest, NamesTheField) {
  const BadCase& c = GetParam();
  nlohmann::json body = nlohmann::json::object();
  body[c.field] = nlohmann::json::parse(c.json);
  absl::StatusOr<Everything> parsed = duo::FromJson<Everything>(body);
  EXPECT_EQ(parsed.status().code(), c.code) << parsed.status();
  EXPECT_EQ(parsed.status().message(), c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ModelJsonErrorTest,
    ::testing::Values(
        BadCase{"id", R"("7")", absl::StatusCode::kInvalidArgument,
                R"(field "id" must be an integer, not "7")"},
        BadCase{"id", "1.5", absl::StatusCode::kInvalidArgument,
                R"(field "id" must be an integer, not 1.5)"},
        BadCase{"id", "null", absl::StatusCode::kInvalidArgument, R"(field "id" may not be null)"},
        BadCase{"i32", "2147483648", absl::StatusCode::kOutOfRange,
                R"(field "i32" holds 2147483648, which int32_t cannot hold)"},
        BadCase{"i16", "-32769", absl::StatusCode::kOutOfRange,
                R"(field "i16" holds -32769, which int16_t cannot hold)"},
        BadCase{"u8", "-1", absl::StatusCode::kOutOfRange,
                R"(field "u8" holds -1, which uint8_t cannot hold)"},
        BadCase{"d", "true", absl::StatusCode::kInvalidArgument,
                R"(field "d" must be a number, not true)"},
        BadCase{"f", "1e39", absl::StatusCode::kOutOfRange,
                R"(field "f" holds 1e+39, which float cannot hold)"},
        BadCase{"flag", "1", absl::StatusCode::kInvalidArgument,
                R"(field "flag" must be a boolean, not 1)"},
        BadCase{"text", "5", absl::StatusCode::kInvalidArgument,
                R"(field "text" must be a string, not 5)"},
        BadCase{"maybe_int", R"("x")", absl::StatusCode::kInvalidArgument,
                R"(field "maybe_int" must be an integer, not "x")"},
        BadCase{"numbers", R"([1, "two"])", absl::StatusCode::kInvalidArgument,
                R"(field "numbers[1]" must be an integer, not "two")"},
        BadCase{"numbers", "3", absl::StatusCode::kInvalidArgument,
                R"(field "numbers" must be an array, not 3)"},
        BadCase{"at", R"("yesterday")", absl::StatusCode::kInvalidArgument,
                R"(field "at" must be an RFC 3339 timestamp string, not "yesterday")"},
        BadCase{"day", R"("2023-02-29")", absl::StatusCode::kInvalidArgument,
                R"(field "day" must be a date string YYYY-MM-DD, not "2023-02-29")"},
        BadCase{"amount", "1.5", absl::StatusCode::kInvalidArgument,
                R"(field "amount" must be a decimal string (or an integer), not 1.5)"},
        BadCase{"amount", R"("1,5")", absl::StatusCode::kInvalidArgument,
                R"(field "amount" must be a decimal string (or an integer), not "1,5")"},
        BadCase{"ref", "12", absl::StatusCode::kInvalidArgument,
                R"(field "ref" must be a string, not 12)"},
        BadCase{"wait", R"("soon")", absl::StatusCode::kInvalidArgument,
                R"(field "wait" must be a duration such as "26h0m0.5s", not "soon")"},
        BadCase{"data", R"("not base64!")", absl::StatusCode::kInvalidArgument,
                R"(field "data" must be a base64 string, not "not base64!")"},
        BadCase{"color", R"("blue")", absl::StatusCode::kInvalidArgument,
                R"(field "color" must be one of the enum's declared values, not "blue")"},
        BadCase{"level", "3", absl::StatusCode::kInvalidArgument,
                R"(field "level" must be one of the enum's declared values, not 3)"}));

TEST(ModelJsonTest, UuidAndTimeOfDayParseErrorsNameTheField) {
  absl::StatusOr<Everything> e = duo::FromJson<Everything>(nlohmann::json{{"ref", "not-a-uuid"}});
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(e.status().message()), ::testing::StartsWith("field \"ref\": "));
  e = duo::FromJson<Everything>(nlohmann::json{{"opens", "25:00"}});
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(e.status().message()), ::testing::StartsWith("field \"opens\": "));
}

TEST(ModelJsonTest, InfinityIsOutOfRange) {
  // nlohmann's parser refuses 1e400; a document built in C++ can hold it.
  nlohmann::json body;
  body["d"] = std::numeric_limits<double>::infinity();
  absl::StatusOr<Everything> e = duo::FromJson<Everything>(body);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(e.status().message(), HasSubstr("which double cannot hold"));
}

TEST(ModelJsonTest, InvalidUtf8TextIsRefused) {
  nlohmann::json body;
  body["text"] = std::string("\xff\xfe");
  absl::StatusOr<Everything> e = duo::FromJson<Everything>(body);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(), "field \"text\" is not valid UTF-8 text");
}

TEST(ModelJsonTest, AFailedFieldLeavesNoPartialObject) {
  // FromJson returns a status, never a half-filled object.
  absl::StatusOr<Everything> e =
      duo::FromJson<Everything>(nlohmann::json{{"text", "ok"}, {"id", "bad"}});
  EXPECT_FALSE(e.ok());
}

TEST(ModelJsonTest, PayloadFromJsonConvertsToColumnValues) {
  DUO_ASSERT_OK_AND_ASSIGN(duo::Payload payload,
                           duo::PayloadFromJson<Everything>(nlohmann::json::parse(
                               R"({"text": "x", "maybe_text": null, "day": "2024-01-02",
                               "amount": "1.50"})")));
  ASSERT_EQ(payload.size(), 4u);
  // nlohmann's object keeps its keys sorted.
  EXPECT_EQ(payload[0].column, "amount");
  EXPECT_EQ(payload[0].value.node().value, duo::sql::Value(*duo::sql::Decimal::Parse("1.50")));
  EXPECT_EQ(payload[1].column, "day");
  EXPECT_EQ(payload[1].value.node().value, duo::sql::Value(absl::CivilDay(2024, 1, 2)));
  EXPECT_EQ(payload[2].column, "maybe_text");
  EXPECT_TRUE(payload[2].value.node().value.is_null());
  EXPECT_EQ(payload[3].column, "text");
  EXPECT_EQ(payload[3].value.node().value, duo::sql::Value(std::string("x")));
}

TEST(ModelJsonTest, PayloadFromJsonErrors) {
  absl::StatusOr<duo::Payload> payload =
      duo::PayloadFromJson<Everything>(nlohmann::json{{"ghost", 1}});
  EXPECT_EQ(payload.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(payload.status().message(),
              HasSubstr("field \"ghost\" is not a column of json_test::Everything"));
  payload = duo::PayloadFromJson<Everything>(nlohmann::json{{"i16", 40000}});
  EXPECT_EQ(payload.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(payload.status().message(), "field \"i16\" holds 40000, which int16_t cannot hold");
  payload = duo::PayloadFromJson<Everything>(nlohmann::json("x"));
  EXPECT_EQ(payload.status().code(), absl::StatusCode::kInvalidArgument);
}

// Loaded relationships appear in ToJson and are skipped by FromJson.
struct Child;
struct Owner {
  int64_t id = 0;
  std::vector<Child> children;
  static duo::Schema<Owner> Table();
};
struct Child {
  int64_t id = 0;
  int64_t owner_id = 0;
  static duo::Schema<Child> Table() {
    return duo::Schema<Child>("children", TestModels())
        .Column(&Child::id, "id", duo::PrimaryKey())
        .Column(&Child::owner_id, "owner_id");
  }
};
duo::Schema<Owner> Owner::Table() {
  return duo::Schema<Owner>("owners", TestModels())
      .Column(&Owner::id, "id", duo::PrimaryKey())
      .HasMany("children", &Owner::children, &Child::owner_id);
}

TEST(ModelJsonTest, LoadedRelationshipsRoundTrip) {
  Owner owner;
  owner.id = 1;
  EXPECT_EQ(duo::ToJson(owner), nlohmann::json::parse(R"({"id": 1})"));
  owner.children = {Child{.id = 2, .owner_id = 1}, Child{.id = 3, .owner_id = 1}};
  const nlohmann::json json = duo::ToJson(owner);
  EXPECT_EQ(json, nlohmann::json::parse(
                      R"({"id": 1, "children": [{"id": 2, "owner_id": 1},
                                                {"id": 3, "owner_id": 1}]})"));
  DUO_ASSERT_OK_AND_ASSIGN(Owner back, duo::FromJson<Owner>(json));
  EXPECT_EQ(back.id, 1);
  EXPECT_TRUE(back.children.empty());  // relationships are read from the database
}

}  // namespace json_test
