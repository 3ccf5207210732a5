#include "migrate/revision.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrate/internal/sha256.h"
#include "testing/status.h"

namespace duo::migrate {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::string_view kPath = "migrations/3f9a2c1b7d4e_add_orders.sql";

Revision FullRevision() {
  Revision revision;
  revision.id = "3f9a2c1b7d4e";
  revision.parent = "0123456789ab";
  revision.message = "add orders";
  revision.dialect = "sqlite";
  revision.created = "2026-11-25T10:00:00Z";
  revision.transactional = false;
  revision.sqlite_foreign_keys_off = true;
  revision.destructive_up = {R"(drop column "orders"."note")", R"(drop table "legacy")"};
  revision.destructive_down = {R"(drop table "orders")"};
  revision.up = {
      "CREATE TABLE \"orders\" (\n  \"id\" INTEGER PRIMARY KEY -- the key\n)",
      "CREATE TRIGGER \"orders_guard\" BEFORE DELETE ON \"orders\"\nBEGIN\n"
      "  SELECT CASE WHEN OLD.\"id\" = 1 THEN RAISE(ABORT, 'keep; it') END;\nEND",
      "INSERT INTO \"orders\" VALUES (1) -- a trailing comment",
  };
  revision.down = {"DROP TABLE \"orders\""};
  return revision;
}

void ExpectSameFields(const Revision& actual, const Revision& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.parent, expected.parent);
  EXPECT_EQ(actual.message, expected.message);
  EXPECT_EQ(actual.dialect, expected.dialect);
  EXPECT_EQ(actual.created, expected.created);
  EXPECT_EQ(actual.transactional, expected.transactional);
  EXPECT_EQ(actual.sqlite_foreign_keys_off, expected.sqlite_foreign_keys_off);
  EXPECT_EQ(actual.destructive_up, expected.destructive_up);
  EXPECT_EQ(actual.destructive_down, expected.destructive_down);
  EXPECT_EQ(actual.up, expected.up);
  EXPECT_EQ(actual.down, expected.down);
}

bool IsChecksum(absl::string_view checksum) {
  return checksum.size() == 71 && checksum.substr(0, 7) == "sha256:" &&
         checksum.substr(7).find_first_not_of("0123456789abcdef") == absl::string_view::npos;
}

// ---------------------------------------------------------------------------
// Format and parse.

TEST(FormatRevisionTest, WritesTheDocumentedLayout) {
  EXPECT_EQ(FormatRevision(FullRevision()), R"(-- duo-migrate revision
-- id: 3f9a2c1b7d4e
-- parent: 0123456789ab
-- message: add orders
-- dialect: sqlite
-- created: 2026-11-25T10:00:00Z
-- transactional: false
-- sqlite-foreign-keys: off
-- destructive-up: drop column "orders"."note"
-- destructive-up: drop table "legacy"
-- destructive-down: drop table "orders"

-- duo:up
CREATE TABLE "orders" (
  "id" INTEGER PRIMARY KEY -- the key
);

CREATE TRIGGER "orders_guard" BEFORE DELETE ON "orders"
BEGIN
  SELECT CASE WHEN OLD."id" = 1 THEN RAISE(ABORT, 'keep; it') END;
END;

INSERT INTO "orders" VALUES (1) -- a trailing comment
;

-- duo:down
DROP TABLE "orders";

-- duo:end
)");
}

TEST(FormatRevisionTest, WritesDefaultsAndEmptySteps) {
  Revision revision;
  revision.id = "aaaaaaaaaaaa";
  revision.message = "first\nof many";
  revision.dialect = "postgresql";
  EXPECT_EQ(FormatRevision(revision), R"(-- duo-migrate revision
-- id: aaaaaaaaaaaa
-- parent: base
-- message: first of many
-- dialect: postgresql
-- transactional: true

-- duo:up
-- (nothing)

-- duo:down
-- (nothing)

-- duo:end
)");
}

