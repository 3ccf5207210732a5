// Related writes (Create and Save of object graphs), removal semantics and
// ORM-side delete cascades, on SQLite, PostgreSQL and PostgreSQL through
// PgBouncer. Every expectation on what was stored is read back with raw
// SQL: an oracle the ORM did not compute.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/async/sync_wait.h"
#include "duo/engine/error.h"
#include "duo/model/models.h"
#include "duo/query/query.h"
#include "duo/query/testdata/blog.h"
#include "duo/query/testdata/model_table_test.h"
#include "duo/query/testdata/org.h"
#include "duo/session/database.h"
#include "duo/session/result.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace blog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class RelatedWritesTest : public duo::query_testing::ModelTableTest<> {
 protected:
  std::vector<const duo::ModelMeta*> Tables() const override {
    std::vector<const duo::ModelMeta*> tables = AllModels();
    for (const duo::ModelMeta* meta : org::AllModels()) tables.push_back(meta);
    return tables;
  }
  void SetUp() override {
    ModelTableTest::SetUp();
    HookCalls().clear();
  }

  // The rows of a raw SQL query, each as "value|value" (values as
  // sql::Value::DebugString spells them: 7, 'text', NULL).
  std::vector<std::string> Rows(const std::string& sql) {
    absl::StatusOr<duo::Result> result = db_->Execute(duo::sql::Text(sql));
    EXPECT_TRUE(result.ok()) << result.status() << " for " << sql;
    std::vector<std::string> rows;
    if (!result.ok()) return rows;
    for (size_t i = 0; i < result->size(); ++i) {
      rows.push_back(absl::StrJoin(result->row(i), "|", [](std::string* out, const auto& value) {
        out->append(value.DebugString());
      }));
    }
    return rows;
  }
  int64_t CountRows(const std::string& table) {
    std::vector<std::string> rows = Rows(absl::StrCat("SELECT count(*) FROM ", table));
    return rows.size() == 1 ? std::stoll(rows[0]) : -1;
  }
};

TEST_P(RelatedWritesTest, CreateWritesTheWholeGraphAndReturnsEveryKey) {
  DUO_ASSERT_OK_AND_ASSIGN(Tag stored_tag, Tag::Create({.label = "stored"}));
  HookCalls().clear();

  Author ada{.name = "Ada"};
  ada.profile = Profile{.bio = "engines"};
  Post first{.title = "first"};
  first.comments = {Comment{.body = "one"}, Comment{.body = "two"}};
  first.tags = {Tag{.label = "new"}, stored_tag};
  Post second{.title = "second"};
  ada.posts = {first, second};

  DUO_ASSERT_OK_AND_ASSIGN(Author created, Author::Create(ada));
  ASSERT_GT(created.id, 0);
  ASSERT_TRUE(created.profile.has_value());
  ASSERT_EQ(created.posts.size(), 2u);
  ASSERT_EQ(created.posts[0].comments.size(), 2u);
  ASSERT_EQ(created.posts[0].tags.size(), 2u);
  const int64_t a = created.id;
  const Post& p1 = created.posts[0];
  const Post& p2 = created.posts[1];
  EXPECT_GT(created.profile->id, 0);
  EXPECT_EQ(created.profile->author_id, a);
  EXPECT_EQ(p1.author_id, a);
  EXPECT_EQ(p1.version, 1);
  EXPECT_EQ(p1.comments[1].post_id, p1.id);
  EXPECT_GT(p1.tags[0].id, 0);
  EXPECT_EQ(p1.tags[1].id, stored_tag.id);

  EXPECT_THAT(Rows("SELECT id, name FROM authors"), ElementsAre(absl::StrCat(a, "|'Ada'")));
  EXPECT_THAT(Rows("SELECT id, author_id, bio FROM profiles"),
              ElementsAre(absl::StrCat(created.profile->id, "|", a, "|'engines'")));
  EXPECT_THAT(Rows("SELECT id, author_id, title, version FROM posts ORDER BY id"),
              ElementsAre(absl::StrCat(p1.id, "|", a, "|'first'|1"),
                          absl::StrCat(p2.id, "|", a, "|'second'|1")));
  EXPECT_THAT(Rows("SELECT id, post_id, body FROM comments ORDER BY id"),
              ElementsAre(absl::StrCat(p1.comments[0].id, "|", p1.id, "|'one'"),
                          absl::StrCat(p1.comments[1].id, "|", p1.id, "|'two'")));
  EXPECT_THAT(
      Rows("SELECT id, label FROM tags ORDER BY id"),
      ElementsAre(absl::StrCat(stored_tag.id, "|'stored'"), absl::StrCat(p1.tags[0].id, "|'new'")));
  EXPECT_THAT(Rows("SELECT post_id, tag_id FROM post_tags ORDER BY tag_id"),
              ElementsAre(absl::StrCat(p1.id, "|", stored_tag.id),
                          absl::StrCat(p1.id, "|", p1.tags[0].id)));

  // Every row written ran its own hooks, once.
  EXPECT_EQ(Calls("Author.Validate"), 1);
  EXPECT_EQ(Calls("Author.AfterCreate"), 1);
  EXPECT_EQ(Calls("Profile.AfterCreate"), 1);
  EXPECT_EQ(Calls("Post.BeforeCreate"), 2);
  EXPECT_EQ(Calls("Post.AfterCreate"), 2);
  EXPECT_EQ(Calls("Comment.Validate"), 2);
  EXPECT_EQ(Calls("Comment.AfterCreate"), 2);
  EXPECT_EQ(Calls("Tag.AfterCreate"), 1);  // the new one; the stored one is not rewritten
  EXPECT_EQ(Calls("Tag.BeforeUpdate"), 0);
  EXPECT_EQ(Calls("PostTag.AfterCreate"), 2);

  // The async twin writes the same graph.
  Author bo{.name = "Bo"};
  bo.posts = {Post{.title = "async"}};
  DUO_ASSERT_OK_AND_ASSIGN(Author async, duo::SyncWait(Author::CreateAsync(bo)));
  ASSERT_EQ(async.posts.size(), 1u);
  EXPECT_THAT(Rows(absl::StrCat("SELECT author_id FROM posts WHERE id = ", async.posts[0].id)),
              ElementsAre(absl::StrCat(async.id)));
}

