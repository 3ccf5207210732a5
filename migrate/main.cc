// duo-migrate's entry point; duo_migrate_binary links it with the models.

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "migrate/cli.h"

int main(int argc, char** argv) {
  // `bazel run` starts programs in their runfiles tree; the user means the
  // directory they ran it from (where duo-migrate.cfg and migrations are).
  if (const char* workspace = std::getenv("BUILD_WORKING_DIRECTORY"); workspace != nullptr) {
    if (chdir(workspace) != 0) {
      std::cerr << "duo-migrate: cannot enter " << workspace << "\n";
      return duo::migrate::kExitFailed;
    }
  }
  return duo::migrate::RunCli(std::vector<std::string>(argv + 1, argv + argc), std::cout,
                              std::cerr);
}
