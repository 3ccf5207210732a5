// The duo-migrate binary built by duo_migrate_binary, run as a user runs
// it with `bazel run`: from the runfiles tree, told where the user is by
// BUILD_WORKING_DIRECTORY.

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrate/cli.h"

namespace duo::migrate {
namespace {

using ::testing::HasSubstr;

struct Outcome {
  int exit_code;
  std::string output;
};

class CliBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = std::filesystem::absolute("migrate/library_migrate").string();
    workdir_ = std::filesystem::path(::testing::TempDir()) / "cli_binary_test";
    std::filesystem::remove_all(workdir_);
    std::filesystem::create_directories(workdir_);
  }

  // Runs the binary from the test's own directory, as `bazel run` would.
  Outcome Migrate(const std::string& args) {
    const std::string command = absl::StrCat("BUILD_WORKING_DIRECTORY='", workdir_.string(), "' '",
                                             binary_, "' ", args, " 2>&1");
    FILE* pipe = popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    std::string output;
    char buffer[4096];
    size_t read;
    while ((read = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, read);
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
  }

  std::string binary_;
  std::filesystem::path workdir_;
};

TEST_F(CliBinaryTest, WorkflowFromInitToCheck) {
  Outcome init = Migrate("init");
  ASSERT_EQ(init.exit_code, kExitOk) << init.output;
  EXPECT_TRUE(std::filesystem::is_directory(workdir_ / "migrations"));
  ASSERT_TRUE(std::filesystem::exists(workdir_ / "duo-migrate.cfg"));

  // The relative URL and the config resolve against the user's directory.
  const std::string url = "--url sqlite:///library.db --group library_v1";
  Outcome check = Migrate("check " + url);
  EXPECT_EQ(check.exit_code, kExitDifferences) << check.output;
  EXPECT_THAT(check.output, HasSubstr("create table \"authors\""));

  Outcome create = Migrate("create 'initial schema' " + url);
  ASSERT_EQ(create.exit_code, kExitOk) << create.output;
  EXPECT_THAT(create.output, HasSubstr("migrations/"));

  Outcome sql = Migrate("upgrade --sql " + url);
  ASSERT_EQ(sql.exit_code, kExitOk) << sql.output;
  EXPECT_THAT(sql.output, HasSubstr("CREATE TABLE \"books\""));

  Outcome upgrade = Migrate("upgrade " + url);
  ASSERT_EQ(upgrade.exit_code, kExitOk) << upgrade.output;
  EXPECT_THAT(upgrade.output, HasSubstr("applied "));
  EXPECT_TRUE(std::filesystem::exists(workdir_ / "library.db"));

  check = Migrate("check " + url);
  EXPECT_EQ(check.exit_code, kExitOk) << check.output;
}

TEST_F(CliBinaryTest, ExitCodes) {
  EXPECT_EQ(Migrate("--help").exit_code, kExitOk);
  EXPECT_EQ(Migrate("").exit_code, kExitUsage);
  EXPECT_EQ(Migrate("launch").exit_code, kExitUsage);
  EXPECT_EQ(Migrate("upgrade --dir nowhere --url sqlite:///x.db").exit_code, kExitRefused);
  // A URL no linked driver opens (mysql:// was one until duo-migrate had a
  // MySQL implementation).
  EXPECT_EQ(Migrate("current --url oracle://nope").exit_code, kExitRefused);
}

}  // namespace
}  // namespace duo::migrate
