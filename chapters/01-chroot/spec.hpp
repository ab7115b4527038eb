/// @file spec.hpp
/// @brief ContainerSpec: what a container is, as one typed value — the only input of the
/// pipeline.
///
/// A spec says *what* (the root, the command, its user, the limits, the network); the steps
/// say *how*. `run` turns its flags into a spec (each step writes its own part, in
/// Step::to_spec), an OCI bundle's config.json becomes one directly (chapter 09), and
/// chapter 10 will start from an image's config. The steps only read it. Like OCI's
/// config.json it describes every chapter's part; a binary honours the parts its chapters
/// taught, and the rest stays at its default.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace dockling {

/// Docker's default PATH inside a container.
inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A set of capabilities: bit N is capability N (CAP_CHOWN is bit 0). Chapter 09.
using CapabilitySet = std::uint64_t;

/// The five capability sets of the command (OCI's process.capabilities). Chapter 09.
struct CapabilitySets {
  CapabilitySet bounding = 0;     ///< what the process can ever gain
  CapabilitySet effective = 0;    ///< what the kernel checks now
  CapabilitySet permitted = 0;    ///< what it may make effective
  CapabilitySet inheritable = 0;  ///< what survives execve into files with inheritable caps
  CapabilitySet ambient = 0;      ///< what survives execve into ordinary files
};

/// One setrlimit(2): `--ulimit nofile=1024:2048` or process.rlimits. Chapter 09.
struct Rlimit {
  std::string name;          ///< "nofile", "nproc", "core", ...
  int resource = 0;          ///< RLIMIT_NOFILE, ...
  std::uint64_t soft = 0;    ///< RLIM_INFINITY for -1 or "unlimited"
  std::uint64_t hard = 0;    ///< likewise; raising it needs CAP_SYS_RESOURCE
};

/// The seccomp filter of the command (chapter 09).
struct SeccompSpec {
  bool enabled = true;  ///< false: unconfined (--privileged, seccomp=unconfined, a bundle without one)
  /// A profile in docker's JSON format (a --security-opt file, a bundle's linux.seccomp);
  /// nullopt: docker's default profile.
  std::optional<nlohmann::json> profile;
  std::string source;   ///< where `profile` came from, for messages ("p.json", "config.json linux.seccomp")
};

/// Who the command runs as: ids resolved from the container's /etc/passwd and /etc/group
/// (chapter 07), or taken as written from an OCI bundle.
struct ProcessUser {
  uid_t uid = 0;               ///< user id inside the container
  gid_t gid = 0;               ///< primary group id
  std::vector<gid_t> groups;   ///< supplementary groups, set with setgroups(2)
};

/// A terminal's window size (OCI's process.consoleSize). Chapter 03.
struct ConsoleSize {
  unsigned short rows = 0;     ///< height, in characters
  unsigned short columns = 0;  ///< width, in characters
};

/// The command and how it runs.
struct ProcessSpec {
  std::vector<std::string> args;  ///< the command and its arguments; not empty
  std::vector<std::string> env;   ///< KEY=VALUE, the whole environment (HOME and HOSTNAME included)
  std::string cwd = "/";          ///< the working directory, absolute, created if missing (03)
  ProcessUser user;               ///< 07 (-u, --group-add)
  /// 07: the user asked for when there is no -u, as -u takes it (USER[:GROUP], names or
  /// numbers): chapter 10's image config (its User). Empty: root.
  std::string default_user;
  bool init = false;              ///< 02: an init as PID 1 that forwards signals and reaps (--init)
  /// 03: -t, process.terminal: stdin, stdout and stderr are a pseudo-terminal of the
  /// container's devpts, its controlling terminal.
  bool terminal = false;
  /// 03: -i: the runtime's stdin reaches the command (through the terminal, with `terminal`).
  bool open_stdin = false;
  /// 03: process.consoleSize: the terminal's size when it is made; unset: the size of the
  /// runtime's own terminal (none when it has none).
  std::optional<ConsoleSize> console_size;
  CapabilitySets capabilities;    ///< 09
  bool no_new_privileges = false; ///< 09: PR_SET_NO_NEW_PRIVS
  SeccompSpec seccomp;            ///< 09
  std::vector<Rlimit> rlimits;    ///< 09
};

/// A filesystem mounted into the root, as plan data (OCI's mounts[] entry).
struct MountSpec {
  std::string destination;           ///< absolute, inside the container
  std::string type;                  ///< "tmpfs", "bind", "proc", ...
  std::string source;                ///< bind: a host path, absolute; otherwise what mount(2) gets
  std::vector<std::string> options;  ///< "ro", "nosuid", "rbind", "size=64m", "mode=1777", ...
  std::string origin;                ///< where it was asked, for messages: "config.json: mounts[3]", "-v data:/data"
};

