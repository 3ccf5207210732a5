// Starts this process's MariaDB test server, prints where it runs, then
// ends as argv[1] says: "exit" (normally), "crash" (abort), or "hang" (until
// killed). mariadb_server_test checks that the server never outlives it.

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "testing/internal/mariadb_server.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s exit|crash|hang\n", argv[0]);
    return 2;
  }
  absl::StatusOr<duo::testing_internal::MariadbServer*> server =
      duo::testing_internal::MariadbServer::Shared();
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("%d %s\n", static_cast<int>((*server)->server_pid()), (*server)->directory().c_str());
  std::fflush(stdout);
  if (std::strcmp(argv[1], "crash") == 0) std::abort();
  if (std::strcmp(argv[1], "hang") == 0) {
    while (true) pause();
  }
  return 0;
}
