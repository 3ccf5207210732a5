#include "notes.h"

namespace consumer {

duo::Schema<Note> Note::Table() {
  return duo::Schema<Note>("notes")
      .Column(&Note::id, "id", duo::PrimaryKey())
      .Column(&Note::text, "text", duo::Length(200))
      .Column(&Note::done, "done");
}

DUO_REGISTER_MODEL(Note);

}  // namespace consumer
