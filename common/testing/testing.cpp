#include "dockling/testing.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/state.hpp"
#include "dockling/tempdir.hpp"

namespace dockling::testing {

namespace {

using Clock = std::chrono::steady_clock;

int status_to_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

/// fork + exec with stdin/stdout/stderr on pipes; the child leads a new process group.
pid_t start(const std::vector<std::string>& argv, UniqueFd& in, UniqueFd& out, UniqueFd& err) {
  Pipe in_pipe = make_pipe(), out_pipe = make_pipe(), err_pipe = make_pipe();
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = check(::fork(), "fork");
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(in_pipe.read.get(), 0);
    ::dup2(out_pipe.write.get(), 1);
    ::dup2(err_pipe.write.get(), 2);
    ::execv(args[0], args.data());
    std::string message = std::string("exec ") + args[0] + ": " + std::strerror(errno) + "\n";
    [[maybe_unused]] ssize_t n = ::write(2, message.data(), message.size());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so the group exists before we might signal it
  in = std::move(in_pipe.write);
  out = std::move(out_pipe.read);
  err = std::move(err_pipe.read);
  return pid;
}

/// Reads whatever is available on the open fds into the strings, until both reach end of
/// file or the deadline passes. Returns false on time-out.
bool drain(UniqueFd& out, std::string& out_text, UniqueFd& err, std::string& err_text,
           Clock::time_point deadline) {
  while (out || err) {
    pollfd fds[2];
    int count = 0;
    UniqueFd* owners[2];
    std::string* sinks[2];
    if (out) { fds[count] = {out.get(), POLLIN, 0}; owners[count] = &out; sinks[count++] = &out_text; }
    if (err) { fds[count] = {err.get(), POLLIN, 0}; owners[count] = &err; sinks[count++] = &err_text; }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    int ready = ::poll(fds, count, static_cast<int>(left));
    if (ready < 0 && errno != EINTR) throw_sys("poll");
    for (int i = 0; i < count; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) sinks[i]->append(buffer, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR) owners[i]->reset();
    }
  }
  return true;
}

RunResult finish(Child& child, UniqueFd& out, UniqueFd& err, std::string out_text,
                 Clock::time_point deadline) {
  RunResult result;
  result.out = std::move(out_text);
  bool in_time = drain(out, result.out, err, result.err, deadline);
  if (!in_time) {
    ::kill(-child.pid(), SIGKILL);
    result.timed_out = true;
  }
  int status = 0;
  while (::waitpid(child.pid(), &status, 0) < 0 && errno == EINTR) {
  }
  child.mark_reaped();
  result.exit_code = status_to_code(status);
  return result;
}

}  // namespace

/// What every test process gets (ctest runs each test in a process of its own):
/// - its own state directory (DOCKLING_ROOT, inherited by the binaries it runs), so that no
///   test touches /var/lib/dockling; removed at the end;
/// - a check that the host's mount table is the same at the end as at the start, so that a
///   test whose binary leaks a mount fails, whatever chapter it belongs to;
/// - a check that no container's state is left in the root's run directory: every container
///   deleted, but those of runs the test killed on purpose (the next run or `oci delete` would
///   delete them; they are removed here).
class TestProcessEnvironment : public ::testing::Environment {
  /// True for the state of a container whose `run` was killed (not detached, its creator gone).
  /// Removes what a container left by a failing test holds on the host: its process (killed)
  /// and its cgroups (empty by then), so that a failure leaves nothing behind either.
  static void remove_leftover(const std::filesystem::path& state_file) {
    try {
      auto state = nlohmann::json::parse(read_file(state_file));
      ProcessIdentity process{state["process"].value("pid", 0), state["process"].value("start_time", std::uint64_t{0})};
      if (process.alive()) ::kill(process.pid, SIGKILL);
      for (int i = 0; i < 100 && process.alive(); ++i) ::usleep(10000);
      std::string id = state.value("id", "");
      std::error_code error;
      if (id.empty() || id.find('/') != std::string::npos) return;
      ::rmdir(("/sys/fs/cgroup/dockling/" + id).c_str());
      for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup", error))
        ::rmdir((hierarchy.path() / "dockling" / id).c_str());
    } catch (const std::exception&) {
    }
  }

  static bool killed_run(const std::filesystem::path& state_file) {
    try {
      auto state = nlohmann::json::parse(read_file(state_file));
      ProcessIdentity creator{state["creator"].value("pid", 0), state["creator"].value("start_time", std::uint64_t{0})};
      return !state.value("detached", true) && !creator.alive();
    } catch (const std::exception&) {
      return false;
    }
  }