TEST(ParseRevisionTest, RoundTripsEveryField) {
  const Revision revision = FullRevision();
  DUO_ASSERT_OK_AND_ASSIGN(const Revision parsed, ParseRevision(FormatRevision(revision), kPath));
  ExpectSameFields(parsed, revision);
  EXPECT_EQ(parsed.path, kPath);
  EXPECT_TRUE(IsChecksum(parsed.checksum)) << parsed.checksum;
}

TEST(ParseRevisionTest, RoundTripsDefaultsAndEmptySteps) {
  Revision revision;
  revision.id = "aaaaaaaaaaaa";
  revision.dialect = "postgresql";
  DUO_ASSERT_OK_AND_ASSIGN(const Revision parsed, ParseRevision(FormatRevision(revision), kPath));
  ExpectSameFields(parsed, revision);
}

// Found by //migrate:revision_fuzzer: a marker comment after a ';' on the
// same line is SQL, and starts the next statement; formatting must not turn
// it into a marker line.
TEST(ParseRevisionTest, RoundTripsAStatementStartingWithAMarkerComment) {
  constexpr absl::string_view kText =
      "-- duo-migrate revision\n-- id: aaaaaaaaaaaa\n-- parent: base\n-- dialect: sqlite\n\n"
      "-- duo:up\nCREATE TABLE t (n INTEGER);-- duo:down\nDROP TABLE u;\n  -- duo:up\nSELECT 1\n"
      "-- duo:end\n";
  DUO_ASSERT_OK_AND_ASSIGN(const Revision parsed, ParseRevision(kText, kPath));
  ASSERT_EQ(parsed.up.size(), 3u);
  EXPECT_EQ(parsed.up[1], "-- duo:down\nDROP TABLE u");
  EXPECT_EQ(parsed.up[2], "-- duo:up\nSELECT 1");
  EXPECT_TRUE(parsed.down.empty());
  DUO_ASSERT_OK_AND_ASSIGN(const Revision again, ParseRevision(FormatRevision(parsed), kPath));
  ExpectSameFields(again, parsed);
}

TEST(ParseRevisionTest, AcceptsCommentsBlankLinesAndNoDownMarker) {
  constexpr absl::string_view kText = R"(-- duo-migrate revision
-- Generated by duo-migrate; review before applying.

-- id: 3f9a2c1b7d4e
--parent:   base
-- dialect: postgresql
-- message:
-- duo:up
CREATE INDEX CONCURRENTLY "i" ON "t" ("c");
-- duo:end

)";
  DUO_ASSERT_OK_AND_ASSIGN(const Revision parsed, ParseRevision(kText, kPath));
  EXPECT_EQ(parsed.id, "3f9a2c1b7d4e");
  EXPECT_EQ(parsed.parent, "");
  EXPECT_EQ(parsed.message, "");
  EXPECT_TRUE(parsed.transactional);
  EXPECT_THAT(parsed.up, ElementsAre(R"(CREATE INDEX CONCURRENTLY "i" ON "t" ("c"))"));
  EXPECT_THAT(parsed.down, IsEmpty());
}

TEST(ParseRevisionTest, AcceptsCrlfWithTheSameChecksum) {
  const std::string lf = FormatRevision(FullRevision());
  const std::string crlf = absl::StrReplaceAll(lf, {{"\n", "\r\n"}});
  DUO_ASSERT_OK_AND_ASSIGN(const Revision from_lf, ParseRevision(lf, kPath));
  DUO_ASSERT_OK_AND_ASSIGN(const Revision from_crlf, ParseRevision(crlf, kPath));
  ExpectSameFields(from_crlf, FullRevision());
  EXPECT_EQ(from_crlf.checksum, from_lf.checksum);
}

