// Runs the quickstart, as the README's demo command does, against a fresh
// SQLite file and a fresh PostgreSQL database, and checks its story.

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

  EXPECT_THAT(output, HasSubstr("3. inserted 3 customers and 6 orders"));
  EXPECT_THAT(output, HasSubstr("    1 | Ada | 9000\n    2 | Ada | 4000\n"));
  EXPECT_THAT(output, HasSubstr("    Ada | 13000 | 1\n    Chloé | 12000 | 2\n    Brian | 750 | 3\n"));
  EXPECT_THAT(output, HasSubstr("hit a unique violation"));
  EXPECT_THAT(output, HasSubstr("rolled back: 0 orders cancelled"));
  EXPECT_THAT(output, HasSubstr("7. standalone session shipped 2 orders"));
}

DUO_INSTANTIATE_BACKEND_TEST(QuickstartTest);

}  // namespace