 public:
  void SetUp() override {
    mounts_at_start_ = host_mounts();
    if (std::getenv("DOCKLING_ROOT") != nullptr) return;
    root_ = std::make_unique<TempDir>("dockling-test-root");
    // 0711 like /var/lib/dockling's default: a container's root mapped to another uid
    // (chapter 07) must be able to reach the /etc files mounted from here.
    ::chmod(root_->path().c_str(), 0711);
    ::setenv("DOCKLING_ROOT", root_->path().c_str(), 1);
  }
  void TearDown() override {
    EXPECT_EQ(host_mounts(), mounts_at_start_) << "the host's mount table changed: a mount was left behind";
    if (!root_) return;
    ::unsetenv("DOCKLING_ROOT");
    StateRoot root(root_->path());
    std::string left;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(root.containers_run_dir(), error)) {
      if (!killed_run(entry.path() / "state.json")) left += "\n  " + entry.path().string();
      remove_leftover(entry.path() / "state.json");
      remove_tree(entry.path());
    }
    root.tidy_run_dir();
    if (!left.empty()) ADD_FAILURE() << "containers' state was left behind:" << left;
    root_.reset();
  }

 private:
  std::unique_ptr<TempDir> root_;
  std::string mounts_at_start_;
};

[[maybe_unused]] const auto* test_process_environment =
    ::testing::AddGlobalTestEnvironment(new TestProcessEnvironment);

bool is_root() { return ::geteuid() == 0; }

std::string bin(std::string_view name) { return std::string(DOCKLING_BIN_DIR "/") + std::string(name); }

namespace {

/// A copy of the shared rootfs in a sibling directory (same filesystem, so id-mapped and
/// overlay mounts behave as on the shared one), removed by the process that made it.
class PrivateRootfs {
 public:
  PrivateRootfs() : owner_(::getpid()) {
    std::string pattern = DOCKLING_ROOTFS ".copy-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw_sys("mkdtemp", pattern);
    path_ = pattern;
    std::filesystem::copy(DOCKLING_ROOTFS, path_,
                          std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
    ::chmod(path_.c_str(), 0755);  // mkdtemp's 0700; it becomes "/", which every uid must reach
  }
  PrivateRootfs(const PrivateRootfs&) = delete;
  PrivateRootfs& operator=(const PrivateRootfs&) = delete;
  ~PrivateRootfs() {
    if (::getpid() == owner_) remove_tree(path_);  // not in a forked child that calls exit()
  }
  const std::string& path() const { return path_; }

 private:
  pid_t owner_;
  std::string path_;
};

}  // namespace

RootfsCopy::RootfsCopy() {
  namespace fs = std::filesystem;
  fs::copy(rootfs(), path, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::permissions(dir.path(), fs::perms(0755));
}

std::string rootfs() {
  if (!is_root()) return DOCKLING_ROOTFS;
  static PrivateRootfs copy;
  return copy.path();
}

std::string unique_name(std::string_view prefix) { return std::string(prefix) + random_hex(4); }

std::ostream& operator<<(std::ostream& os, const RunResult& result) {
  return os << "exit code " << result.exit_code << (result.timed_out ? " (timed out)" : "")
            << "\n--- stdout ---\n" << result.out << "\n--- stderr ---\n" << result.err;
}

RunResult run(const std::vector<std::string>& argv, milliseconds timeout, const std::string& input) {
  UniqueFd in, out, err;
  Child child(start(argv, in, out, err));
  auto deadline = Clock::now() + timeout;
  ::signal(SIGPIPE, SIG_IGN);  // the command may exit without reading its input
  if (!input.empty()) {
    try {
      write_all(in.get(), input);
    } catch (const SysError&) {
    }
  }
  in.reset();
  return finish(child, out, err, {}, deadline);
}

Background::Background(const std::vector<std::string>& argv) {
  UniqueFd in;
  child_ = Child(start(argv, in, out_, err_));
}

std::optional<std::string> Background::read_line(milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      return line;
    }
    if (!out_) return std::nullopt;
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd fd{out_.get(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left)) <= 0) continue;
    char buffer[4096];
    ssize_t n = ::read(out_.get(), buffer, sizeof buffer);
    if (n > 0) pending_.append(buffer, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR) out_.reset();
  }
}

void Background::signal(int signal) {
  // After wait() the pid is -1, and kill(-1, ...) would signal every process we may signal.
  if (child_.pid() > 0) ::kill(child_.pid(), signal);
}