TEST(ParseRevisionTest, ChecksumChangesWithTheText) {
  Revision revision = FullRevision();
  DUO_ASSERT_OK_AND_ASSIGN(const Revision before, ParseRevision(FormatRevision(revision), kPath));
  revision.down = {"DROP TABLE \"order\""};
  DUO_ASSERT_OK_AND_ASSIGN(const Revision after, ParseRevision(FormatRevision(revision), kPath));
  EXPECT_NE(before.checksum, after.checksum);
  DUO_ASSERT_OK_AND_ASSIGN(const Revision again,
                           ParseRevision(FormatRevision(revision), "other.sql"));
  EXPECT_EQ(after.checksum, again.checksum);
}

struct BadFile {
  std::string name;
  std::string text;
  std::string error;  // a part of the message besides the path
};

std::string ValidText() {
  Revision revision;
  revision.id = "3f9a2c1b7d4e";
  revision.dialect = "sqlite";
  revision.up = {"SELECT 1"};
  revision.down = {"SELECT 2"};
  return FormatRevision(revision);
}

std::string Replaced(const std::string& from, const std::string& to) {
  std::string text = ValidText();
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(ParseRevisionTest, RejectsMalformedFilesNamingThem) {
  const std::vector<BadFile> bad_files = {
      {"NotARevision", "CREATE TABLE t (x);\n", ":1: not a duo-migrate revision"},
      {"Empty", "", ":1: not a duo-migrate revision"},
      {"UnknownKey", Replaced("-- dialect:", "-- colour: red\n-- dialect:"),
       ":5: unknown header key \"colour\""},
      {"MissingId", Replaced("-- id: 3f9a2c1b7d4e\n", ""), "no \"-- id:\" header line"},
      {"MissingParent", Replaced("-- parent: base\n", ""), "no \"-- parent:\" header line"},
      {"MissingDialect", Replaced("-- dialect: sqlite\n", ""), "no \"-- dialect:\" header line"},
      {"UppercaseId", Replaced("3f9a2c1b7d4e", "3F9A2C1B7D4E"),
       ":2: id \"3F9A2C1B7D4E\" is not 12 lowercase hex characters"},
      {"ShortId", Replaced("3f9a2c1b7d4e", "3f9a"), "id \"3f9a\" is not 12"},
      {"BadParent", Replaced("parent: base", "parent: none"), ":3: parent \"none\""},
      {"BadDialect", Replaced("dialect: sqlite", "dialect: My SQL"),
       ":5: dialect \"My SQL\" is not a dialect name"},
      {"BadTransactional", Replaced("transactional: true", "transactional: yes"),
       ":6: transactional is \"yes\""},
      {"BadForeignKeys",
       Replaced("-- transactional", "-- sqlite-foreign-keys: maybe\n-- transactional"),
       "sqlite-foreign-keys is \"maybe\""},
      {"DuplicateKey", Replaced("-- dialect: sqlite", "-- dialect: sqlite\n-- dialect: sqlite"),
       ":6: duplicate key \"dialect\""},
      {"NoUpMarker", Replaced("-- duo:up\n", ""), "no \"-- duo:up\" marker line"},
      {"DownBeforeUp", Replaced("-- duo:up\n", "-- duo:down\n-- duo:up\n"),
       ":8: \"-- duo:down\" before \"-- duo:up\""},
      {"SqlInHeader", Replaced("\n-- duo:up", "SELECT 0;\n-- duo:up"),
       ":7: expected \"-- key: value\" header lines"},
      {"SecondUpMarker", Replaced("-- duo:down", "-- duo:up"), ":11: a second \"-- duo:up\""},
      {"SecondDownMarker", Replaced("SELECT 2;", "-- duo:down"), ":12: a second \"-- duo:down\""},
      {"NoEndMarker", Replaced("-- duo:end\n", ""), "no \"-- duo:end\" line at the end"},
      {"SqlAfterEndMarker", ValidText() + "-- note\nSELECT 3;\n",
       "no \"-- duo:end\" line at the end"},
      {"EarlyEndMarker", Replaced("-- duo:down", "-- duo:end\n-- duo:down"),
       ":11: \"-- duo:end\" before the end of the file"},
      {"EmptyUp", Replaced("SELECT 1;\n", ""), ":8: the up step holds no statement"},
  };
  for (const BadFile& bad : bad_files) {
    SCOPED_TRACE(bad.name);
    const absl::StatusOr<Revision> parsed = ParseRevision(bad.text, kPath);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()),
                AllOf(HasSubstr(std::string(kPath)), HasSubstr(bad.error)));
  }
}

