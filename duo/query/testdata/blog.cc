#include "duo/query/testdata/blog.h"

namespace blog {

std::map<std::string, int>& HookCalls() {
  static std::map<std::string, int> calls;
  return calls;
}

int Calls(const std::string& hook) {
  auto it = HookCalls().find(hook);
  return it == HookCalls().end() ? 0 : it->second;
}

absl::Status Author::Validate() const {
  ++HookCalls()["Author.Validate"];
  if (name.empty()) return absl::InvalidArgumentError("an author needs a name");
  return absl::OkStatus();
}

absl::Status Comment::Validate() const {
  ++HookCalls()["Comment.Validate"];
  if (body == "invalid") return absl::InvalidArgumentError("comment body \"invalid\" refused");
  return absl::OkStatus();
}

duo::Schema<Author> Author::Table() {
  return duo::Schema<Author>("authors")
      .Column(&Author::id, "id", duo::PrimaryKey())
      .Column(&Author::name, "name")
      .HasOne("profile", &Author::profile, &Profile::author_id,
              {.orphans = duo::Orphans::kDelete, .on_delete = duo::kCascade})
      .HasMany("posts", &Author::posts, &Post::author_id,
               {.orphans = duo::Orphans::kSetNull, .on_delete = duo::kSetNull});
}

duo::Schema<Profile> Profile::Table() {
  return duo::Schema<Profile>("profiles")
      .Column(&Profile::id, "id", duo::PrimaryKey())
      .Column(&Profile::author_id, "author_id", duo::ForeignKey("authors.id"), duo::Unique())
      .Column(&Profile::bio, "bio")
      .BelongsTo("author", &Profile::author, &Profile::author_id);
}

duo::Schema<Post> Post::Table() {
  return duo::Schema<Post>("posts")
      .Column(&Post::id, "id", duo::PrimaryKey())
      .Column(&Post::author_id, "author_id", duo::ForeignKey("authors.id"), duo::Index())
      .Column(&Post::title, "title")
      .Column(&Post::version, "version", duo::Version())
      .BelongsTo("author", &Post::author, &Post::author_id)
      .HasMany("comments", &Post::comments, &Comment::post_id,
               {.orphans = duo::Orphans::kDelete, .on_delete = duo::kCascade})
      .ManyToMany("tags", &Post::tags, &PostTag::post_id, &PostTag::tag_id,
                  {.on_delete = duo::kCascade});
}

duo::Schema<Comment> Comment::Table() {
  duo::Schema<Comment> s("comments");
  s.Column(&Comment::id, "id", duo::PrimaryKey())
      .Column(&Comment::post_id, "post_id", duo::ForeignKey("posts.id"), duo::Index())
      .Column(&Comment::body, "body")
      .BelongsTo("post", &Comment::post, &Comment::post_id);
  s.Check("comments_body_not_empty", s.Ref(&Comment::body) != "");
  return s;
}

duo::Schema<Tag> Tag::Table() {
  return duo::Schema<Tag>("tags")
      .Column(&Tag::id, "id", duo::PrimaryKey())
      .Column(&Tag::label, "label", duo::Unique())
      .ManyToMany("posts", &Tag::posts, &PostTag::tag_id, &PostTag::post_id,
                  {.on_delete = duo::kRestrict});
}

duo::Schema<PostTag> PostTag::Table() {
  return duo::Schema<PostTag>("post_tags")
      .Column(&PostTag::post_id, "post_id", duo::PrimaryKey(), duo::ForeignKey("posts.id"))
      .Column(&PostTag::tag_id, "tag_id", duo::PrimaryKey(), duo::ForeignKey("tags.id"));
}

duo::Schema<Node> Node::Table() {
  return duo::Schema<Node>("nodes")
      .Column(&Node::id, "id", duo::PrimaryKey())
      .Column(&Node::parent_id, "parent_id", duo::ForeignKey("nodes.id"), duo::Index())
      .Column(&Node::name, "name")
      .BelongsTo("parent", &Node::parent, &Node::parent_id)
      .HasMany("children", &Node::children, &Node::parent_id,
               {.orphans = duo::Orphans::kDelete, .on_delete = duo::kCascade});
}

std::vector<const duo::ModelMeta*> AllModels() {
  return {&duo::MetaOf<Author>(),  &duo::MetaOf<Profile>(), &duo::MetaOf<Post>(),
          &duo::MetaOf<Comment>(), &duo::MetaOf<Tag>(),     &duo::MetaOf<PostTag>(),
          &duo::MetaOf<Node>()};
}

}  // namespace blog