TEST_P(RelatedWritesTest, BelongsToObjectsAreWrittenFirstAndTheirKeyCopied) {
  // order.customer = c; order.Save(): the customer_id is set.
  Post post{.title = "orphan no more"};
  post.author = Author{.name = "new author"};
  DUO_ASSERT_OK(post.Save());
  ASSERT_TRUE(post.author.has_value());
  ASSERT_GT(post.author->id, 0);
  EXPECT_EQ(post.author_id, post.author->id);
  EXPECT_THAT(Rows(absl::StrCat("SELECT p.title, a.name FROM posts p JOIN authors a ON a.id = "
                                "p.author_id WHERE p.id = ",
                                post.id)),
              ElementsAre("'orphan no more'|'new author'"));

  // Two levels up: a comment on a new post by a new author.
  Comment comment{.body = "deep"};
  comment.post = Post{.title = "parent"};
  comment.post->author = Author{.name = "grandparent"};
  DUO_ASSERT_OK_AND_ASSIGN(Comment stored, Comment::Create(comment));
  EXPECT_THAT(Rows(absl::StrCat("SELECT a.name FROM comments c JOIN posts p ON p.id = c.post_id "
                                "JOIN authors a ON a.id = p.author_id WHERE c.id = ",
                                stored.id)),
              ElementsAre("'grandparent'"));

  // A stored parent is linked, not rewritten, even when the copy differs.
  DUO_ASSERT_OK_AND_ASSIGN(Author bo, Author::Create({.name = "Bo"}));
  HookCalls().clear();
  Post linked{.title = "by Bo"};
  linked.author = bo;
  linked.author->name = "not saved through the post";
  DUO_ASSERT_OK(Post::Save(linked));
  EXPECT_EQ(linked.author_id, bo.id);
  EXPECT_THAT(Rows(absl::StrCat("SELECT name FROM authors WHERE id = ", bo.id)),
              ElementsAre("'Bo'"));
  EXPECT_EQ(Calls("Author.BeforeUpdate"), 0);

  // A has-one's owner through the profile's belongs-to.
  Profile profile{.bio = "solo"};
  profile.author = Author{.name = "profiled"};
  DUO_ASSERT_OK_AND_ASSIGN(Profile with_author, Profile::Create(profile));
  EXPECT_THAT(Rows(absl::StrCat("SELECT a.name FROM profiles p JOIN authors a ON a.id = "
                                "p.author_id WHERE p.id = ",
                                with_author.id)),
              ElementsAre("'profiled'"));
}