// A file cut anywhere (a partial write, a merge that lost its tail) is
// refused, never run in part; before the end marker existed, cuts at
// statement boundaries parsed and ran the statements left.
TEST(ParseRevisionTest, RefusesAFileCutAnywhere) {
  Revision revision = FullRevision();
  revision.up = {"CREATE TABLE a (x INTEGER)", "CREATE TABLE b (x INTEGER)",
                 "CREATE TABLE c (x INTEGER)", "CREATE TABLE d (x INTEGER)"};
  revision.down = {"DROP TABLE d", "DROP TABLE c", "DROP TABLE b", "DROP TABLE a"};
  const std::string text = FormatRevision(revision);
  DUO_ASSERT_OK(ParseRevision(text, kPath).status());
  const size_t end = text.rfind("-- duo:end");
  for (size_t cut = 0; cut <= end; ++cut) {
    const absl::StatusOr<Revision> parsed = ParseRevision(text.substr(0, cut), kPath);
    ASSERT_FALSE(parsed.ok()) << "cut at " << cut << ": " << text.substr(0, cut);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(std::string(kPath)));
  }
}

// Files written before the marker: the error says how to fix them, and the
// fix keeps the checksum an applied revision was recorded with.
TEST(ParseRevisionTest, AddingTheEndMarkerKeepsTheChecksum) {
  const std::string text = ValidText();
  const std::string legacy = text.substr(0, text.rfind("-- duo:end"));
  const absl::StatusOr<Revision> refused = ParseRevision(legacy, kPath);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("add \"-- duo:end\" as its last line; its checksum does not change"));
  DUO_ASSERT_OK_AND_ASSIGN(const Revision fixed, ParseRevision(legacy + "-- duo:end\n", kPath));
  DUO_ASSERT_OK_AND_ASSIGN(const Revision written, ParseRevision(text, kPath));
  EXPECT_EQ(fixed.checksum, written.checksum);
  // What the checksum covers: the text without the marker, as recorded by
  // duo-migrate versions that had no marker.
  EXPECT_EQ(fixed.checksum, absl::StrCat("sha256:", migrate_internal::Sha256Hex(legacy)));
  // A comment appended after the marker is an edit: it parses, with
  // another checksum.
  DUO_ASSERT_OK_AND_ASSIGN(const Revision noted,
                           ParseRevision(text + "-- an afterthought\n", kPath));
  EXPECT_NE(noted.checksum, written.checksum);
  EXPECT_EQ(noted.up, written.up);
}

TEST(ParseRevisionTest, AnEmptyUpStepMustSaySo) {
  Revision revision;
  revision.id = "aaaaaaaaaaaa";
  revision.dialect = "sqlite";
  DUO_ASSERT_OK_AND_ASSIGN(const Revision blank, ParseRevision(FormatRevision(revision), kPath));
  EXPECT_THAT(blank.up, IsEmpty());
  const std::string emptied =
      absl::StrReplaceAll(FormatRevision(revision), {{"-- (nothing)\n", ""}});
  EXPECT_THAT(std::string(ParseRevision(emptied, kPath).status().message()),
              HasSubstr("the up step holds no statement"));
}

// ---------------------------------------------------------------------------
// SplitStatements.

