// The fixture every docs page's samples run in (see docs/README.md, "How
// the samples are tested").
//
// A page's samples become one test body, run once against a fresh SQLite
// file and once against a fresh PostgreSQL database. The body finds its
// database the way a deployed program would, through DUO_DATABASE_URL, so
// the samples say Database::FromEnvironment() rather than a test-only name.
// Each run also starts in an empty working directory of its own, for the
// samples that write files (migrations, a SQLite file named by a relative
// URL).

#ifndef DOCS_DOC_TEST_H_
#define DOCS_DOC_TEST_H_

#include <cstdlib>
#include <filesystem>
#include <string>

#include "docs/doc_models.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrate/autogenerate.h"
#include "migrate/cli.h"
#include "migrate/runner.h"
#include "testing/database.h"

// A hidden check that later samples depend on (an optional that must hold a
// value): ends the page's body with an error instead of dereferencing.
#define DOC_REQUIRE(condition)                                                     \
  do {                                                                             \
    if (!(condition)) return absl::InternalError("doc check failed: " #condition); \
  } while (false)

// EXPECT_EQ that also ends the body when it fails, for sizes that later
// checks index by. (gtest's ASSERT_* needs a void function; the body returns
// absl::Status so that the samples can use DUO_ASSIGN_OR_RETURN.)
#define DOC_ASSERT_EQ(actual, expected)                                          \
  do {                                                                           \
    EXPECT_EQ(actual, expected);                                                 \
    if (!((actual) == (expected))) {                                             \
      return absl::InternalError("doc check failed: " #actual " == " #expected); \
    }                                                                            \
  } while (false)

// Every test backend, or all but MariaDB for pages declared with
// doc_samples_test(..., mariadb = False).
#ifdef DUO_DOC_WITHOUT_MARIADB
#define DUO_INSTANTIATE_DOC_TEST()                                               \
  INSTANTIATE_TEST_SUITE_P(                                                      \
      Backends, DocTest,                                                         \
      ::testing::ValuesIn(::duo::testing::SelectedBackends(                      \
          {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres, \
           ::duo::testing::Backend::kPgBouncer})),                               \
      ::duo::testing::BackendParamName);                                         \
  GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DocTest)
#else
#define DUO_INSTANTIATE_DOC_TEST() DUO_INSTANTIATE_BACKEND_TEST(DocTest)
#endif

class DocTest : public duo::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    setenv("DUO_DATABASE_URL", database().url().c_str(), 1);
    const char* tmp = std::getenv("TEST_TMPDIR");
    const std::filesystem::path dir = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
                                      std::string(duo::testing::BackendName(backend()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    previous_dir_ = std::filesystem::current_path();
    std::filesystem::current_path(dir);
  }
  void TearDown() override {
    // A page that failed half-way must not leave its models bound to a
    // database that is about to be dropped.
    duo::Models::Default().Unbind();
    if (!previous_dir_.empty()) std::filesystem::current_path(previous_dir_);
    unsetenv("DUO_DATABASE_URL");
    BackendTest::TearDown();
  }

 private:
  std::filesystem::path previous_dir_;
};

#endif  // DOCS_DOC_TEST_H_
