#include "spec_json.hpp"

namespace dockling {

// Field lists, one per struct: a field left out here would be lost between two commands.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CapabilitySets, bounding, effective, permitted, inheritable, ambient)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Rlimit, name, resource, soft, hard)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SeccompSpec, enabled, profile, source)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProcessUser, uid, gid, groups)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProcessSpec, args, env, cwd, user, init, terminal, open_stdin,
                                                capabilities, no_new_privileges, seccomp, rlimits)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MountSpec, destination, type, source, options, origin)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeviceNode, path, mode, rdev, uid, gid)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RootSpec, path, read_only, mounts, devices, masked_paths,
                                                readonly_paths, sys_read_only, host_devices, cgroups)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PortMapping, host_ip, host_port, container_port, protocol)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HostEntry, name, ip)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkSpec, mode, ports, exposed, publish_all, dns, extra_hosts)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(IdMapping, inside, outside, count)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UserNamespaceSpec, mode, uid_map, gid_map)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeviceLimit, major, minor, value)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Resources, memory, memory_swap, memory_reservation, memory_swappiness,
                                                oom_kill_disable, cpu_period, cpu_quota, cpu_shares, cpuset_cpus,
                                                cpuset_mems, pids_limit, blkio_weight, blkio_weight_device,
                                                device_read_bps, device_write_bps, device_read_iops,
                                                device_write_iops, unified)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NamespaceJoin, type, path)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Hook, origin, path, args, env, timeout)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Hooks, prestart, create_runtime, create_container, start_container,
                                                poststart, poststop)

void to_json(nlohmann::json& json, const ContainerSpec& spec) {
  json = {{"id", spec.id},
          {"process", spec.process},
          {"root", spec.root},
          {"hostname", spec.hostname},
          {"domainname", spec.domainname},
          {"ipc_mode", spec.ipc_mode},
          {"network", spec.network},
          {"user_namespace", spec.user_namespace},
          {"resources", spec.resources},
          {"joined_namespaces", spec.joined_namespaces},
          {"cgroup_namespace", spec.cgroup_namespace},
          {"sysctl", spec.sysctl},
          {"hooks", spec.hooks},
          {"bundle", spec.bundle},
          {"annotations", spec.annotations}};
}

void from_json(const nlohmann::json& json, ContainerSpec& spec) {
  ContainerSpec defaults;
  spec.id = json.value("id", defaults.id);
  spec.process = json.value("process", defaults.process);
  spec.root = json.value("root", defaults.root);
  spec.hostname = json.value("hostname", defaults.hostname);
  spec.domainname = json.value("domainname", defaults.domainname);
  spec.ipc_mode = json.value("ipc_mode", defaults.ipc_mode);
  spec.network = json.value("network", defaults.network);
  spec.user_namespace = json.value("user_namespace", defaults.user_namespace);
  spec.resources = json.value("resources", defaults.resources);
  spec.joined_namespaces = json.value("joined_namespaces", defaults.joined_namespaces);
  spec.cgroup_namespace = json.value("cgroup_namespace", defaults.cgroup_namespace);
  spec.sysctl = json.value("sysctl", defaults.sysctl);
  spec.hooks = json.value("hooks", defaults.hooks);
  spec.bundle = json.value("bundle", defaults.bundle);
  spec.annotations = json.value("annotations", defaults.annotations);
}

}  // namespace dockling