RunResult Background::wait(milliseconds timeout) {
  return finish(child_, out_, err_, std::move(pending_), Clock::now() + timeout);
}

nlohmann::json parse_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    ADD_FAILURE() << "not valid JSON (" << e.what() << "):\n" << text;
    return nlohmann::json::object();
  }
}

std::string host_mounts() {
  // Chapter 10 mounts a container's root on the host, as docker does: tests running beside
  // this one may have theirs mounted now. Each such test checks its own (mounts_under).
  // (Its source is "overlay", or "none" when it was mounted with fsconfig's lowerdir+.)
  static const std::regex container_root("^\\S+ \\S+/containers/[0-9a-f]{64}/merged overlay .*\n?");
  // Chapter 13 mounts a volume created with --opt type=... on ROOT/volumes/NAME/_data while a
  // container uses it, as docker's local driver does: the same, for the tests beside this one.
  static const std::regex volume_filesystem("^\\S+ \\S+/volumes/[^/ ]+/_data \\S+ .*\n?");
  // runc 1.1 (the peer of chapter 09's tests) bind-mounts its own binary read-only on a
  // temporary file of its state directory (runc.XXXXXX) while it starts a container, and
  // unmounts it right after: a runc beside this test, not a mount this test left.
  static const std::regex runc_clone("^\\S+ /run/runc/\\S*runc\\.[A-Za-z0-9]{6} \\S+ ro[ ,].*\n?");
  std::string kept;
  std::istringstream lines(read_file("/proc/self/mounts"));
  for (std::string line; std::getline(lines, line);)
    if (!std::regex_match(line, container_root) && !std::regex_match(line, runc_clone) &&
        !std::regex_match(line, volume_filesystem))
      kept += line + "\n";
  return kept;
}

std::string mounts_under(const std::filesystem::path& dir) {
  std::string found;
  std::istringstream lines(read_file("/proc/self/mounts"));
  for (std::string line; std::getline(lines, line);) {
    size_t start = line.find(' ') + 1;
    std::string target = line.substr(start, line.find(' ', start) - start);
    if (target == dir.string() || target.rfind(dir.string() + "/", 0) == 0) found += line + "\n";
  }
  return found;
}

ino_t namespace_inode(const std::string& pid, const std::string& name) {
  struct stat st {};
  if (::stat(("/proc/" + pid + "/ns/" + name).c_str(), &st) != 0) return 0;
  return st.st_ino;
}

pid_t parent_of(const std::string& pid) {
  try {
    std::string stat = read_file("/proc/" + pid + "/stat");
    return std::stoi(stat.substr(stat.rfind(')') + 4));  // after the name, which may hold spaces
  } catch (const std::exception&) {
    return -1;  // gone meanwhile
  }
}

namespace {

std::vector<std::string> waiting(std::vector<std::string> argv) {
  argv.insert(argv.end(), {"/bin/sh", "-c", "echo ready; exec sleep 60"});
  return argv;
}

}  // namespace

WaitingContainer::WaitingContainer(const std::vector<std::string>& runtime_argv) : runtime_(waiting(runtime_argv)) {
  if (runtime_.read_line() != "ready") {
    runtime_.signal(SIGKILL);
    ADD_FAILURE() << "the container did not start\n" << runtime_.wait();
    return;
  }
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (parent_of(pid) == runtime_.pid()) pid_ = std::stoi(pid);
  }
  EXPECT_NE(pid_, 0) << "no child of the runtime found";
}

WaitingContainer::~WaitingContainer() {
  runtime_.signal(SIGKILL);  // the container dies with it (PR_SET_PDEATHSIG)
  runtime_.wait();
}

ino_t WaitingContainer::namespace_inode(const std::string& name) const {
  ino_t inode = pid_ > 0 ? dockling::testing::namespace_inode(std::to_string(pid_), name) : 0;
  EXPECT_NE(inode, 0u) << "no " << name << " namespace of the container found";
  return inode;
}

ino_t container_namespace(const std::vector<std::string>& runtime_argv, const std::string& name) {
  return WaitingContainer(runtime_argv).namespace_inode(name);
}

