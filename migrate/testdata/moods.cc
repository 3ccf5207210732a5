#include "migrate/testdata/moods.h"

#include "duo/sql/types.h"

namespace moods {

duo::Schema<Diary> Diary::Table() {
  return duo::Schema<Diary>("diary", models)
      .Column(&Diary::id, "id", duo::PrimaryKey())
      .Column(&Diary::mood, "mood", duo::Type(duo::sql::SqlType::Custom("mood")))
      .Column(&Diary::author, "author", duo::Type(duo::sql::SqlType::Custom("citext")));
}

duo::Schema<QualifiedDiary> QualifiedDiary::Table() {
  return duo::Schema<QualifiedDiary>("diary", qualified_models)
      .Column(&QualifiedDiary::id, "id", duo::PrimaryKey())
      .Column(&QualifiedDiary::mood, "mood", duo::Type(duo::sql::SqlType::Custom("public.mood")))
      .Column(&QualifiedDiary::author, "author",
              duo::Type(duo::sql::SqlType::Custom("public.citext")));
}

DUO_REGISTER_MODEL(Diary);
DUO_REGISTER_MODEL(QualifiedDiary);

}  // namespace moods