TEST_P(RelatedWritesTest, NewChildrenOfAStoredRowAreLinkedAndMovedChildrenRelinked) {
  DUO_ASSERT_OK_AND_ASSIGN(Author ada, Author::Create({.name = "Ada"}));
  DUO_ASSERT_OK_AND_ASSIGN(Author bo, Author::Create({.name = "Bo"}));
  DUO_ASSERT_OK_AND_ASSIGN(Post kept, Post::Create({.author_id = bo.id, .title = "kept"}));
  DUO_ASSERT_OK_AND_ASSIGN(Post moved, Post::Create({.author_id = bo.id, .title = "moved"}));
  HookCalls().clear();

  // Not loaded: Bo's posts are not all in memory, so only what is held is
  // written; nothing else of Bo's is touched.
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Author> loaded, Author::Get(ada.id));
  ASSERT_TRUE(loaded.has_value());
  loaded->posts.push_back(Post{.title = "fresh"});
  loaded->posts.push_back(moved);  // stored, Bo's: moves to Ada
  DUO_ASSERT_OK(loaded->Save());
  ASSERT_GT(loaded->posts[0].id, 0);
  EXPECT_EQ(loaded->posts[1].author_id, ada.id);
  EXPECT_EQ(loaded->posts[1].version, 2);  // the move is an update of a versioned row
  EXPECT_THAT(
      Rows("SELECT title, author_id, version FROM posts ORDER BY id"),
      ElementsAre(absl::StrCat("'kept'|", bo.id, "|1"), absl::StrCat("'moved'|", ada.id, "|2"),
                  absl::StrCat("'fresh'|", ada.id, "|1")));
  EXPECT_EQ(Calls("Post.AfterCreate"), 1);
  EXPECT_EQ(Calls("Post.BeforeUpdate"), 1);
  EXPECT_EQ(Calls("Post.AfterUpdate"), 1);

  // Saving again writes nothing new: the children are stored and linked.
  HookCalls().clear();
  DUO_ASSERT_OK(loaded->Save());
  EXPECT_EQ(Calls("Post.AfterCreate"), 0);
  EXPECT_EQ(Calls("Post.AfterUpdate"), 0);
  EXPECT_EQ(CountRows("posts"), 3);

  // A stale copy of a child being moved is a lost update: the whole save
  // fails, and nothing of it stays.
  Post stale = kept;  // version 1
  DUO_ASSERT_OK(Post::FilterBy({{"id", kept.id}}).UpdateBulk({{"title", "kept, edited"}}).status());
  Author again = *loaded;
  again.name = "Ada L.";
  again.posts.push_back(stale);
  absl::Status lost = again.Save();
  EXPECT_TRUE(duo::IsStale(lost)) << lost;
  EXPECT_THAT(lost.message(), HasSubstr("Author.posts[2]"));
  EXPECT_THAT(lost.message(), HasSubstr("\"posts\""));
  EXPECT_THAT(Rows(absl::StrCat("SELECT name FROM authors WHERE id = ", ada.id)),
              ElementsAre("'Ada'"));
  EXPECT_THAT(Rows(absl::StrCat("SELECT author_id, version FROM posts WHERE id = ", kept.id)),
              ElementsAre(absl::StrCat(bo.id, "|2")));
  EXPECT_EQ(again.name, "Ada L.");  // the object is as it was before the call
  EXPECT_EQ(again.posts[2].author_id, bo.id);
}