TEST(SplitStatementsTest, SplitsAndTrims) {
  EXPECT_THAT(SplitStatements("  CREATE TABLE a (x);\n\nCREATE TABLE b (y)  \n"),
              ElementsAre("CREATE TABLE a (x)", "CREATE TABLE b (y)"));
  EXPECT_THAT(SplitStatements(""), IsEmpty());
  EXPECT_THAT(SplitStatements(" ;; \n ; "), IsEmpty());
}

TEST(SplitStatementsTest, IgnoresSemicolonsInStringsAndIdentifiers) {
  EXPECT_THAT(SplitStatements("INSERT INTO t VALUES ('a;b', 'it''s;'); SELECT 1"),
              ElementsAre("INSERT INTO t VALUES ('a;b', 'it''s;')", "SELECT 1"));
  EXPECT_THAT(SplitStatements(R"(CREATE TABLE "we;ird" ("x;""y" INT); SELECT 2)"),
              ElementsAre(R"(CREATE TABLE "we;ird" ("x;""y" INT))", "SELECT 2"));
  EXPECT_THAT(SplitStatements(R"(SELECT E'it\'s; fine', e'\\'; SELECT 3)"),
              ElementsAre(R"(SELECT E'it\'s; fine', e'\\')", "SELECT 3"));
}

TEST(SplitStatementsTest, KeepsCommentsAndDropsCommentOnlyStatements) {
  EXPECT_THAT(SplitStatements("-- make a; b\nSELECT 1; /* c; d */ SELECT 2 -- e;\n;"
                              "\n-- only a comment;\n/* and; another */;"),
              ElementsAre("-- make a; b\nSELECT 1", "/* c; d */ SELECT 2 -- e;"));
}

TEST(SplitStatementsTest, IgnoresSemicolonsInDollarQuotes) {
  constexpr absl::string_view kSql = R"(CREATE FUNCTION f() RETURNS trigger AS $$
BEGIN
  UPDATE t SET n = n + 1;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE FUNCTION g() RETURNS text AS $body$ SELECT '$$;' $body$ LANGUAGE sql;
SELECT $1, a$b FROM t; SELECT 4)";
  const std::vector<std::string> statements = SplitStatements(kSql);
  ASSERT_EQ(statements.size(), 4u);
  EXPECT_TRUE(absl::EndsWith(statements[0], "$$ LANGUAGE plpgsql")) << statements[0];
  EXPECT_EQ(statements[1],
            "CREATE FUNCTION g() RETURNS text AS $body$ SELECT '$$;' $body$ LANGUAGE sql");
  EXPECT_EQ(statements[2], "SELECT $1, a$b FROM t");
  EXPECT_EQ(statements[3], "SELECT 4");
}

TEST(SplitStatementsTest, KeepsASqliteTriggerBodyWhole) {
  constexpr absl::string_view kTrigger = R"(create temp trigger "orders_check"
BEFORE INSERT ON "orders"
WHEN CASE WHEN NEW.total IS NULL THEN 0 ELSE 1 END
BEGIN
  SELECT CASE
    WHEN NEW.total < 0 THEN RAISE(ABORT, 'negative; no')
    ELSE CASE WHEN NEW.total > 100 THEN 1 END
  END;
  UPDATE stats SET n = n + 1, "end" = NEW.end;
END)";
  EXPECT_THAT(SplitStatements(absl::StrCat(kTrigger, ";\nCREATE INDEX i ON orders (total);")),
              ElementsAre(kTrigger, "CREATE INDEX i ON orders (total)"));
}

