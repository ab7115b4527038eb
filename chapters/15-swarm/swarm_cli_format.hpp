/// @file swarm_cli_format.hpp
/// @brief What the swarm commands print, as pure functions of the daemon's JSON: the tables of
/// `service ls`, `service ps`/`node ps` and `node ls`, the logs prefix, the texts of `swarm
/// init` and `join-token`, the progress of a converging service, and the spec `service create`
/// sends. No socket here: the tests call these with JSON of their own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace dockling::ch15 {

/// JSON whose objects keep their keys in insertion order: specs and rows come out in docker's order.
using Json = nlohmann::ordered_json;

/// How a listing prints: `-q`, `--no-trunc`, `--format`.
struct ListOptions {
  bool quiet = false;     ///< `-q`: the ids only, one a line (overrides `format`)
  bool no_trunc = false;  ///< `--no-trunc`: full ids, images and error texts
  std::string format;  ///< "" for docker's default table
};

/// docker's PrettyPrint: the first letter upper-case, the rest lower ("running" → "Running").
std::string pretty(std::string_view text);
/// The first 12 characters of an id (docker's stringid.TruncateID).
std::string truncate_id(std::string_view id);
/// `text` cut to `width` characters with "…" as its last when longer (docker's Ellipsis).
std::string ellipsis(std::string_view text, std::size_t width);
/// Natural order of names ("web2" < "web10"), as docker's sortorder.NaturalLess.
bool natural_less(std::string_view a, std::string_view b);
/// An RFC 3339 time as nanoseconds since the epoch (0 when it does not parse).
std::int64_t rfc3339_nanos(const std::string& text);
/// The image as `service ls` and a truncated `service ps` show it: a tagged name without its
/// digest, in docker's short form ("busybox:latest@sha256:…" → "busybox:latest").
std::string display_image(const std::string& image);

/// A table as docker's formatter writes it: `format` ("" for `default_format`), "table " adds
/// the header row rendered from `header` and aligns the tab-separated cells; each row rendered
/// from its context. `root_type` names the context in template errors.
std::string render_listing(const std::string& format, const std::string& default_format, const Json& header,
                           const std::vector<Json>& rows, const std::string& root_type);

/// `service ls`: the rows (sorted by name) for services from GET /services?status=true.
std::string format_services(std::vector<Json> services, const ListOptions& options);
/// One service's template context: ID, Name, Mode, Replicas, Image, Ports.
Json service_context(const Json& service);

/// "Running 5 seconds ago": a task's CURRENT STATE at `now` (seconds since the epoch).
std::string current_state(const Json& task, double now);
/// The ERROR column: quoted, cut to 30 characters unless `no_trunc`; "" when none.
std::string task_error(const Json& task, bool no_trunc);
/// A task's name: "SERVICE.SLOT", or "SERVICE.NODEID" for a global service's task.
std::string task_name(const Json& task, const std::map<std::string, std::string>& service_names);
/// Tasks in docker's order: by name in natural order ("logger.2" before "logger.10"), the
/// newest first within a name (stable).
std::vector<Json> sort_tasks(std::vector<Json> tasks, const std::map<std::string, std::string>& service_names);
/// `service ps` / `node ps`: the rows of `tasks` (any order), names and hostnames resolved by
/// `service_names` (service id → name) and `node_names` (node id → hostname).
std::string format_tasks(std::vector<Json> tasks, const std::map<std::string, std::string>& service_names,
                         const std::map<std::string, std::string>& node_names, const ListOptions& options,
                         double now);

/// `network ls`: the rows (sorted by name): NETWORK ID, NAME, DRIVER, SCOPE.
std::string format_networks(std::vector<Json> networks, const ListOptions& options);

/// `node ls`: the rows (sorted by hostname); `self_id` gets the "*".
std::string format_nodes(std::vector<Json> nodes, const std::string& self_id, const ListOptions& options);
/// The MANAGER STATUS column: "Leader", "Reachable", "Unreachable", or "" for a worker.
std::string manager_status(const Json& node);

/// A log line of the daemon's stream (details=1): "[TIMESTAMP ]k=v,k=v MESSAGE".
struct LogLine {
  std::string timestamp;  ///< with timestamps only
  std::map<std::string, std::string> details;  ///< what is left after the three ids
  std::string node_id,  ///< the com.docker.swarm.node.id detail
      service_id,       ///< the com.docker.swarm.service.id detail
      task_id;          ///< the com.docker.swarm.task.id detail
  std::string message;  ///< with its newline
};
/// Parses `payload` (one frame's payload); `timestamps` when the request asked for them.
/// @throws Error "invalid context in log message: ..." as docker's.
LogLine parse_log_line(std::string_view payload, bool timestamps);
/// The prefix docker prints before a log message: "logger.1.7y0z4j613c9c@vm" plus the padding
/// to `replicas`'s digits and "    | ". `task_id` empty for --no-task-ids.
std::string log_prefix(const std::string& service_name, std::int64_t slot, const std::string& task_id,
                       const std::string& hostname, std::int64_t replicas, bool no_trunc);

/// `docker swarm join-token ROLE`'s text.
std::string join_command_text(const std::string& role, const std::string& token, const std::string& address);
/// `docker swarm init`'s text.
std::string init_text(const std::string& node_id, const std::string& worker_token, const std::string& address);
/// "image busybox:latest could not be accessed on a registry …": the warning (with its
/// newline) when the image's digest cannot be had.
std::string digest_warning(const std::string& image);

