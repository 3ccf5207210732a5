// Text versus binary result format in libpq, measured on the row shape an
// ORM reads most: (int8, float8, text, timestamptz), 100,000 rows.
//
// The driver asks for one result format per statement (libpq's
// PQexecPrepared takes a single resultFormat for all columns), so this
// decides which one it uses; the figures are recorded in driver.cc.
//
//   BM_Fetch:  the whole round trip: server encodes, libpq parses, we decode.
//   BM_Stream: the same in single-row mode (RunMode::kStreaming).
//   BM_Decode: decoding only, from a result already in memory.
//
// Needs a server:
//
//   export DUO_BENCH_POSTGRES='host=/tmp/pg dbname=bench'
//   bazel run -c opt //duo/engine/postgres:result_format_bench
//
// or, with a throwaway server started by the test fixtures:
//
//   bazel run -c opt //duo/engine/postgres:result_format_bench_local

#include <endian.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "libpq-fe.h"

#ifdef DUO_BENCH_WITH_FIXTURE
#include "testing/database.h"
#endif

namespace {

constexpr int kRows = 100000;
constexpr char kSelect[] = "SELECT id, score, name, created_at FROM result_format_bench";

PGconn* connection = nullptr;

enum Format : int { kText = 0, kBinary = 1 };

struct Row {
  int64_t id = 0;
  double score = 0;
  absl::string_view name;
  absl::Time created_at;
};

// ---- Text -------------------------------------------------------------------

int Digits(const char* p, int count) {
  int value = 0;
  for (int i = 0; i < count; ++i) value = value * 10 + (p[i] - '0');
  return value;
}

// "2020-01-01 00:00:01.234567+00" (DateStyle ISO, TimeZone UTC), as the
// driver would parse it: fixed positions, then an optional fraction.
absl::Time ParseTextTimestamp(absl::string_view text) {
  const char* p = text.data();
  const absl::CivilSecond civil(Digits(p, 4), Digits(p + 5, 2), Digits(p + 8, 2), Digits(p + 11, 2),
                                Digits(p + 14, 2), Digits(p + 17, 2));
  int64_t micros = 0;
  size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    int digits = 0;
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
      micros = micros * 10 + (text[i] - '0');
    }
    for (; digits < 6; ++digits) micros *= 10;
  }
  return absl::FromCivil(civil, absl::UTCTimeZone()) + absl::Microseconds(micros);
}

Row DecodeText(const PGresult* result, int row) {
  Row out;
  const char* id = PQgetvalue(result, row, 0);
  std::from_chars(id, id + PQgetlength(result, row, 0), out.id);
  const char* score = PQgetvalue(result, row, 1);
  std::from_chars(score, score + PQgetlength(result, row, 1), out.score);
  out.name = absl::string_view(PQgetvalue(result, row, 2), PQgetlength(result, row, 2));
  out.created_at = ParseTextTimestamp(
      absl::string_view(PQgetvalue(result, row, 3), PQgetlength(result, row, 3)));
  return out;
}

// ---- Binary -----------------------------------------------------------------

int64_t Int64At(const PGresult* result, int row, int column) {
  uint64_t raw;
  std::memcpy(&raw, PQgetvalue(result, row, column), sizeof(raw));
  return static_cast<int64_t>(be64toh(raw));
}

// Microseconds since 2000-01-01 00:00:00 UTC.
absl::Time BinaryTimestamp(int64_t micros) {
  static const absl::Time kEpoch2000 = absl::FromUnixSeconds(946684800);
  return kEpoch2000 + absl::Microseconds(micros);
}

Row DecodeBinary(const PGresult* result, int row) {
  Row out;
  out.id = Int64At(result, row, 0);
  const uint64_t score_bits = static_cast<uint64_t>(Int64At(result, row, 1));
  std::memcpy(&out.score, &score_bits, sizeof(out.score));
  out.name = absl::string_view(PQgetvalue(result, row, 2), PQgetlength(result, row, 2));
  out.created_at = BinaryTimestamp(Int64At(result, row, 3));
  return out;
}

// ---- Benchmarks -------------------------------------------------------------

Row Decode(const PGresult* result, int row, Format format) {
  return format == kText ? DecodeText(result, row) : DecodeBinary(result, row);
}

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

