#include "container_mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/log.hpp"
#include "in_root.hpp"

namespace dockling::ch03 {

const std::vector<std::string> kMaskedPaths = {
    "/proc/asound",        // sound cards: readable state, some files write to the hardware
    "/proc/acpi",          // ACPI tables and controls of the host's firmware
    "/proc/kcore",         // the host's physical memory, as an ELF core file
    "/proc/keys",          // the kernel's keyrings (names of keys of every user)
    "/proc/latency_stats", // per-task latency, a side channel
    "/proc/timer_list",    // every pending timer of the host, with its task names and pids
    "/proc/timer_stats",   // the same, older kernels
    "/proc/sched_debug",   // the scheduler's view of every host task
    "/proc/scsi",          // SCSI devices; writes can add or remove them
    "/sys/firmware",       // firmware tables (ACPI, EFI variables, DMI with serial numbers)
};

const std::vector<std::string> kReadOnlyPaths = {
    "/proc/bus",            // PCI/USB config space of the host's devices
    "/proc/fs",             // filesystem knobs (nfsd, ...)
    "/proc/irq",            // interrupt routing (smp_affinity) of the host
    "/proc/sys",            // sysctls: kernel.*, vm.*, most of them not namespaced
    "/proc/sysrq-trigger",  // one write reboots or crashes the host
};

TmpfsMount parse_tmpfs(const std::string& spec) {
  size_t colon = spec.find(':');
  TmpfsMount tmpfs{spec.substr(0, colon), MS_NOEXEC | MS_NOSUID | MS_NODEV, {}};
  if (tmpfs.path.empty() || tmpfs.path.front() != '/')
    throw Error(fmt::format("invalid --tmpfs \"{}\": the mount path must be absolute", spec));
  if (colon == std::string::npos) return tmpfs;

  struct Flag {
    const char* name;
    unsigned long flag;
    bool set;
  };
  static constexpr Flag kFlags[] = {
      {"ro", MS_RDONLY, true},  {"rw", MS_RDONLY, false},    {"noexec", MS_NOEXEC, true},
      {"exec", MS_NOEXEC, false}, {"nosuid", MS_NOSUID, true}, {"suid", MS_NOSUID, false},
      {"nodev", MS_NODEV, true},  {"dev", MS_NODEV, false},
  };
  std::string options = spec.substr(colon + 1);
  size_t start = 0;
  while (start <= options.size()) {
    size_t end = options.find(',', start);
    if (end == std::string::npos) end = options.size();
    std::string option = options.substr(start, end - start);
    start = end + 1;
    if (option.empty()) continue;
    bool is_flag = false;
    for (const auto& flag : kFlags) {
      if (option != flag.name) continue;
      tmpfs.flags = flag.set ? (tmpfs.flags | flag.flag) : (tmpfs.flags & ~flag.flag);
      is_flag = true;
    }
    if (!is_flag) tmpfs.data += (tmpfs.data.empty() ? "" : ",") + option;  // for tmpfs itself
  }
  return tmpfs;
}

void make_mounts_private() {
  // CLONE_NEWNS copied the host's mounts, and with them their propagation: a "shared" mount
  // (systemd makes / shared) would send our mounts back to the host's copy.
  check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "mount", "/ (MS_REC|MS_PRIVATE)");
}

void mount_proc(int root_fd) {
  UniqueFd target = open_in_root(root_fd, "/proc", O_DIRECTORY);
  // /proc/self/fd/N needs a /proc, which is what we are mounting: mount on our working
  // directory instead, after moving it to the directory openat2 resolved.
  check(::fchdir(target.get()), "fchdir", "/proc");
  check(::mount("proc", ".", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr), "mount", "/proc");
  check(::chdir("/"), "chdir", "/");
}