/// A Go duration ("10s", "1m30s", "500ms", "0") as nanoseconds.
/// @throws Error (docker's words) when it does not parse.
std::int64_t parse_duration(const std::string& text, const std::string& flag);
/// A size as docker's RAMInBytes ("64m" → 67108864, "1g", "512k", "100").
std::int64_t parse_memory(const std::string& text, const std::string& flag);
/// CPUs as NanoCPUs ("0.5" → 500000000).
std::int64_t parse_cpus(const std::string& text, const std::string& flag);
/// The image as docker sends it: normalized with a tag ("busybox" → "busybox:latest").
std::string normalize_image(const std::string& image);

/// The flags of `service create` that shape the spec.
struct CreateOptions {
  std::string name;               ///< `--name`: the service's name (Spec.Name)
  std::string image;              ///< IMAGE: ContainerSpec.Image, as given here
  std::vector<std::string> args;  ///< COMMAND and its arguments: ContainerSpec.Args
  std::string mode = "replicated";  ///< `--mode`: "replicated" or "global"
  std::optional<std::uint64_t> replicas;  ///< `--replicas`; unset: the daemon's default (1)
  std::vector<std::string> env;           ///< `-e`: KEY=VALUE each
  std::vector<std::string> constraints;   ///< `--constraint`: node.hostname==host2, ...
  std::vector<std::string> networks;      ///< `--network`: an overlay network's name or id each
  std::vector<std::string> publish;       ///< `-p`: "8080:80", "8080:80/udp", "80" or "published=8080,target=80"
  std::optional<std::string> restart_condition,  ///< `--restart-condition`: "none", "on-failure" or "any"
      restart_delay;                             ///< `--restart-delay`: a Go duration ("5s")
  std::optional<std::string> limit_memory,  ///< `--limit-memory`: a size ("64m")
      limit_cpu,                            ///< `--limit-cpu`: CPUs ("0.5")
      reserve_memory,                       ///< `--reserve-memory`: a size each task needs on its node
      reserve_cpu;                          ///< `--reserve-cpu`: CPUs
  std::optional<std::uint64_t> update_parallelism;  ///< `--update-parallelism`: tasks a batch (0: all)
  std::optional<double> update_max_failure_ratio;   ///< `--update-max-failure-ratio`: failures tolerated, 0..1
  std::optional<std::string> update_delay,  ///< `--update-delay`: a Go duration between batches
      update_failure_action,                ///< `--update-failure-action`: "pause", "continue" or "rollback"
      update_monitor;                       ///< `--update-monitor`: how long a new task must run to count as up
};
/// The EndpointSpec port of a `--publish` value, as docker's CLI sends it: {"Protocol",
/// "TargetPort", "PublishedPort" (left out: the manager picks one), "PublishMode": "ingress"}.
/// @throws Error (exit 125) naming the value when it is not a port mapping.
Json published_port(const std::string& value);
/// `ports` (an EndpointSpec's) after `service update --publish-rm` (each removes the ports of
/// its target port and protocol, and of its published port when it names one) and
/// `--publish-add` (added unless there already), in the order docker's CLI sorts them.
/// @throws Error (exit 125) for a value that is not a port mapping.
Json edited_ports(const Json& ports, const std::vector<std::string>& add, const std::vector<std::string>& remove);
/// `constraints` after `--constraint-add` and `--constraint-rm` (removed as written), sorted
/// as docker's CLI sorts them.
std::vector<std::string> edited_constraints(std::vector<std::string> constraints, const std::vector<std::string>& add,
                                            const std::vector<std::string>& remove);
/// The spec docker's CLI posts to /services/create for `options` (keys in its order).
/// @throws Error for a bad value (mode, duration, size).
Json service_spec(const CreateOptions& options);
/// `current` (else docker's UpdateConfig defaults) with the `--update-*` flags of `options`
/// set; `current` as it is when none is given.
Json update_config(const Json& current, const CreateOptions& options);

/// One line of progress: "ID: ACTION", with a bar when `total` > 0 (drawn on a terminal only).
struct ProgressMessage {
  std::string id;      ///< "overall progress", "verify", "rollback", a slot ("1/3") or a short node id
  std::string action;  ///< the text after "ID: "
  int current = 0,     ///< the bar's position: the task state's number (running is 9)
      total = 0;       ///< the bar's end; 0: no bar
};

/// The progress of a service converging (docker's ServiceProgress, one poll at a time): what to
/// print after each look at the service and its up-to-date tasks.
class ConvergeProgress {
 public:
  /// The service's up-to-date tasks and the ids of the nodes that are not down: asked for only
  /// when the poll needs them, as docker does.
  using FetchTasks = std::function<std::pair<std::vector<Json>, std::vector<std::string>>()>;
  /// One poll: `service` (GET /services/ID), `fetch` for its tasks and nodes, `elapsed` seconds
  /// since the start. Returns the progress messages ("overall progress: 1 out of 3 tasks",
  /// "1/3: running", "verify: …"), in order.
  std::vector<ProgressMessage> poll(const Json& service, const FetchTasks& fetch, double elapsed);
  /// True once converged and stable (the last poll printed "verify: Service converged").
  bool done() const { return done_; }
  /// True while the tasks are all running (the last poll found them so).
  bool converged() const { return converged_; }
  /// An error that ends the wait ("service update paused: …"), or "".
  const std::string& error() const { return error_; }

 private:
  bool initialized_ = false, all_running_ = false, converged_ = false, rollback_ = false, done_ = false;
  double converged_at_ = -1;
  std::map<std::int64_t, int> slot_map_;
  std::optional<ProgressMessage> message_;
  std::string error_;
};

}  // namespace dockling::ch15