/// A device node made in the container's /dev (09: an OCI bundle's linux.devices).
struct DeviceNode {
  std::string path;  ///< absolute, inside the container, e.g. /dev/fuse
  mode_t mode = 0;   ///< file type (S_IFCHR, S_IFBLK, S_IFIFO) and permission bits
  dev_t rdev = 0;    ///< major and minor
  uid_t uid = 0;     ///< owner
  gid_t gid = 0;     ///< group
};

/// The root filesystem and what is mounted in it (chapters 01 and 03).
struct RootSpec {
  std::filesystem::path path;        ///< the root filesystem directory, absolute
  bool read_only = false;            ///< --read-only: the root remounted read-only at the end
  /// Beyond /proc, /sys and /dev, in order: --tmpfs (03); an OCI bundle's own mounts (09).
  std::vector<MountSpec> mounts;
  std::vector<DeviceNode> devices;   ///< 09: device nodes beyond chapter 03's /dev
  /// Hidden from the container (docker's list by default; empty with --privileged).
  std::vector<std::string> masked_paths;
  /// Visible, but read-only (docker's list by default; empty with --privileged).
  std::vector<std::string> readonly_paths;
  bool sys_read_only = true;         ///< /sys read-only (docker's default; --privileged: rw)
  bool host_devices = false;         ///< 09 --privileged: every device of the host in /dev
  /// 08: the container's own cgroups at /sys/fs/cgroup: "ro" (docker's default), "rw"
  /// (--privileged), "" for none (an OCI bundle lists its own cgroup mount, or not).
  std::string cgroups = "ro";
};

/// One -p/--publish: `[IP:]HOSTPORT:CONTAINERPORT[/tcp|udp]`. Chapter 04.
struct PortMapping {
  std::string host_ip;              ///< only connections to this host address; empty: any
  std::uint16_t host_port = 0;      ///< 1..65535
  std::uint16_t container_port = 0; ///< 1..65535
  std::string protocol = "tcp";     ///< "tcp" or "udp"
};

/// One --add-host NAME:IP, a line for the container's /etc/hosts. Chapter 04.
struct HostEntry {
  std::string name;  ///< the host name
  std::string ip;    ///< an IPv4 or IPv6 address
};

/// The network (chapter 04).
struct NetworkSpec {
  std::string mode = "none";            ///< "bridge", "none" or "host"
  std::vector<PortMapping> ports;       ///< -p (bridge only)
  /// Ports the container offers (--expose; from chapter 10 also the image's EXPOSE): only
  /// container_port and protocol are set. -P publishes them on free host ports.
  std::vector<PortMapping> exposed;
  bool publish_all = false;             ///< -P/--publish-all
  std::vector<std::string> dns;         ///< --dns servers for resolv.conf
  std::vector<HostEntry> extra_hosts;   ///< --add-host lines for /etc/hosts
  std::string ip;                       ///< --ip: this address on the bridge ("": the lowest free one)
};

/// One line of a uid_map or gid_map: the `count` ids from `inside` (as the user namespace
/// sees them) are the host's ids from `outside`. Chapter 07.
struct IdMapping {
  unsigned long inside = 0;   ///< first id inside the namespace, e.g. 0 (root)
  unsigned long outside = 0;  ///< the host's id it stands for, e.g. 100000
  unsigned long count = 0;    ///< how many consecutive ids, e.g. 65536
};

/// The user namespace (chapter 07).
struct UserNamespaceSpec {
  std::string mode;                     ///< --userns: "" (by who runs us), "private" or "host"
  std::optional<std::vector<IdMapping>> uid_map;  ///< given maps (an OCI bundle); else chosen
  std::optional<std::vector<IdMapping>> gid_map;  ///< likewise
};

/// A limit for one block device: `--device-read-bps /dev/sda:1mb` is {8, 0, 1048576}. Chapter 08.
struct DeviceLimit {
  unsigned major = 0;       ///< the device's major number
  unsigned minor = 0;       ///< the device's minor number
  std::uint64_t value = 0;  ///< bytes per second, I/O operations per second, or a weight
};