TEST_P(RelatedWritesTest, RemovedChildrenOfALoadedMemberFollowTheDeclaration) {
  Author ada{.name = "Ada"};
  ada.profile = Profile{.bio = "first"};
  Post post{.title = "p"};
  post.comments = {Comment{.body = "keep"}, Comment{.body = "drop"}};
  ada.posts = {post, Post{.title = "leaves"}};
  DUO_ASSERT_OK_AND_ASSIGN(Author created, Author::Create(ada));
  const int64_t post_id = created.posts[0].id;
  const int64_t leaving_id = created.posts[1].id;
  HookCalls().clear();

  // Post.comments: orphans deleted, with their hooks.
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Post> posts,
                           Post::Related("comments").FilterBy({{"id", post_id}}).All());
  ASSERT_EQ(posts.size(), 1u);
  ASSERT_EQ(posts[0].comments.size(), 2u);
  posts[0].comments.pop_back();
  DUO_ASSERT_OK(posts[0].Save());
  EXPECT_THAT(Rows("SELECT body FROM comments ORDER BY id"), ElementsAre("'keep'"));
  EXPECT_EQ(Calls("Comment.BeforeDelete"), 1);
  EXPECT_EQ(Calls("Comment.AfterDelete"), 1);

  // Author.posts: orphans set NULL; the post stays.
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Author> authors,
                           Author::Related("posts").Related("profile").All());
  ASSERT_EQ(authors.size(), 1u);
  Author& loaded = authors[0];
  ASSERT_EQ(loaded.posts.size(), 2u);
  loaded.posts.pop_back();
  // Author.profile: replaced; the old one is an orphan and deleted first
  // (profiles.author_id is unique, so the order matters).
  ASSERT_TRUE(loaded.profile.has_value());
  loaded.profile = Profile{.bio = "second"};
  DUO_ASSERT_OK(loaded.Save());
  EXPECT_THAT(
      Rows("SELECT id, author_id FROM posts ORDER BY id"),
      ElementsAre(absl::StrCat(post_id, "|", created.id), absl::StrCat(leaving_id, "|NULL")));
  // (SQLite may give the new row the old one's key: compare contents.)
  EXPECT_THAT(Rows("SELECT bio, author_id FROM profiles"),
              ElementsAre(absl::StrCat("'second'|", created.id)));
  EXPECT_EQ(Calls("Profile.AfterDelete"), 1);
  ASSERT_TRUE(loaded.profile.has_value());
  EXPECT_GT(loaded.profile->id, 0);
  // And emptied: a has-one reset deletes its row.
  loaded.profile.reset();
  DUO_ASSERT_OK(loaded.Save());
  EXPECT_EQ(CountRows("profiles"), 0);

  // A member that was never loaded (Get) held no rows: nothing is removed.
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Post> plain, Post::Get(post_id));
  plain->comments.push_back(Comment{.body = "added"});
  DUO_ASSERT_OK(plain->Save());
  EXPECT_THAT(Rows("SELECT body FROM comments ORDER BY id"), ElementsAre("'keep'", "'added'"));
  // Loaded with a filter, it held what the filter chose: removing from it
  // removes those rows only.
  DUO_ASSERT_OK(Comment::Create({.post_id = post_id, .body = "spam"}).status());
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Post> filtered,
                           Post::Related("comments", {.where = duo::col(&Comment::body) == "spam"})
                               .FilterBy({{"id", post_id}})
                               .All());
  ASSERT_EQ(filtered.size(), 1u);
  ASSERT_EQ(filtered[0].comments.size(), 1u);
  filtered[0].comments.clear();
  DUO_ASSERT_OK(filtered[0].Save());
  EXPECT_THAT(Rows("SELECT body FROM comments ORDER BY id"), ElementsAre("'keep'", "'added'"));

  // A row another writer added after the member was loaded was never in
  // it: removing another one leaves it alone.
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Post> before_theirs,
                           Post::Related("comments").FilterBy({{"id", post_id}}).All());
  DUO_ASSERT_OK(Comment::Create({.post_id = post_id, .body = "theirs"}).status());
  ASSERT_EQ(before_theirs[0].comments.size(), 2u);
  before_theirs[0].comments.pop_back();  // "added"
  DUO_ASSERT_OK(before_theirs[0].Save());
  EXPECT_THAT(Rows("SELECT body FROM comments ORDER BY id"), ElementsAre("'keep'", "'theirs'"));

  // A copy made after loading carries what was loaded; Relations::kIgnore
  // leaves the removal alone.
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Post> whole,
                           Post::Related("comments").FilterBy({{"id", post_id}}).All());
  Post copy = whole[0];
  copy.comments.clear();
  DUO_ASSERT_OK(copy.Save({.relations = duo::Relations::kIgnore}));
  EXPECT_EQ(CountRows("comments"), 2);
  DUO_ASSERT_OK(copy.Save());
  EXPECT_EQ(CountRows("comments"), 0);
}

