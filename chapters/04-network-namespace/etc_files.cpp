#include "etc_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "container_mounts.hpp"
#include "dockling/fd.hpp"

namespace dockling::ch04 {

std::string hosts_file(const std::string& hostname, const std::optional<Ipv4>& address,
                       const std::vector<HostEntry>& extra) {
  std::string text =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  for (const auto& entry : extra) text += fmt::format("{}\t{}\n", entry.ip, entry.name);
  if (address) text += fmt::format("{}\t{}\n", address->str(), hostname);
  return text;
}

std::string resolv_conf(const std::string& host_resolv_conf, const std::vector<std::string>& dns,
                        bool own_network_namespace) {
  std::string kept, nameservers;
  std::istringstream lines(host_resolv_conf);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string key, value;
    words >> key >> value;
    if (key != "nameserver") {
      if (!key.empty() && key[0] != '#' && key[0] != ';') kept += line + "\n";  // search, options
      continue;
    }
    bool loopback = value.starts_with("127.") || value == "::1";
    if (dns.empty() && !(loopback && own_network_namespace)) nameservers += "nameserver " + value + "\n";
  }
  for (const auto& server : dns) nameservers += "nameserver " + server + "\n";
  if (nameservers.empty()) nameservers = "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
  return nameservers + kept;
}

namespace {

/// openat2(2) has no glibc wrapper in Debian 12.
int openat2(int dirfd, const std::string& path, int flags, std::uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? 0644 : 0;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
}

}  // namespace

void bind_into_rootfs(const std::filesystem::path& rootfs, const std::string& relative, const UniqueFd& tree,
                      const std::filesystem::path& source) {
  std::string shown = (rootfs / relative).string();
  UniqueFd root(check(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), "open", rootfs.string()));
  constexpr std::uint64_t kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = openat2(root.get(), relative, O_PATH, kInRoot);
  if (fd < 0 && errno == ENOENT) {
    // Create the missing mount point: an empty file, inside the root, never through a link.
    auto slash = relative.rfind('/');
    std::string parent = slash == std::string::npos ? "." : relative.substr(0, slash);
    std::string name = relative.substr(slash + 1);
    UniqueFd dir(check(openat2(root.get(), parent, O_PATH | O_DIRECTORY, kInRoot), "openat2", shown));
    int created = ::openat(dir.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (created < 0 && errno != EEXIST) throw_sys("openat", shown);
    if (created >= 0) ::close(created);
    fd = openat2(root.get(), relative, O_PATH, kInRoot);
  }
  UniqueFd target(check(fd, "openat2", shown));
  struct stat st;
  check(::fstat(target.get(), &st), "fstat", shown);
  if (!S_ISREG(st.st_mode)) throw Error(fmt::format("{}: not a regular file, cannot mount over it", shown));
  // The O_PATH descriptor names exactly the file we checked: mount onto it, not the path.
  if (tree) {
    ch03::attach_mount_tree(tree, target.get(), shown);
    return;
  }
  std::string through = fmt::format("/proc/self/fd/{}", target.get());
  if (::mount(source.c_str(), through.c_str(), nullptr, MS_BIND, nullptr) < 0) throw_sys("mount", shown);
}

}  // namespace dockling::ch04