/// The cgroup limits (chapter 08), in the kernel's units with docker's defaults filled in.
/// Unset means "no limit".
struct Resources {
  std::optional<std::int64_t> memory;  ///< -m: bytes of memory (RAM)
  /// --memory-swap: bytes of memory PLUS swap, as docker counts it; -1 means unlimited swap.
  /// Equal to `memory` means no swap. Filled in as 2 × memory when only -m is given.
  std::optional<std::int64_t> memory_swap;
  std::optional<std::int64_t> memory_reservation;  ///< --memory-reservation: soft limit, bytes
  std::optional<int> memory_swappiness;            ///< --memory-swappiness: 0..100
  bool oom_kill_disable = false;                   ///< --oom-kill-disable
  std::optional<std::int64_t> cpu_period;  ///< --cpu-period (or 100000 from --cpus): microseconds
  std::optional<std::int64_t> cpu_quota;   ///< --cpu-quota (or cpus × period): microseconds, -1 none
  std::optional<std::uint64_t> cpu_shares;  ///< --cpu-shares: relative weight, 2..262144
  std::optional<std::string> cpuset_cpus;   ///< --cpuset-cpus: a CPU list like "0-2,5"
  std::optional<std::string> cpuset_mems;   ///< --cpuset-mems: a memory node list
  std::optional<std::int64_t> pids_limit;   ///< --pids-limit: -1 (or 0) means unlimited
  std::optional<std::uint64_t> blkio_weight;  ///< --blkio-weight: 10..1000
  std::vector<DeviceLimit> blkio_weight_device;  ///< --blkio-weight-device: weights 10..1000
  std::vector<DeviceLimit> device_read_bps;      ///< --device-read-bps: bytes per second
  std::vector<DeviceLimit> device_write_bps;     ///< --device-write-bps: bytes per second
  std::vector<DeviceLimit> device_read_iops;     ///< --device-read-iops: operations per second
  std::vector<DeviceLimit> device_write_iops;    ///< --device-write-iops: operations per second
  /// OCI's linux.resources.unified: cgroup v2 files written as they are.
  std::vector<std::pair<std::string, std::string>> unified;
};

/// A namespace the container enters by path instead of making its own (09: OCI's
/// linux.namespaces[].path, e.g. {"network", "/proc/1234/ns/net"}).
struct NamespaceJoin {
  std::string type;  ///< "network", "ipc", "uts" or "cgroup"
  std::string path;  ///< a namespace file, e.g. /proc/PID/ns/net or a bind mount of one
};

/// A program the runtime runs at a point of the container's life, with the container's
/// state as JSON on its standard input (09: OCI's hooks).
struct Hook {
  std::string origin;             ///< "hooks.prestart[0]", for messages
  std::string path;               ///< absolute path of the program
  std::vector<std::string> args;  ///< its argv (argv[0] included); empty: just the path
  std::vector<std::string> env;   ///< its whole environment
  std::optional<int> timeout;     ///< seconds; none: no limit
};

/// The hooks of a container, by the point where they run (09). From the runtime: prestart
/// and createRuntime once the container's process exists and waits, poststart once the
/// command runs, poststop after it ended. From the container's process: createContainer in
/// its namespaces before pivot_root (the path is the host's), startContainer inside the new
/// root before the command (the path is the container's).
struct Hooks {
  std::vector<Hook> prestart;          ///< deprecated by the spec, still run (runc does)
  std::vector<Hook> create_runtime;    ///< after prestart
  std::vector<Hook> create_container;  ///< a failure stops the start
  std::vector<Hook> start_container;   ///< a failure stops the start
  std::vector<Hook> poststart;         ///< a failure is a warning
  std::vector<Hook> poststop;          ///< a failure is a warning

  /// True when there is no hook at all.
  bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() && start_container.empty() &&
           poststart.empty() && poststop.empty();
  }
};

/// Everything about one container. Defaults are docker's where a binary does not set a part.
struct ContainerSpec {
  std::string id;                  ///< 64 hex digits, like docker's container ids
  ProcessSpec process;             ///< the command
  RootSpec root;                   ///< the root filesystem and its mounts
  std::string hostname;            ///< 05: -h (default: the short id)
  std::string domainname;          ///< 05: --domainname ("" keeps the inherited one)
  std::string ipc_mode = "private";  ///< 06: --ipc private, shareable or host
  NetworkSpec network;             ///< 04
  UserNamespaceSpec user_namespace;  ///< 07
  Resources resources;             ///< 08
  /// 09: namespaces entered by path instead of made (after the clone that made new ones).
  std::vector<NamespaceJoin> joined_namespaces;
  /// 09: a cgroup namespace rooted at the container's cgroup, as an OCI bundle asks. (`run`
  /// makes one on cgroup v2 with its /sys/fs/cgroup: chapter 08's `root.cgroups`.)
  bool cgroup_namespace = false;
  /// 09: kernel parameters under /proc/sys, KEY=VALUE in order ("net.ipv4.ip_forward", "1").
  std::vector<std::pair<std::string, std::string>> sysctl;
  Hooks hooks;                     ///< 09
  std::string bundle;              ///< 09: the OCI bundle it was read from, absolute; "" for `run`
  nlohmann::json annotations = nlohmann::json::object();  ///< 09: an OCI bundle's annotations

  /// The first 12 hex digits of the id, as `docker ps` shows it.
  std::string short_id() const { return id.substr(0, 12); }
};

}  // namespace dockling
