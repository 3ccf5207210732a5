// Models for the related-writes tests: every relationship kind, with the
// ORM-side options Save and Delete follow, hooks that count every call, and
// a tree that relates to its own table.
//
//   Author ── profile (has-one: orphans deleted, deleted with the author)
//          └─ posts (has-many: orphans and the author's delete set NULL)
//   Post ──── author (belongs-to), comments (has-many: orphans deleted,
//          │  deleted with the post), tags (many-to-many through PostTag:
//          │  association rows deleted with the post); versioned
//   Tag ───── posts (the mirror many-to-many; a linked tag is not deleted)
//   Node ──── parent (belongs-to), children (has-many: orphans deleted,
//             deleted with their parent)
//
// The database's own foreign keys take no action, so what is deleted or
// cleared is the ORM's doing. comments.body has a CHECK (not empty) that
// Comment::Validate does not know: a way to fail a row in the database.

#ifndef DUO_QUERY_TESTDATA_BLOG_H_
#define DUO_QUERY_TESTDATA_BLOG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"

namespace blog {

// How many times each hook ran: "Comment.AfterCreate" -> 2. Single-threaded
// tests only.
std::map<std::string, int>& HookCalls();
int Calls(const std::string& hook);  // 0 when never called

// The hooks of a model, counted under its name.
#define BLOG_COUNTED_HOOKS(Name)                                       \
  absl::Status BeforeCreate() { return Count(#Name ".BeforeCreate"); } \
  absl::Status AfterCreate() { return Count(#Name ".AfterCreate"); }   \
  absl::Status BeforeUpdate() { return Count(#Name ".BeforeUpdate"); } \
  absl::Status AfterUpdate() { return Count(#Name ".AfterUpdate"); }   \
  absl::Status BeforeDelete() { return Count(#Name ".BeforeDelete"); } \
  absl::Status AfterDelete() { return Count(#Name ".AfterDelete"); }   \
  static absl::Status Count(const char* hook) {                        \
    ++HookCalls()[hook];                                               \
    return absl::OkStatus();                                           \
  }

struct Profile;
struct Post;
struct Comment;
struct Tag;

struct Author : duo::Model<Author> {
  int64_t id = 0;
  std::string name;
  duo::One<Profile> profile;
  std::vector<Post> posts;

  static duo::Schema<Author> Table();
  absl::Status Validate() const;  // counted; a name is required
  BLOG_COUNTED_HOOKS(Author)
};

struct Profile : duo::Model<Profile> {
  int64_t id = 0;
  int64_t author_id = 0;  // unique: one profile per author
  std::string bio;
  duo::One<Author> author;

  static duo::Schema<Profile> Table();
  BLOG_COUNTED_HOOKS(Profile)
};

struct Post : duo::Model<Post> {
  int64_t id = 0;
  std::optional<int64_t> author_id;
  std::string title;
  int64_t version = 0;
  duo::One<Author> author;
  std::vector<Comment> comments;
  std::vector<Tag> tags;

  static duo::Schema<Post> Table();
  BLOG_COUNTED_HOOKS(Post)
};

struct Comment : duo::Model<Comment> {
  int64_t id = 0;
  int64_t post_id = 0;
  std::string body;
  duo::One<Post> post;

  static duo::Schema<Comment> Table();
  absl::Status Validate() const;  // counted; refuses the body "invalid"
  BLOG_COUNTED_HOOKS(Comment)
};

struct Tag : duo::Model<Tag> {
  int64_t id = 0;
  std::string label;
  std::vector<Post> posts;

  static duo::Schema<Tag> Table();
  BLOG_COUNTED_HOOKS(Tag)
};

struct PostTag : duo::Model<PostTag> {
  int64_t post_id = 0;
  int64_t tag_id = 0;

  static duo::Schema<PostTag> Table();
  BLOG_COUNTED_HOOKS(PostTag)
};

struct Node : duo::Model<Node> {
  int64_t id = 0;
  std::optional<int64_t> parent_id;
  std::string name;
  duo::One<Node> parent;
  std::vector<Node> children;

  static duo::Schema<Node> Table();
  BLOG_COUNTED_HOOKS(Node)
};

#undef BLOG_COUNTED_HOOKS

std::vector<const duo::ModelMeta*> AllModels();

}  // namespace blog

#endif  // DUO_QUERY_TESTDATA_BLOG_H_
