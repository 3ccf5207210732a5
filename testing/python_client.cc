#include "testing/python_client.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace duo::testing {
namespace {

// Debian's interpreter, not the first python3 on PATH: a pyenv or virtualenv
// python does not see the Debian packages the tests depend on.
constexpr char kPython[] = "/usr/bin/python3";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A temporary directory removed when this object goes away.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/duo-python-XXXXXX");
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

absl::StatusOr<std::string> RunPythonClient(absl::string_view script,
                                            const std::vector<std::string>& args) {
  if (access(kPython, X_OK) != 0) {
    return absl::UnavailableError(
        absl::StrCat(kPython,
                     " is missing: run tools/setup.sh --postgres (installs "
                     "python3-sqlalchemy and python3-psycopg2)"));
  }
  const ScratchDirectory scratch;
  if (scratch.path().empty()) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  const std::string out_path = scratch.path() / "stdout";
  const std::string err_path = scratch.path() / "stderr";

  std::vector<std::string> argv_storage = {kPython, std::string(script)};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // The environment of the test plus the shared module's directory.
  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (absl::StartsWith(*entry, "PYTHONPATH=") ||
        absl::StartsWith(*entry, "PYTHONDONTWRITEBYTECODE=")) {
      continue;
    }
    env_storage.emplace_back(*entry);
  }
  env_storage.push_back(
      absl::StrCat("PYTHONPATH=", (std::filesystem::current_path() / "testing/interop").string()));
  // The runfiles are links into the source tree: no __pycache__ there.
  env_storage.push_back("PYTHONDONTWRITEBYTECODE=1");
  std::vector<char*> envp;
  for (std::string& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, kPython, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    return absl::InternalError(
        absl::StrCat("posix_spawn ", kPython, ": ", std::strerror(spawn_error)));
  }
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
    }
  }
  std::string out = ReadFile(out_path);
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return out;

  const std::string err = ReadFile(err_path);
  if (err.find("No module named 'sqlalchemy'") != std::string::npos ||
      err.find("No module named 'psycopg2'") != std::string::npos) {
    return absl::UnavailableError(
        absl::StrCat(script, ": ", err,
                     "(tools/setup.sh --postgres installs python3-sqlalchemy and "
                     "python3-psycopg2)"));
  }
  return absl::InternalError(
      absl::StrCat(script, " ",
                   WIFEXITED(wait_status) ? absl::StrCat("exited with ", WEXITSTATUS(wait_status))
                                          : absl::StrCat("died of signal ", WTERMSIG(wait_status)),
                   "\nstderr:\n", err, "stdout:\n", out));
}

}  // namespace duo::testing