int run_in_child(int unshare_flags, const std::function<int()>& body) {
  pid_t pid = check(::fork(), "fork");
  if (pid == 0) {
    int code = 97;
    try {
      if (::unshare(unshare_flags) != 0) ::_exit(98);
      if ((unshare_flags & CLONE_NEWNS) && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        ::_exit(98);
      code = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "in the child: %s\n", e.what());
    }
    ::_exit(code);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

namespace {

/// True when a link of this network namespace has an IPv4 address in NETWORK/24.
bool host_has_address_in(const std::string& network) {
  in_addr wanted{};
  ::inet_pton(AF_INET, network.c_str(), &wanted);
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* entry = list; entry != nullptr && !found; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    in_addr have = reinterpret_cast<sockaddr_in*>(entry->ifa_addr)->sin_addr;
    found = (ntohl(have.s_addr) & 0xffffff00u) == (ntohl(wanted.s_addr) & 0xffffff00u);
  }
  ::freeifaddrs(list);
  return found;
}

}  // namespace

SubnetClaim claim_subnet() {
  for (int attempt = 0; attempt < 500; ++attempt) {
    SubnetClaim claim;
    claim.third = std::stoi(random_hex(1), nullptr, 16);
    claim.claim = UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    std::string name = "dockling-test-subnet-" + claim.cidr();
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, name.data(), name.size());  // sun_path[0] == 0: abstract
    auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    if (::bind(claim.claim.get(), reinterpret_cast<sockaddr*>(&address), size) != 0) continue;
    // A bridge a killed test left behind may still hold the subnet: two links with one
    // subnet would steal each other's traffic.
    if (!host_has_address_in(claim.address(0))) return claim;
  }
  throw Error("no free /24 in 10.213.0.0/16 for the test");
}

std::string report_from_child(int unshare_flags, const std::function<std::string()>& body) {
  int fds[2];
  check(::pipe2(fds, O_CLOEXEC), "pipe2");
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw_sys("fork");
  }
  if (pid == 0) {
    ::close(fds[0]);
    std::string report;
    try {
      if (::unshare(unshare_flags) != 0) {
        report = std::string("unshare failed: ") + std::strerror(errno);
      } else if ((unshare_flags & CLONE_NEWNS) && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        report = std::string("making the mounts private failed: ") + std::strerror(errno);
      } else {
        report = body();
      }
    } catch (const std::exception& e) {
      report = std::string("threw: ") + e.what();
    } catch (...) {
      report = "threw something that is not a std::exception";
    }
    for (size_t done = 0; done < report.size();) {
      ssize_t n = ::write(fds[1], report.data() + done, report.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string report;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    report.append(buffer, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) report += "the child was killed by signal " + std::to_string(WTERMSIG(status));
  return report;
}

HostUser::HostUser() : name("dl" + random_hex(4)) {
  auto added = run({"/usr/sbin/useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    name});
  if (added.exit_code != 0) throw std::runtime_error("useradd " + name + ": " + added.err);
  const passwd* entry = ::getpwnam(name.c_str());
  if (entry == nullptr) throw std::runtime_error("useradd made no user " + name);
  uid = entry->pw_uid;
  gid = entry->pw_gid;
}

HostUser::~HostUser() {
  // The directory first: once the user is gone, another test's new user may get the same uid.
  std::error_code ignored;
  std::filesystem::remove_all("/tmp/dockling-run-" + std::to_string(uid), ignored);
  run({"/usr/sbin/userdel", name});
}

std::vector<std::string> as_user(const HostUser& user, const TempDir& state, std::vector<std::string> argv) {
  if (::chown(state.path().c_str(), user.uid, user.gid) != 0) throw_sys("chown", state.path().string());
  std::vector<std::string> with = {"/usr/bin/setpriv", "--reuid", std::to_string(user.uid), "--regid",
                                   std::to_string(user.gid), "--clear-groups", "/usr/bin/env", "-u", "XDG_RUNTIME_DIR",
                                   "DOCKLING_ROOT=" + state.path().string()};
  with.insert(with.end(), argv.begin(), argv.end());
  return with;
}

namespace {

void append_line(const std::string& path, const std::string& line) {
  std::ofstream(path, std::ios::app) << line << "\n";
}

void remove_line(const std::string& path, const std::string& line) {
  std::ifstream in(path);
  std::string kept, each;
  while (std::getline(in, each))
    if (each != line) kept += each + "\n";
  std::ofstream(path, std::ios::trunc) << kept;
}

}  // namespace

SubordinateIds::SubordinateIds(std::string subuid, std::string subgid)
    : subuid_line(std::move(subuid)), subgid_line(std::move(subgid)) {
  append_line("/etc/subuid", subuid_line);
  append_line("/etc/subgid", subgid_line);
}

SubordinateIds::~SubordinateIds() {
  remove_line("/etc/subuid", subuid_line);
  remove_line("/etc/subgid", subgid_line);
}

}  // namespace dockling::testing
