// Models whose relationships point back at their own table, for the tests
// that would catch a subquery or join binding to the wrong row: an
// employee's manager and mentor (two relationships into one table, both
// nullable), the reverse collections, and friendships between employees (a
// many-to-many whose association table, with a composite key, points at
// the same model twice).

#ifndef DUO_QUERY_TESTDATA_ORG_H_
#define DUO_QUERY_TESTDATA_ORG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"

namespace org {

struct Employee : duo::Model<Employee> {
  int64_t id = 0;
  std::string name;
  int32_t level = 0;
  std::optional<int64_t> manager_id;
  std::optional<int64_t> mentor_id;
  absl::Time updated_at;
  duo::One<Employee> manager;
  duo::One<Employee> mentor;
  std::vector<Employee> reports;
  std::vector<Employee> mentees;
  std::vector<Employee> friends;

  static duo::Schema<Employee> Table();
};

struct Friendship : duo::Model<Friendship> {
  int64_t employee_id = 0;
  int64_t friend_id = 0;
  duo::One<Employee> employee;
  duo::One<Employee> pal;

  static duo::Schema<Friendship> Table();
};

std::vector<const duo::ModelMeta*> AllModels();

}  // namespace org

#endif  // DUO_QUERY_TESTDATA_ORG_H_
