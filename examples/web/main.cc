// The web example's server: the quickstart's customers and orders over HTTP
// (routes and replies in examples/web/service.h).
//
//   bazel run //examples/web -- --port=8080                  # ./duo_web.db
//   bazel run //examples/web -- --url=postgresql://app@/shop?host=/run/postgresql
//   curl -s localhost:8080/customers -d '{"name": "Ada", "orders": [{"total": 90}]}'
//
// The database is --url, else $DUO_DATABASE_URL, else the SQLite file
// ./duo_web.db. Tables are created when missing (Models::CreateTables): a
// real deployment creates and evolves them with duo-migrate before it
// starts (//examples/quickstart:migrate, from the quickstart's migrations).
// --port=0 takes any free port; the first line printed names it.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "duo/base/status_macros.h"
#include "duo/engine/error.h"
#include "duo/model/models.h"
#include "duo/session/database.h"
#include "examples/quickstart/models.h"
#include "examples/web/service.h"
#include "httplib.h"

ABSL_FLAG(std::string, url, "",
          "database URL (default: $DUO_DATABASE_URL, else sqlite:///duo_web.db)");
ABSL_FLAG(std::string, host, "127.0.0.1", "address to listen on");
ABSL_FLAG(int, port, 8080, "port to listen on (0: any free port)");

namespace {

std::string DatabaseUrl() {
  std::string url = absl::GetFlag(FLAGS_url);
  if (const char* env = std::getenv("DUO_DATABASE_URL"); url.empty() && env != nullptr) url = env;
  return url.empty() ? "sqlite:///duo_web.db" : url;
}

absl::Status Run() {
  DUO_ASSIGN_OR_RETURN(duo::Database db, duo::Database::Open(DatabaseUrl()));
  DUO_RETURN_IF_ERROR(db.Connect());  // a wrong URL fails now, not at the first request
  duo::Models::Default().Bind(db);
  DUO_RETURN_IF_ERROR(duo::Models::CreateTables(
      db, {&duo::MetaOf<quickstart::Customer>(), &duo::MetaOf<quickstart::Order>()},
      /*if_not_exists=*/true));

  httplib::Server server;
  web::AddRoutes(db, server);
  const std::string host = absl::GetFlag(FLAGS_host);
  const int wanted = absl::GetFlag(FLAGS_port);
  const int port = wanted == 0 ? server.bind_to_any_port(host)
                               : (server.bind_to_port(host, wanted) ? wanted : -1);
  if (port < 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", host, ":", wanted));
  std::printf("serving %s on http://%s:%d\n", db.url().c_str(), host.c_str(), port);
  std::fflush(stdout);  // the line a script (or the test) waits for
  if (!server.listen_after_bind()) return absl::UnavailableError("the server stopped listening");
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // `bazel run` starts programs in their runfiles; a relative SQLite path
  // belongs to the directory the user ran it from.
  if (const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY"); cwd != nullptr) {
    std::filesystem::current_path(cwd);
  }
  const absl::Status status = Run();
  if (!status.ok()) {
    std::fprintf(stderr, "web: %s\n", duo::ErrorString(status).c_str());
    return 1;
  }
  return 0;
}
