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

}  // namespace moods

#endif  // MIGRATE_TESTDATA_MOODS_H_