TEST(SplitStatementsTest, KnowsWhenBeginOpensNoBody) {
  // A PostgreSQL trigger calls a function; a function named begin is no body.
  EXPECT_THAT(
      SplitStatements("CREATE TRIGGER t AFTER INSERT ON x EXECUTE FUNCTION begin(); SELECT 1"),
      ElementsAre("CREATE TRIGGER t AFTER INSERT ON x EXECUTE FUNCTION begin()", "SELECT 1"));
  EXPECT_THAT(SplitStatements("BEGIN; CREATE TABLE t (x); COMMIT"),
              ElementsAre("BEGIN", "CREATE TABLE t (x)", "COMMIT"));
  EXPECT_THAT(SplitStatements("CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql "
                              "RETURN begin; SELECT 1"),
              ElementsAre("CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql RETURN begin",
                          "SELECT 1"));
  // PostgreSQL 14's SQL-standard function bodies do end in ';'.
  EXPECT_THAT(
      SplitStatements("CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END; SELECT 1"),
      ElementsAre("CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END", "SELECT 1"));
}

TEST(SplitStatementsTest, LeavesAnUnclosedQuoteToTheDatabase) {
  EXPECT_THAT(SplitStatements("SELECT 'abc; SELECT 2"), ElementsAre("SELECT 'abc; SELECT 2"));
  EXPECT_THAT(SplitStatements("SELECT 1; /* open; "), ElementsAre("SELECT 1"));
}

// ---------------------------------------------------------------------------
// Files.

// A fresh, empty directory per test.
std::string TestDirectory() {
  const std::filesystem::path directory =
      std::filesystem::path(::testing::TempDir()) /
      ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  return directory.string();
}

std::string ReadAll(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

Revision MakeRevision(absl::string_view id, absl::string_view parent, absl::string_view message) {
  Revision revision;
  revision.id = std::string(id);
  revision.parent = std::string(parent);
  revision.message = std::string(message);
  revision.dialect = "sqlite";
  revision.up = {absl::StrCat("CREATE TABLE t_", id, " (x)")};
  revision.down = {absl::StrCat("DROP TABLE t_", id)};
  return revision;
}

std::vector<std::string> Ids(const std::vector<Revision>& revisions) {
  std::vector<std::string> ids;
  for (const Revision& revision : revisions) ids.push_back(revision.id);
  return ids;
}

TEST(WriteRevisionFileTest, WritesOnceUnderASlug) {
  const std::string directory = TestDirectory();
  const Revision revision = MakeRevision("3f9a2c1b7d4e", "", "Add orders: note & total!!");
  DUO_ASSERT_OK_AND_ASSIGN(const std::string path, WriteRevisionFile(directory, revision));
  EXPECT_EQ(path, directory + "/3f9a2c1b7d4e_add_orders_note_total.sql");
  EXPECT_EQ(ReadAll(path), FormatRevision(revision));

  DUO_ASSERT_OK_AND_ASSIGN(const Revision read, ReadRevisionFile(path));
  ExpectSameFields(read, revision);
  EXPECT_EQ(read.path, path);

  Revision changed = revision;
  changed.up = {"SELECT 1"};
  const absl::StatusOr<std::string> again = WriteRevisionFile(directory, changed);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr(path));
  EXPECT_EQ(ReadAll(path), FormatRevision(revision));
}

TEST(WriteRevisionFileTest, ShortensTheSlug) {
  const std::string directory = TestDirectory();
  DUO_ASSERT_OK_AND_ASSIGN(
      const std::string long_path,
      WriteRevisionFile(directory, MakeRevision("aaaaaaaaaaaa", "",
                                                "Rebuild the orders table - with a longer name "
                                                "than fits")));
  EXPECT_EQ(std::filesystem::path(long_path).filename().string(),
            "aaaaaaaaaaaa_rebuild_the_orders_table_with_a_longer.sql");
  DUO_ASSERT_OK_AND_ASSIGN(const std::string bare_path,
                           WriteRevisionFile(directory, MakeRevision("bbbbbbbbbbbb", "", "!?")));
  EXPECT_EQ(std::filesystem::path(bare_path).filename().string(), "bbbbbbbbbbbb.sql");
}