void mount_sys(int root_fd) {
  UniqueFd target = open_in_root(root_fd, "/sys", O_DIRECTORY);
  mount_on(target.get(), "/sys", "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

namespace {

struct Device {
  const char* name;
  unsigned major, minor;
};

// The devices every container gets (docker's defaults), as character devices.
constexpr Device kDevices[] = {
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

// Links every program expects in /dev.
constexpr std::pair<const char*, const char*> kDevLinks[] = {
    {"fd", "/proc/self/fd"},          {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},    {"ptmx", "pts/ptmx"},
};

/// Mounts `fstype` on the directory /dev/NAME, which it creates in the fresh /dev tmpfs.
void mount_dev_dir(int dev_fd, const char* name, const char* fstype, unsigned long flags, const std::string& data) {
  std::string path = fmt::format("/dev/{}", name);
  check(::mkdirat(dev_fd, name, 0755), "mkdir", path);
  UniqueFd target(check(::openat(dev_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), "open", path));
  mount_on(target.get(), path, fstype, fstype, flags, data);
}

}  // namespace

void mount_dev(int root_fd) {
  UniqueFd target = open_in_root(root_fd, "/dev", O_DIRECTORY);
  // Not nodev: this tmpfs holds the device nodes.
  mount_on(target.get(), "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  // `target` still refers to the directory under the tmpfs: resolve again to get the tmpfs.
  UniqueFd dev_dir = open_in_root(root_fd, "/dev", O_DIRECTORY);

  // We are root in the host's user namespace, so mknod(2) works. (In a user namespace it
  // does not: runc then bind-mounts the host's nodes instead.)
  for (const auto& device : kDevices) {
    std::string path = fmt::format("/dev/{}", device.name);
    check(::mknodat(dev_dir.get(), device.name, S_IFCHR | 0666, makedev(device.major, device.minor)), "mknod", path);
    check(::fchmodat(dev_dir.get(), device.name, 0666, 0), "chmod", path);  // the umask took bits away
  }
  // A new devpts instance: the container's terminals only, not the host's. ptmxmode=0666
  // lets every user open pts/ptmx; gid=5 is the usual tty group, as docker sets it.
  mount_dev_dir(dev_dir.get(), "pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mount_dev_dir(dev_dir.get(), "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  // POSIX message queues. The mqueue filesystem shows the queues of the mounting process's
  // IPC namespace: the host's until chapter 06 gives the container its own.
  mount_dev_dir(dev_dir.get(), "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
  for (const auto& [name, destination] : kDevLinks)
    check(::symlinkat(destination, dev_dir.get(), name), "symlink", fmt::format("/dev/{}", name));
}

void mount_tmpfs(int root_fd, const TmpfsMount& tmpfs) {
  UniqueFd target = make_directories_in_root(root_fd, tmpfs.path);
  mount_on(target.get(), tmpfs.path, "tmpfs", "tmpfs", tmpfs.flags, tmpfs.data);
}

void mask_paths(int root_fd) {
  for (const auto& path : kMaskedPaths) {
    UniqueFd target = open_in_root_if_exists(root_fd, path);
    if (!target) continue;
    struct stat st;
    check(::fstat(target.get(), &st), "stat", path);
    if (S_ISDIR(st.st_mode)) {
      mount_on(target.get(), path, "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    } else {
      mount_on(target.get(), path, "/dev/null", "", MS_BIND);
    }
    log::debug("child: masked {}", path);
  }
}

void make_paths_read_only(int root_fd) {
  for (const auto& path : kReadOnlyPaths) {
    UniqueFd target = open_in_root_if_exists(root_fd, path);
    if (!target) continue;
    // A bind mount of the path onto itself gives it its own mount, whose flags we can change
    // without touching the rest of /proc.
    mount_on(target.get(), path, fd_path(target.get()), "", MS_BIND | MS_REC);
    UniqueFd bound = open_in_root(root_fd, path);  // the new mount's root
    remount_read_only(bound.get(), path);
    log::debug("child: read-only {}", path);
  }
}

}  // namespace dockling::ch03