TEST_P(RelatedWritesTest, AHasOneLoadedByAJoinIsReplacedAndRemovedToo) {
  Author ada{.name = "Ada"};
  ada.profile = Profile{.bio = "first"};
  DUO_ASSERT_OK_AND_ASSIGN(Author created, Author::Create(ada));
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Author> joined,
                           Author::Related("profile", {.loader = duo::Loader::kJoined})
                               .FilterBy({{"id", created.id}})
                               .All());
  ASSERT_EQ(joined.size(), 1u);
  ASSERT_TRUE(joined[0].profile.has_value());
  joined[0].profile->bio = "edited in memory";  // stored: not rewritten through the author
  DUO_ASSERT_OK(joined[0].Save());
  EXPECT_THAT(Rows("SELECT bio FROM profiles"), ElementsAre("'first'"));
  joined[0].profile = Profile{.bio = "second"};
  DUO_ASSERT_OK(joined[0].Save());
  EXPECT_THAT(Rows("SELECT bio, author_id FROM profiles"),
              ElementsAre(absl::StrCat("'second'|", created.id)));
  joined[0].profile.reset();
  DUO_ASSERT_OK(joined[0].Save());
  EXPECT_EQ(CountRows("profiles"), 0);
  // An older copy still holds the first profile, stored (it has its key):
  // a stored related object is only linked, so it is not brought back.
  DUO_ASSERT_OK(Author::Save(created));
  EXPECT_EQ(CountRows("profiles"), 0);
}

TEST_P(RelatedWritesTest, ManyToManyAssociationRowsFollowTheMember) {
  DUO_ASSERT_OK_AND_ASSIGN(Tag red, Tag::Create({.label = "red"}));
  DUO_ASSERT_OK_AND_ASSIGN(Tag blue, Tag::Create({.label = "blue"}));
  Post post{.title = "p"};
  post.tags = {red, blue, red};  // held twice, linked once
  DUO_ASSERT_OK_AND_ASSIGN(Post created, Post::Create(post));
  EXPECT_THAT(
      Rows("SELECT post_id, tag_id FROM post_tags ORDER BY tag_id"),
      ElementsAre(absl::StrCat(created.id, "|", red.id), absl::StrCat(created.id, "|", blue.id)));

  // Loaded whole: removing unlinks (the tag stays), adding links.
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Post> loaded,
                           Post::Related("tags").FilterBy({{"id", created.id}}).All());
  ASSERT_EQ(loaded.size(), 1u);
  ASSERT_EQ(loaded[0].tags.size(), 2u);
  loaded[0].tags.erase(loaded[0].tags.begin());  // red (key order)
  loaded[0].tags.push_back(Tag{.label = "green"});
  HookCalls().clear();
  DUO_ASSERT_OK(loaded[0].Save());
  const int64_t green = loaded[0].tags[1].id;
  EXPECT_THAT(
      Rows("SELECT post_id, tag_id FROM post_tags ORDER BY tag_id"),
      ElementsAre(absl::StrCat(created.id, "|", blue.id), absl::StrCat(created.id, "|", green)));
  EXPECT_EQ(CountRows("tags"), 3);
  EXPECT_EQ(Calls("PostTag.AfterDelete"), 1);
  EXPECT_EQ(Calls("PostTag.AfterCreate"), 1);

  // A link another writer made after the member was loaded stays.
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Post> reloaded,
                           Post::Related("tags").FilterBy({{"id", created.id}}).All());
  DUO_ASSERT_OK(PostTag::Create({.post_id = created.id, .tag_id = red.id}).status());
  reloaded[0].tags.clear();  // blue and green
  DUO_ASSERT_OK(reloaded[0].Save());
  EXPECT_THAT(Rows("SELECT tag_id FROM post_tags"), ElementsAre(absl::StrCat(red.id)));
  DUO_ASSERT_OK(
      db_->Execute(duo::sql::Text(absl::StrCat("INSERT INTO post_tags VALUES (", created.id, ", ",
                                               blue.id, "), (", created.id, ", ", green, ")")))
          .status());

  // Not loaded: a held tag is linked, the others stay linked.
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Post> plain, Post::Get(created.id));
  plain->tags = {red};
  DUO_ASSERT_OK(plain->Save());
  DUO_ASSERT_OK(plain->Save());  // twice: still one association row
  EXPECT_THAT(Rows("SELECT tag_id FROM post_tags ORDER BY tag_id"),
              ElementsAre(absl::StrCat(red.id), absl::StrCat(blue.id), absl::StrCat(green)));

  // The mirror side links the same table.
  Tag yellow{.label = "yellow"};
  yellow.posts = {Post{.title = "from the tag"}};
  DUO_ASSERT_OK_AND_ASSIGN(Tag tag, Tag::Create(yellow));
  EXPECT_THAT(Rows(absl::StrCat("SELECT p.title FROM post_tags pt JOIN posts p ON p.id = "
                                "pt.post_id WHERE pt.tag_id = ",
                                tag.id)),
              ElementsAre("'from the tag'"));
}

