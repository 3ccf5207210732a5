#include "duo/session/context.h"

#include <thread>

#include "gtest/gtest.h"

namespace duo {
namespace {

// Sessions are only identities here.
Session* FakeSession(int n) { return reinterpret_cast<Session*>(static_cast<uintptr_t>(n)); }

TEST(SessionContextTest, ScopesNestPerDatabase) {
  const int db_a = 0;
  const int db_b = 0;
  EXPECT_EQ(SessionContext::Current(&db_a), nullptr);
  {
    SessionContext::Scope outer(&db_a, FakeSession(1));
    {
      SessionContext::Scope other(&db_b, FakeSession(2));
      EXPECT_EQ(SessionContext::Current(&db_a), FakeSession(1));
      EXPECT_EQ(SessionContext::Current(&db_b), FakeSession(2));
      SessionContext::Scope inner(&db_a, FakeSession(3));
      EXPECT_EQ(SessionContext::Current(&db_a), FakeSession(3));
    }
    EXPECT_EQ(SessionContext::Current(&db_a), FakeSession(1));
    EXPECT_EQ(SessionContext::Current(&db_b), nullptr);
  }
  EXPECT_EQ(SessionContext::Current(&db_a), nullptr);
}

TEST(SessionContextTest, ASnapshotCarriesTheContextToAnotherThread) {
  const int db = 0;
  SessionContext::Snapshot snapshot;
  {
    SessionContext::Scope scope(&db, FakeSession(7));
    snapshot = SessionContext::Capture();
  }
  Session* seen_without = FakeSession(1);
  Session* seen_with = nullptr;
  std::thread worker([&] {
    seen_without = SessionContext::Current(&db);
    SessionContext::ScopedSnapshot installed(snapshot);
    seen_with = SessionContext::Current(&db);
  });
  worker.join();
  EXPECT_EQ(seen_without, nullptr);  // threads do not share contexts by accident
  EXPECT_EQ(seen_with, FakeSession(7));
  EXPECT_EQ(SessionContext::Current(&db), nullptr);
}

}  // namespace
}  // namespace duo
