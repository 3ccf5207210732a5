// Runs the quickstart, as the README's demo command does, against a fresh
// SQLite file, a fresh PostgreSQL database (directly and through
// PgBouncer) and a fresh MariaDB database, and checks its story.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"

namespace {

using ::testing::HasSubstr;

class QuickstartTest : public duo::testing::BackendTest {};

TEST_P(QuickstartTest, RunsFromNothingToTheEnd) {
  const std::string binary = std::string(std::getenv("TEST_SRCDIR")) + "/" +
                             std::getenv("TEST_WORKSPACE") + "/examples/quickstart/quickstart";
  FILE* pipe = popen((binary + " '" + database().url() + "' 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << output;

  // duo-migrate, built with duo_migrate_binary, creates the schema and, at
  // the end, reverts it.
  EXPECT_THAT(output, HasSubstr("upgraded 1 revision(s)"));
  EXPECT_THAT(output, HasSubstr("    hook: AfterCreate order #6 (12000.00)\n"));
  EXPECT_THAT(output, HasSubstr("Validate refused a negative total"));
  EXPECT_THAT(output, HasSubstr("Chloé now lives in Lyon"));
  EXPECT_THAT(
      output,
      HasSubstr("Ada's orders over 500, biggest first: #1 completed 9000, #2 completed 4000\n"));
  EXPECT_THAT(
      output,
      HasSubstr("page 2 of 2 (4 in all, has_next no): #2 completed 4000, #5 completed 750\n"));
  EXPECT_THAT(output, HasSubstr("3 customers and their orders in 2 statements"));
  EXPECT_THAT(output, HasSubstr("refused: DeleteBulk on quickstart::Order without a filter"));
  EXPECT_THAT(output, HasSubstr("deleted 1 cancelled order(s)"));
  EXPECT_THAT(output,
              HasSubstr("    Ada | 13000 | 1\n    Chloé | 12000 | 2\n    Brian | 750 | 3\n"));
  EXPECT_THAT(output, HasSubstr("shipped 2 of Ada's orders"));
  EXPECT_THAT(output, HasSubstr("three counts at once: 1 pending, 2 completed, 2 shipped"));
  EXPECT_THAT(output,
              HasSubstr("TransactionAsync added one for Brian: #5 completed 750, #7 completed 60"));
  EXPECT_THAT(output, HasSubstr("reverted"));
}

INSTANTIATE_TEST_SUITE_P(Backends, QuickstartTest,
                         ::testing::ValuesIn(duo::testing::SelectedBackends(
                             {duo::testing::Backend::kSqlite, duo::testing::Backend::kPostgres,
                              duo::testing::Backend::kPgBouncer, duo::testing::Backend::kMariadb})),
                         duo::testing::BackendParamName);

}  // namespace
