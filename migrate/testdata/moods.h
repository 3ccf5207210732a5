// Models whose columns use PostgreSQL types defined outside duo: an enum
// created in `public` (CREATE TYPE mood AS ENUM ...) and the citext
// extension's type, for duo-migrate's tests of type resolution. Two model
// groups name the same types two ways: "moods" unqualified, as the
// search_path finds them, and "moods_qualified" as public.mood and
// public.citext. Both must read as the same schema.

#ifndef MIGRATE_TESTDATA_MOODS_H_
#define MIGRATE_TESTDATA_MOODS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "duo/model/schema.h"
#include "duo/sql/value.h"

// Native enum types declared in the models (EnumStorage::kNative), all named
// "feeling": as first declared, with a label added, and with one dropped.
namespace moods {
enum class Feeling { kSad, kOk, kHappy };
enum class FeelingMore { kGlum, kSad, kOk, kContent, kHappy };
enum class FeelingFewer { kSad, kHappy };
}  // namespace moods

template <>
struct duo::sql::EnumTraits<moods::Feeling> {
  static constexpr EnumStorage kStorage = EnumStorage::kNative;
  static constexpr std::string_view kTypeName = "feeling";
  static constexpr std::pair<moods::Feeling, std::string_view> kNames[] = {
      {moods::Feeling::kSad, "sad"},
      {moods::Feeling::kOk, "ok"},
      {moods::Feeling::kHappy, "happy"}};
};
template <>
struct duo::sql::EnumTraits<moods::FeelingMore> {
  static constexpr EnumStorage kStorage = EnumStorage::kNative;
  static constexpr std::string_view kTypeName = "feeling";
  static constexpr std::pair<moods::FeelingMore, std::string_view> kNames[] = {
      {moods::FeelingMore::kGlum, "glum"},
      {moods::FeelingMore::kSad, "sad"},
      {moods::FeelingMore::kOk, "ok"},
      {moods::FeelingMore::kContent, "content"},
      {moods::FeelingMore::kHappy, "happy"}};
};
template <>
struct duo::sql::EnumTraits<moods::FeelingFewer> {
  static constexpr EnumStorage kStorage = EnumStorage::kNative;
  static constexpr std::string_view kTypeName = "feeling";
  static constexpr std::pair<moods::FeelingFewer, std::string_view> kNames[] = {
      {moods::FeelingFewer::kSad, "sad"}, {moods::FeelingFewer::kHappy, "happy"}};
};

namespace moods {

inline duo::Models models("moods");
inline duo::Models qualified_models("moods_qualified");

struct Diary {
  int64_t id = 0;
  std::string mood;
  std::optional<std::string> author;
  static duo::Schema<Diary> Table();
};

struct QualifiedDiary {
  int64_t id = 0;
  std::string mood;
  std::optional<std::string> author;
  static duo::Schema<QualifiedDiary> Table();
};

// One table "journal" (a uuid key, a native enum) in three versions,
// each in its own group.
inline duo::Models native_models("native_moods");
inline duo::Models native_more_models("native_moods_more");
inline duo::Models native_fewer_models("native_moods_fewer");

struct JournalV1 {
  duo::sql::Uuid id;
  Feeling feeling{};
  std::optional<duo::sql::Uuid> parent;
  static duo::Schema<JournalV1> Table();
};
struct JournalMore {
  duo::sql::Uuid id;
  FeelingMore feeling{};
  std::optional<duo::sql::Uuid> parent;
  static duo::Schema<JournalMore> Table();
};
struct JournalFewer {
  duo::sql::Uuid id;
  FeelingFewer feeling{};
  std::optional<duo::sql::Uuid> parent;
  static duo::Schema<JournalFewer> Table();
};

}  // namespace moods

#endif  // MIGRATE_TESTDATA_MOODS_H_
