#include "duo/query/testdata/org.h"

namespace org {

duo::Schema<Employee> Employee::Table() {
  return duo::Schema<Employee>("employees")
      .Column(&Employee::id, "id", duo::PrimaryKey())
      .Column(&Employee::name, "name", duo::Length(40))
      .Column(&Employee::level, "level")
      .Column(&Employee::manager_id, "manager_id",
              duo::ForeignKey("employees.id", {.on_delete = duo::kSetNull}), duo::Index())
      .Column(&Employee::mentor_id, "mentor_id",
              duo::ForeignKey("employees.id", {.on_delete = duo::kSetNull}))
      .Column(&Employee::updated_at, "updated_at", duo::UpdatedAt())
      .BelongsTo("manager", &Employee::manager, &Employee::manager_id)
      .BelongsTo("mentor", &Employee::mentor, &Employee::mentor_id)
      .HasMany("reports", &Employee::reports, &Employee::manager_id)
      .HasMany("mentees", &Employee::mentees, &Employee::mentor_id)
      .ManyToMany("friends", &Employee::friends, &Friendship::employee_id, &Friendship::friend_id);
}

duo::Schema<Friendship> Friendship::Table() {
  return duo::Schema<Friendship>("friendships")
      .Column(&Friendship::employee_id, "employee_id",
              duo::ForeignKey("employees.id", {.on_delete = duo::kCascade}))
      .Column(&Friendship::friend_id, "friend_id",
              duo::ForeignKey("employees.id", {.on_delete = duo::kCascade}))
      .PrimaryKey({"employee_id", "friend_id"})
      .BelongsTo("employee", &Friendship::employee, &Friendship::employee_id)
      .BelongsTo("pal", &Friendship::pal, &Friendship::friend_id);
}

std::vector<const duo::ModelMeta*> AllModels() {
  return {&duo::MetaOf<Employee>(), &duo::MetaOf<Friendship>()};
}

}  // namespace org