TEST_P(RelatedWritesTest, DeleteAppliesTheDeclaredCascades) {
  Author ada{.name = "Ada"};
  ada.profile = Profile{.bio = "bio"};
  Post post{.title = "p"};
  post.comments = {Comment{.body = "a"}, Comment{.body = "b"}};
  post.tags = {Tag{.label = "t"}};
  ada.posts = {post};
  DUO_ASSERT_OK_AND_ASSIGN(Author created, Author::Create(ada));
  const int64_t post_id = created.posts[0].id;
  const int64_t tag_id = created.posts[0].tags[0].id;

  // A tag still linked to a post is refused (kRestrict), naming why.
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Tag> tag, Tag::Get(tag_id));
  absl::Status restricted = tag->Delete();
  EXPECT_EQ(restricted.code(), absl::StatusCode::kFailedPrecondition) << restricted;
  EXPECT_THAT(restricted.message(), HasSubstr("Tag.posts"));
  EXPECT_THAT(restricted.message(), HasSubstr("kRestrict"));
  EXPECT_EQ(CountRows("tags"), 1);

  // Without the ORM's cascades the database's foreign keys refuse.
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Post> stored, Post::Get(post_id));
  absl::Status plain = stored->Delete({.relations = duo::Relations::kIgnore});
  EXPECT_EQ(duo::GetErrorKind(plain), duo::ErrorKind::kForeignKeyViolation) << plain;
  EXPECT_EQ(CountRows("comments"), 2);

  // The post: comments deleted (their hooks run), association rows deleted,
  // the tag itself kept.
  HookCalls().clear();
  DUO_ASSERT_OK(stored->Delete());
  EXPECT_EQ(CountRows("posts"), 0);
  EXPECT_EQ(CountRows("comments"), 0);
  EXPECT_EQ(CountRows("post_tags"), 0);
  EXPECT_EQ(CountRows("tags"), 1);
  EXPECT_EQ(Calls("Comment.BeforeDelete"), 2);
  EXPECT_EQ(Calls("Comment.AfterDelete"), 2);
  EXPECT_EQ(Calls("PostTag.AfterDelete"), 1);
  EXPECT_EQ(Calls("Post.AfterDelete"), 1);
  DUO_ASSERT_OK(tag->Delete());  // now unlinked

  // The author: profile deleted (kCascade), posts' author_id cleared
  // (kSetNull) through Save's hooks.
  DUO_ASSERT_OK_AND_ASSIGN(Post other, Post::Create({.author_id = created.id, .title = "q"}));
  HookCalls().clear();
  DUO_ASSERT_OK(Author::Delete(created));
  EXPECT_EQ(CountRows("authors"), 0);
  EXPECT_EQ(CountRows("profiles"), 0);
  EXPECT_THAT(Rows("SELECT id, author_id, version FROM posts"),
              ElementsAre(absl::StrCat(other.id, "|NULL|2")));
  EXPECT_EQ(Calls("Post.BeforeUpdate"), 1);
  EXPECT_EQ(Calls("Profile.AfterDelete"), 1);
}