ResultPtr Fetch(Format format) {
  return ResultPtr(PQexecParams(connection, kSelect, 0, nullptr, nullptr, nullptr, nullptr, format),
                   PQclear);
}

void DecodeAll(benchmark::State& state, const PGresult* result, Format format) {
  if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) != kRows) {
    state.SkipWithError(PQresultErrorMessage(result));
    return;
  }
  for (int row = 0; row < kRows; ++row) benchmark::DoNotOptimize(Decode(result, row, format));
}

void BM_Fetch(benchmark::State& state) {
  const Format format = static_cast<Format>(state.range(0));
  for (auto _ : state) {
    ResultPtr result = Fetch(format);
    DecodeAll(state, result.get(), format);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

void BM_Stream(benchmark::State& state) {
  const Format format = static_cast<Format>(state.range(0));
  for (auto _ : state) {
    if (!PQsendQueryParams(connection, kSelect, 0, nullptr, nullptr, nullptr, nullptr, format) ||
        !PQsetSingleRowMode(connection)) {
      state.SkipWithError(PQerrorMessage(connection));
      return;
    }
    int rows = 0;
    while (PGresult* result = PQgetResult(connection)) {
      if (PQresultStatus(result) == PGRES_SINGLE_TUPLE) {
        benchmark::DoNotOptimize(Decode(result, 0, format));
        ++rows;
      }
      PQclear(result);
    }
    if (rows != kRows) state.SkipWithError("streaming lost rows");
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

void BM_Decode(benchmark::State& state) {
  const Format format = static_cast<Format>(state.range(0));
  ResultPtr result = Fetch(format);
  for (auto _ : state) DecodeAll(state, result.get(), format);
  state.SetItemsProcessed(state.iterations() * kRows);
}

// Arg 0: text, 1: binary.
BENCHMARK(BM_Fetch)->Arg(kText)->Arg(kBinary)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Stream)->Arg(kText)->Arg(kBinary)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Decode)->Arg(kText)->Arg(kBinary)->Unit(benchmark::kMillisecond);

bool Exec(const char* sql) {
  PGresult* result = PQexec(connection, sql);
  const ExecStatusType status = PQresultStatus(result);
  PQclear(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return true;
  std::fprintf(stderr, "%s: %s", sql, PQerrorMessage(connection));
  return false;
}

bool Setup(const std::string& conninfo) {
  connection = PQconnectdb(conninfo.c_str());
  if (PQstatus(connection) != CONNECTION_OK) {
    std::fprintf(stderr, "cannot connect: %s", PQerrorMessage(connection));
    return false;
  }
  // What the driver sets: text timestamps arrive in UTC, ISO style.
  return Exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET extra_float_digits = 3") &&
         Exec("DROP TABLE IF EXISTS result_format_bench") &&
         Exec(
             "CREATE TABLE result_format_bench AS SELECT i::int8 AS id, "
             "i * 1.37::float8 AS score, 'customer-' || i AS name, "
             "timestamptz '2020-01-01 00:00:00+00' + i * interval '1.234567 second' "
             "AS created_at FROM generate_series(1, 100000) AS i") &&
         Exec("VACUUM ANALYZE result_format_bench");
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::string conninfo;
  if (const char* env = std::getenv("DUO_BENCH_POSTGRES"); env != nullptr && *env != '\0') {
    conninfo = env;
  }
#ifdef DUO_BENCH_WITH_FIXTURE
  std::unique_ptr<duo::testing::TestDatabase> database;
  if (conninfo.empty()) {
    absl::StatusOr<std::unique_ptr<duo::testing::TestDatabase>> created =
        duo::testing::TestDatabase::NewPostgres();
    if (!created.ok()) {
      std::fprintf(stderr, "cannot start PostgreSQL: %s\n",
                   std::string(created.status().message()).c_str());
      return 1;
    }
    database = *std::move(created);
    conninfo = database->native_target();
  }
#endif
  if (conninfo.empty()) {
    std::printf(
        "result_format_bench skipped: set DUO_BENCH_POSTGRES to a libpq conninfo, or run "
        "//duo/engine/postgres:result_format_bench_local, which starts a throwaway server\n");
    return 0;
  }
  if (!Setup(conninfo)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  Exec("DROP TABLE result_format_bench");
  PQfinish(connection);
  return 0;
}
