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

template <typename T>
duo::Schema<T> JournalTable(duo::Models& group) {
  return duo::Schema<T>("journal", group)
      .Column(&T::id, "id", duo::PrimaryKey())
      .Column(&T::feeling, "feeling")
      .Column(&T::parent, "parent");
}

duo::Schema<JournalV1> JournalV1::Table() { return JournalTable<JournalV1>(native_models); }
duo::Schema<JournalMore> JournalMore::Table() {
  return JournalTable<JournalMore>(native_more_models);
}
duo::Schema<JournalFewer> JournalFewer::Table() {
  return JournalTable<JournalFewer>(native_fewer_models);
}

DUO_REGISTER_MODEL(Diary);
DUO_REGISTER_MODEL(JournalV1);
DUO_REGISTER_MODEL(JournalMore);
DUO_REGISTER_MODEL(JournalFewer);
DUO_REGISTER_MODEL(QualifiedDiary);

}  // namespace moods