TEST_P(RelatedWritesTest, ASelfReferentialTreeSeveralLevelsDeep) {
  Node root{.name = "root"};
  Node a{.name = "a"};
  Node a1{.name = "a1"};
  a1.children = {Node{.name = "a1x"}, Node{.name = "a1y"}};
  a.children = {a1, Node{.name = "a2"}};
  root.children = {a, Node{.name = "b"}};
  DUO_ASSERT_OK_AND_ASSIGN(Node tree, Node::Create(root));
  EXPECT_EQ(CountRows("nodes"), 7);
  EXPECT_THAT(
      Rows("SELECT c.name, p.name FROM nodes c LEFT JOIN nodes p ON p.id = c.parent_id ORDER BY "
           "c.name"),
      ElementsAre("'a'|'root'", "'a1'|'a'", "'a1x'|'a1'", "'a1y'|'a1'", "'a2'|'a'", "'b'|'root'",
                  "'root'|NULL"));
  EXPECT_EQ(tree.children[0].children[0].children[1].parent_id, tree.children[0].children[0].id);
  EXPECT_EQ(Calls("Node.AfterCreate"), 7);

  // Upward: a leaf whose ancestors are new, three levels.
  Node leaf{.name = "leaf"};
  leaf.parent = Node{.name = "mid"};
  leaf.parent->parent = Node{.name = "top"};
  DUO_ASSERT_OK(leaf.Save());
  EXPECT_THAT(Rows("SELECT c.name, p.name FROM nodes c JOIN nodes p ON p.id = c.parent_id WHERE "
                   "c.name IN ('leaf', 'mid') ORDER BY c.name"),
              ElementsAre("'leaf'|'mid'", "'mid'|'top'"));

  // Loaded three levels down, a subtree removed: deleted with its own
  // descendants (orphans kDelete, then on_delete kCascade).
  DUO_ASSERT_OK_AND_ASSIGN(
      std::vector<Node> loaded,
      Node::Related("children.children.children").FilterBy({{"id", tree.id}}).All());
  ASSERT_EQ(loaded.size(), 1u);
  ASSERT_EQ(loaded[0].children.size(), 2u);
  ASSERT_EQ(loaded[0].children[0].children.size(), 2u);
  loaded[0].children[0].children.erase(loaded[0].children[0].children.begin());  // a1 and below
  loaded[0].children[1].name = "b (changed in memory only)";
  HookCalls().clear();
  DUO_ASSERT_OK(loaded[0].Save());
  EXPECT_THAT(Rows("SELECT name FROM nodes ORDER BY name"),
              ElementsAre("'a'", "'a2'", "'b'", "'leaf'", "'mid'", "'root'", "'top'"));
  EXPECT_EQ(Calls("Node.AfterDelete"), 3);

  // Deleting the root deletes the rest of its tree.
  DUO_ASSERT_OK(Node::Delete(loaded[0]));
  EXPECT_THAT(Rows("SELECT name FROM nodes ORDER BY name"),
              ElementsAre("'leaf'", "'mid'", "'top'"));
}

TEST_P(RelatedWritesTest, BackReferencesAndCyclesAreWrittenOnce) {
  // A post whose author holds (a copy of) the post again: the way back is
  // not written a second time.
  Post post{.title = "p"};
  post.author = Author{.name = "A"};
  post.author->posts = {post};
  DUO_ASSERT_OK(post.Save());
  EXPECT_EQ(CountRows("posts"), 1);
  EXPECT_EQ(CountRows("authors"), 1);

  // The same from the other side, one level deeper.
  Node parent{.name = "parent"};
  Node child{.name = "child"};
  child.parent = parent;
  child.children = {Node{.name = "grandchild"}};
  child.children[0].parent = child;
  parent.children = {child};
  DUO_ASSERT_OK_AND_ASSIGN(Node stored, Node::Create(parent));
  EXPECT_THAT(Rows("SELECT c.name, p.name FROM nodes c LEFT JOIN nodes p ON p.id = c.parent_id "
                   "ORDER BY c.id"),
              ElementsAre("'parent'|NULL", "'child'|'parent'", "'grandchild'|'child'"));

  // Rows that refer to each other in the database: the cascade does not go
  // round forever. It reaches x again through y and stops there; y cannot
  // go while x still refers to it, so the database refuses and nothing is
  // deleted.
  DUO_ASSERT_OK_AND_ASSIGN(Node x, Node::Create({.name = "x"}));
  DUO_ASSERT_OK_AND_ASSIGN(Node y, Node::Create({.parent_id = x.id, .name = "y"}));
  DUO_ASSERT_OK(db_->Execute(duo::sql::Text(absl::StrCat("UPDATE nodes SET parent_id = ", y.id,
                                                         " WHERE id = ", x.id)))
                    .status());
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Node> x_again, Node::Get(x.id));
  absl::Status cycle = x_again->Delete();
  EXPECT_EQ(duo::GetErrorKind(cycle), duo::ErrorKind::kForeignKeyViolation) << cycle;
  EXPECT_THAT(cycle.message(), HasSubstr("Node.children"));
  EXPECT_THAT(Rows(absl::StrCat("SELECT count(*) FROM nodes WHERE id IN (", x.id, ", ", y.id, ")")),
              ElementsAre("2"));

  // A self-referential many-to-many (employees and their friends).
  org::Employee a{.name = "a"};
  a.friends = {org::Employee{.name = "b"}};
  a.reports = {org::Employee{.name = "c"}};
  DUO_ASSERT_OK_AND_ASSIGN(org::Employee emp, org::Employee::Create(a));
  EXPECT_THAT(Rows("SELECT e.name, f.name FROM friendships s JOIN employees e ON e.id = "
                   "s.employee_id JOIN employees f ON f.id = s.friend_id"),
              ElementsAre("'a'|'b'"));
  EXPECT_THAT(Rows(absl::StrCat("SELECT name FROM employees WHERE manager_id = ", emp.id)),
              ElementsAre("'c'"));
}