TEST(WriteRevisionFileTest, RefusesWhatWouldNotReadBack) {
  const std::string directory = TestDirectory();
  Revision bad_id = MakeRevision("../escape", "", "x");
  EXPECT_EQ(WriteRevisionFile(directory, bad_id).status().code(),
            absl::StatusCode::kInvalidArgument);
  Revision semicolon = MakeRevision("cccccccccccc", "", "x");
  semicolon.up = {"SELECT 1;"};
  EXPECT_EQ(WriteRevisionFile(directory, semicolon).status().code(),
            absl::StatusCode::kInvalidArgument);
  Revision unclosed = MakeRevision("cccccccccccc", "", "x");
  unclosed.down = {"SELECT 'a", "SELECT 'b'"};
  EXPECT_EQ(WriteRevisionFile(directory, unclosed).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(std::filesystem::is_empty(directory));
}

TEST(WriteRevisionFileTest, WritesAStatementStartingWithAMarkerComment) {
  Revision revision = MakeRevision("dddddddddddd", "", "x");
  revision.up = {"SELECT 1", "-- duo:down\nSELECT 2"};
  DUO_ASSERT_OK_AND_ASSIGN(const std::string path, WriteRevisionFile(TestDirectory(), revision));
  DUO_ASSERT_OK_AND_ASSIGN(const Revision read, ReadRevisionFile(path));
  EXPECT_EQ(read.up, revision.up);
}

TEST(ReadRevisionFileTest, MissingFileIsNotFound) {
  const std::string path = TestDirectory() + "/absent.sql";
  const absl::StatusOr<Revision> read = ReadRevisionFile(path);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(read.status().message(), HasSubstr(path));
}

// A chain of three, written out of order: c <- a <- b by file name.
class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = TestDirectory();
    for (const Revision& revision : {MakeRevision("cccccccccccc", "aaaaaaaaaaaa", "third"),
                                     MakeRevision("bbbbbbbbbbbb", "", "first"),
                                     MakeRevision("aaaaaaaaaaaa", "bbbbbbbbbbbb", "second")}) {
      DUO_ASSERT_OK_AND_ASSIGN(const std::string path, WriteRevisionFile(directory_, revision));
      paths_.push_back(path);
    }
  }

  std::string directory_;
  std::vector<std::string> paths_;  // third, first, second
};

TEST_F(HistoryTest, LoadsAndOrdersAChain) {
  std::ofstream(directory_ + "/README.md") << "not a revision";
  std::filesystem::create_directory(directory_ + "/old.sql");
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Revision> loaded, LoadRevisions(directory_));
  EXPECT_THAT(Ids(loaded), ElementsAre("aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"));
  for (const Revision& revision : loaded) EXPECT_TRUE(IsChecksum(revision.checksum));
  EXPECT_THAT(Heads(loaded), ElementsAre("cccccccccccc"));

  DUO_ASSERT_OK_AND_ASSIGN(const std::vector<Revision> ordered, OrderRevisions(std::move(loaded)));
  EXPECT_THAT(Ids(ordered), ElementsAre("bbbbbbbbbbbb", "aaaaaaaaaaaa", "cccccccccccc"));
  EXPECT_EQ(ordered[0].path, paths_[1]);
  EXPECT_EQ(ordered[0].up, std::vector<std::string>{"CREATE TABLE t_bbbbbbbbbbbb (x)"});
}

TEST_F(HistoryTest, BranchNamesBothFiles) {
  DUO_ASSERT_OK_AND_ASSIGN(
      const std::string branch,
      WriteRevisionFile(directory_,
                        MakeRevision("dddddddddddd", "aaaaaaaaaaaa", "third elsewhere")));
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Revision> loaded, LoadRevisions(directory_));
  EXPECT_THAT(Heads(loaded), ElementsAre("cccccccccccc", "dddddddddddd"));
  const absl::StatusOr<std::vector<Revision>> ordered = OrderRevisions(std::move(loaded));
  EXPECT_EQ(ordered.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ordered.status().message(),
              AllOf(HasSubstr("cccccccccccc"), HasSubstr(paths_[0]), HasSubstr("dddddddddddd"),
                    HasSubstr(branch), HasSubstr("parent aaaaaaaaaaaa"),
                    HasSubstr("-- parent: cccccccccccc")));
}

