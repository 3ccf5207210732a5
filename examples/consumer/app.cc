// The consumer's program: notes in the database its URL names, whose
// schema duo-migrate created.

#include <cstdio>
#include <string>

#include "duo/base/status_macros.h"
#include "duo/engine/error.h"
#include "duo/query/query.h"
#include "duo/session/database.h"
#include "notes.h"

namespace {

absl::Status Run(const std::string& url) {
  DUO_ASSIGN_OR_RETURN(duo::Database db, duo::Database::Open(url));
  duo::Models::Default().Bind(db);
  DUO_RETURN_IF_ERROR(consumer::Note::Create({.text = "try duo"}).status());
  DUO_RETURN_IF_ERROR(consumer::Note::Create({.text = "ship it", .done = true}).status());
  DUO_ASSIGN_OR_RETURN(int64_t open, consumer::Note::FilterBy({{"done", false}}).Count());
  std::printf("notes: %lld open\n", static_cast<long long>(open));
  duo::Models::Default().Unbind();
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  const absl::Status status = Run(argc > 1 ? argv[1] : "sqlite:///notes.db");
  if (!status.ok()) {
    // One clean line; duo::GetErrorDetails(status) has the details.
    std::fprintf(stderr, "%s\n", duo::ErrorString(status).c_str());
    return 1;
  }
  return 0;
}