TEST_P(RelatedWritesTest, AFailingRowRollsBackTheWholeGraph) {
  Author ada{.name = "Ada"};
  Post first{.title = "first"};
  first.comments = {Comment{.body = "fine"}};
  Post second{.title = "second"};
  second.comments = {Comment{.body = ""}};  // the database's CHECK refuses it
  ada.posts = {first, second};
  absl::StatusOr<Author> failed = Author::Create(ada);
  EXPECT_EQ(duo::GetErrorKind(failed.status()), duo::ErrorKind::kCheckViolation) << failed.status();
  EXPECT_THAT(failed.status().message(), HasSubstr("Author.posts[1].comments[0]"));
  EXPECT_THAT(failed.status().message(), HasSubstr("table \"comments\""));
  for (const char* table : {"authors", "posts", "comments"}) {
    EXPECT_EQ(CountRows(table), 0) << table;
  }

  // A Validate veto deep in the graph: same, and Save leaves the object as
  // it was (no keys of rolled-back rows).
  second.comments = {Comment{.body = "invalid"}};
  ada.posts = {first, second};
  absl::Status vetoed = ada.Save();
  EXPECT_EQ(vetoed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(vetoed.message(), HasSubstr("refused"));
  EXPECT_EQ(ada.id, 0);
  EXPECT_EQ(ada.posts[0].id, 0);
  EXPECT_EQ(ada.posts[0].comments[0].id, 0);
  EXPECT_EQ(CountRows("authors"), 0);

  // Inside a managed transaction, the failed graph is undone and the
  // transaction goes on.
  absl::Status outer = db_->Transaction([&](duo::Session&) -> absl::Status {
    DUO_RETURN_IF_ERROR(Author::Create({.name = "before"}).status());
    EXPECT_FALSE(Author::Create(ada).ok());
    return Author::Create({.name = "after"}).status();
  });
  DUO_ASSERT_OK(outer);
  EXPECT_THAT(Rows("SELECT name FROM authors ORDER BY id"), ElementsAre("'before'", "'after'"));
  EXPECT_EQ(CountRows("posts"), 0);
}

TEST_P(RelatedWritesTest, InsideATransactionGraphsAndTheIdentityMapAgree) {
  DUO_ASSERT_OK(db_->Transaction([&](duo::Session&) -> absl::Status {
    Author ada{.name = "Ada"};
    ada.posts = {Post{.title = "p"}};
    DUO_ASSIGN_OR_RETURN(Author created, Author::Create(ada));
    // The map holds the row: Get gives no copy of the posts as they were
    // before they had keys, so saving it writes no second post.
    DUO_ASSIGN_OR_RETURN(std::optional<Author> again, Author::Get(created.id));
    EXPECT_THAT(again->posts, IsEmpty());
    again->name = "Ada L.";
    DUO_RETURN_IF_ERROR(again->Save());
    // A post loaded with its author and saved: linked, not duplicated.
    DUO_ASSIGN_OR_RETURN(std::vector<Post> posts, Post::Related("author").All());
    EXPECT_EQ(posts.size(), 1u);
    posts[0].title = "q";
    return posts[0].Save();
  }));
  EXPECT_THAT(Rows("SELECT a.name, p.title, p.version FROM posts p JOIN authors a ON a.id = "
                   "p.author_id"),
              ElementsAre("'Ada L.'|'q'|2"));
}

TEST_P(RelatedWritesTest, DeclarationsThatCannotHoldAreRefused) {
  struct Bad : duo::Model<Bad> {
    int64_t id = 0;
    std::vector<Comment> comments;
    static duo::Schema<Bad> Table() {
      return duo::Schema<Bad>("bad")
          .Column(&Bad::id, "id", duo::PrimaryKey())
          .HasMany("comments", &Bad::comments, &Comment::post_id,
                   {.orphans = duo::Orphans::kSetNull});
    }
  };
  absl::Status status = duo::MetaOf<Bad>().relations_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("Comment.post_id is NOT NULL"));
  EXPECT_EQ(duo::Model<Bad>::Create(Bad{}).status().code(), absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, RelatedWritesTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kPgBouncer,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RelatedWritesTest);

}  // namespace
}  // namespace blog