TEST_F(HistoryTest, MissingParentNamesTheFile) {
  std::filesystem::remove(paths_[1]);
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Revision> loaded, LoadRevisions(directory_));
  const absl::StatusOr<std::vector<Revision>> ordered = OrderRevisions(std::move(loaded));
  EXPECT_EQ(ordered.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ordered.status().message(),
              AllOf(HasSubstr("aaaaaaaaaaaa"), HasSubstr(paths_[2]),
                    HasSubstr("parent bbbbbbbbbbbb, which no revision has")));
}

TEST_F(HistoryTest, SameIdTwiceNamesBothFiles) {
  DUO_ASSERT_OK_AND_ASSIGN(const std::string copy,
                           WriteRevisionFile(directory_, MakeRevision("aaaaaaaaaaaa", "", "copy")));
  const absl::StatusOr<std::vector<Revision>> loaded = LoadRevisions(directory_);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(loaded.status().message(), AllOf(HasSubstr(copy), HasSubstr(paths_[2])));
}

TEST_F(HistoryTest, UnparsableFileIsNamed) {
  const std::string broken = directory_ + "/eeeeeeeeeeee_broken.sql";
  std::ofstream(broken) << "-- duo-migrate revision\n-- id: eeeeeeeeeeee\n-- duo:end\n";
  const absl::StatusOr<std::vector<Revision>> loaded = LoadRevisions(directory_);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr(broken));
}

TEST(LoadRevisionsTest, EmptyAndMissingDirectories) {
  const std::string directory = TestDirectory();
  DUO_ASSERT_OK_AND_ASSIGN(const std::vector<Revision> none, LoadRevisions(directory));
  EXPECT_THAT(none, IsEmpty());
  DUO_ASSERT_OK_AND_ASSIGN(const std::vector<Revision> ordered, OrderRevisions({}));
  EXPECT_THAT(ordered, IsEmpty());
  EXPECT_EQ(LoadRevisions(directory + "/absent").status().code(), absl::StatusCode::kNotFound);
}

TEST(OrderRevisionsTest, RejectsSeveralRootsAndCycles) {
  Revision a = MakeRevision("aaaaaaaaaaaa", "", "a");
  a.path = "a.sql";
  Revision b = MakeRevision("bbbbbbbbbbbb", "", "b");
  b.path = "b.sql";
  Revision c = MakeRevision("cccccccccccc", "dddddddddddd", "c");
  Revision d = MakeRevision("dddddddddddd", "cccccccccccc", "d");

  const auto roots = OrderRevisions({a, b});
  EXPECT_EQ(roots.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(roots.status().message(),
              AllOf(HasSubstr("several revisions have parent base"),
                    HasSubstr("aaaaaaaaaaaa (a.sql)"), HasSubstr("bbbbbbbbbbbb (b.sql)")));

  const auto no_root = OrderRevisions({c, d});
  EXPECT_EQ(no_root.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_root.status().message(),
              AllOf(HasSubstr("no revision has parent base"),
                    HasSubstr("cccccccccccc -> dddddddddddd -> cccccccccccc")));

  const auto cycle = OrderRevisions({a, c, d});
  EXPECT_EQ(cycle.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(cycle.status().message(),
              AllOf(HasSubstr("cycle"), HasSubstr("cccccccccccc -> dddddddddddd")));

  const auto twice = OrderRevisions({a, a});
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(twice.status().message(), HasSubstr("two revisions have id aaaaaaaaaaaa"));
}

TEST(NewRevisionIdTest, IsTwelveLowercaseHexDigits) {
  const std::string id = NewRevisionId();
  EXPECT_EQ(id.size(), 12u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  EXPECT_NE(NewRevisionId(), id);
}

}  // namespace
}  // namespace duo::migrate
