// What the swarm commands print, checked against what docker 20.10 printed for the same JSON
// (captured from a real dockerd): service ls, service/node ps with history, node ls, the logs
// prefix, the texts of swarm init and join-token, the spec service create sends, and the
// progress of a converging service. No daemon: the functions get JSON and a clock.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dockling/error.hpp"
#include "image_store.hpp"
#include "swarm_cli_format.hpp"

namespace dockling::ch15 {
namespace {

/// Seconds since the epoch of an RFC 3339 time, the tests' "now".
double at_time(const std::string& text) { return ch10::rfc3339_seconds(text); }

Json service(const std::string& id, const std::string& name, const Json& mode, int running, int desired,
             const std::string& image = "busybox:latest") {
  return Json{{"ID", id},
              {"Spec", {{"Name", name}, {"TaskTemplate", {{"ContainerSpec", {{"Image", image}}}}}, {"Mode", mode}}},
              {"ServiceStatus", {{"RunningTasks", running}, {"DesiredTasks", desired}}}};
}

Json task(const std::string& id, int slot, const std::string& created, const std::string& desired,
          const std::string& state, const std::string& timestamp, const std::string& err = "") {
  Json status{{"Timestamp", timestamp}, {"State", state}};
  if (!err.empty()) status["Err"] = err;
  return Json{{"ID", id},
              {"CreatedAt", created},
              {"Spec", {{"ContainerSpec", {{"Image", "busybox:latest@sha256:" + std::string(64, 'a')}}}}},
              {"ServiceID", "yv7bb3jka8k1qfumq9xd684in"},
              {"Slot", slot},
              {"NodeID", "o2jj0ribg0z70hpadr401xssj"},
              {"Status", status},
              {"DesiredState", desired}};
}

TEST(SwarmOutput, ServiceLsRowsSortedByName) {
  std::vector<Json> services{
      service("yv7bb3jka8k1qfumq9xd684in", "logger", {{"Replicated", {{"Replicas", 3}}}}, 3, 3),
      service("i9om6l5q6nkue8m7l0qbp2vft", "l2", {{"Global", Json::object()}}, 0, 1,
              "busybox:latest@sha256:" + std::string(64, 'b')),
  };
  EXPECT_EQ(format_services(services, {}),
            "ID             NAME      MODE         REPLICAS   IMAGE            PORTS\n"
            "i9om6l5q6nku   l2        global       0/1        busybox:latest   \n"
            "yv7bb3jka8k1   logger    replicated   3/3        busybox:latest   \n");
  EXPECT_EQ(format_services(services, {true, false, ""}), "i9om6l5q6nku\nyv7bb3jka8k1\n");
  EXPECT_EQ(format_services(services, {false, false, "{{.Name}} {{.Replicas}}"}), "l2 0/1\nlogger 3/3\n");
  EXPECT_EQ(format_services({services[0]}, {false, false, "{{json .}}"}),
            "{\"ID\":\"yv7bb3jka8k1\",\"Image\":\"busybox:latest\",\"Mode\":\"replicated\",\"Name\":\"logger\","
            "\"Ports\":\"\",\"Replicas\":\"3/3\"}\n");
  EXPECT_EQ(format_services({services[0]}, {false, false, "table {{.Name}}\t{{.Replicas}}"}),
            "NAME      REPLICAS\nlogger    3/3\n");
}

TEST(SwarmOutput, NaturalOrderOfNames) {
  EXPECT_TRUE(natural_less("web2", "web10"));
  EXPECT_FALSE(natural_less("web10", "web2"));
  EXPECT_TRUE(natural_less("a", "b"));
  EXPECT_TRUE(natural_less("l2", "logger"));
}

TEST(SwarmOutput, CurrentStateSaysHowLongAgo) {
  Json running = task("t1", 1, "2026-12-01T10:00:00Z", "running", "running", "2026-12-01T10:00:00.5Z");
  EXPECT_EQ(current_state(running, at_time("2026-12-01T10:00:05.9Z")), "Running 5 seconds ago");
  EXPECT_EQ(current_state(running, at_time("2026-12-01T10:00:00.7Z")), "Running less than a second ago");
  EXPECT_EQ(current_state(running, at_time("2026-12-01T10:01:30Z")), "Running about a minute ago");
  Json shut = task("t2", 1, "2026-12-01T10:00:00Z", "shutdown", "shutdown", "2026-12-01T10:00:00Z");
  EXPECT_EQ(current_state(shut, at_time("2026-12-01T10:03:00Z")), "Shutdown 3 minutes ago");
}

TEST(SwarmOutput, ErrorIsQuotedAndCutAt30) {
  Json failed = task("t1", 1, "2026-12-01T10:00:00Z", "shutdown", "failed", "2026-12-01T10:00:00Z",
                     "task: non-zero exit (1): something went wrong");
  EXPECT_EQ(task_error(failed, false), "\"task: non-zero exit (1): some…\"");  // 29 and "…"
  EXPECT_EQ(task_error(failed, true), "\"task: non-zero exit (1): something went wrong\"");
  EXPECT_EQ(task_error(task("t", 1, "", "running", "running", ""), false), "");
}

TEST(SwarmOutput, ServicePsShowsHistoryUnderItsSlot) {
  std::vector<Json> tasks{
      task("j4uncae07qrlup8hnyv7w9c88", 1, "2026-12-01T10:49:56Z", "shutdown", "shutdown", "2026-12-01T10:51:00Z"),
      task("hxforuvlp01g5z3vwgmnvb8hx", 2, "2026-12-01T10:50:59Z", "running", "running", "2026-12-01T10:51:01Z"),
      task("oqdl5u3ujs2d6yyi46h8jhj8w", 1, "2026-12-01T10:50:59Z", "running", "running", "2026-12-01T10:51:01Z"),
      task("qaj0hke0ocepa68v4ye71fk7u", 2, "2026-12-01T10:49:56Z", "shutdown", "failed", "2026-12-01T10:51:00Z",
           "task: non-zero exit (137)"),
  };
  std::map<std::string, std::string> services{{"yv7bb3jka8k1qfumq9xd684in", "logger"}};
  std::map<std::string, std::string> nodes{{"o2jj0ribg0z70hpadr401xssj", "vm"}};
  double now = at_time("2026-12-01T10:51:06Z");
  // Columns as docker's tabwriter pads them: the widest cell plus 3, at least 10.
  EXPECT_EQ(format_tasks(tasks, services, nodes, {}, now),
            "ID             NAME           IMAGE            NODE      DESIRED STATE   CURRENT STATE            "
            "ERROR                         PORTS\n"
            "oqdl5u3ujs2d   logger.1       busybox:latest   vm        Running         Running 5 seconds ago    "
            "                              \n"
            "j4uncae07qrl    \\_ logger.1   busybox:latest   vm        Shutdown        Shutdown 6 seconds ago   "
            "                              \n"
            "hxforuvlp01g   logger.2       busybox:latest   vm        Running         Running 5 seconds ago    "
            "                              \n"
            "qaj0hke0ocep    \\_ logger.2   busybox:latest   vm        Shutdown        Failed 6 seconds ago     "
            "\"task: non-zero exit (137)\"   \n");
  EXPECT_EQ(format_tasks(tasks, services, nodes, {true, false, ""}, now),
            "oqdl5u3ujs2d6yyi46h8jhj8w\nj4uncae07qrlup8hnyv7w9c88\nhxforuvlp01g5z3vwgmnvb8hx\nqaj0hke0ocepa68v4ye71fk7u\n");
  // A format that is not a table: names without the history marker.
  EXPECT_EQ(format_tasks(tasks, services, nodes, {false, false, "{{.Name}}|{{.Node}}"}, now),
            "logger.1|vm\nlogger.1|vm\nlogger.2|vm\nlogger.2|vm\n");
}

TEST(SwarmOutput, TasksSortByServiceAndSlotInNaturalOrder) {
  std::map<std::string, std::string> services{{"yv7bb3jka8k1qfumq9xd684in", "logger"}, {"f", "failer"}};
  std::vector<Json> tasks;
  for (int slot : {10, 2, 1}) tasks.push_back(task("t" + std::to_string(slot), slot, "2026-12-01T10:00:00Z", "running", "running", "2026-12-01T10:00:00Z"));
  Json other = task("f1", 1, "2026-12-01T10:00:00Z", "running", "running", "2026-12-01T10:00:00Z");
  other["ServiceID"] = "f";
  tasks.push_back(other);
  std::string names;
  for (const auto& sorted : sort_tasks(tasks, services)) names += task_name(sorted, services) + " ";
  EXPECT_EQ(names, "failer.1 logger.1 logger.2 logger.10 ");
}

TEST(SwarmOutput, GlobalTasksAreNamedByTheirNode) {
  Json global = task("jyfnpdo1dreosew33ef83nzkh", 0, "2026-12-01T10:50:18Z", "running", "running", "2026-12-01T10:50:20Z");
  global["ServiceID"] = "i9om6l5q6nkue8m7l0qbp2vft";
  std::string out = format_tasks({global}, {{"i9om6l5q6nkue8m7l0qbp2vft", "l2"}}, {{"o2jj0ribg0z70hpadr401xssj", "vm"}},
                                 {false, true, "{{.ID}} {{.Name}} {{.Image}}"}, at_time("2026-12-01T10:52:00Z"));
  EXPECT_EQ(out, "jyfnpdo1dreosew33ef83nzkh l2.o2jj0ribg0z70hpadr401xssj busybox:latest@sha256:" + std::string(64, 'a') +
                     "\n");
}

TEST(SwarmOutput, NodeLsMarksTheCurrentNodeAndTheLeader) {
  std::vector<Json> nodes{
      Json{{"ID", "zzworker00000000000000000"},
           {"Spec", {{"Role", "worker"}, {"Availability", "drain"}}},
           {"Description", {{"Hostname", "w1"}, {"Engine", {{"EngineVersion", "20.10.24"}}}}},
           {"Status", {{"State", "down"}}}},
      Json{{"ID", "o2jj0ribg0z70hpadr401xssj"},
           {"Spec", {{"Role", "manager"}, {"Availability", "active"}}},
           {"Description", {{"Hostname", "vm"}, {"Engine", {{"EngineVersion", "20.10.24+dfsg1"}}}}},
           {"Status", {{"State", "ready"}}},
           {"ManagerStatus", {{"Leader", true}, {"Reachability", "reachable"}, {"Addr", "127.0.0.1:2377"}}}},
      Json{{"ID", "m2manager0000000000000000"},
           {"Spec", {{"Role", "manager"}, {"Availability", "pause"}}},
           {"Description", {{"Hostname", "m2"}, {"Engine", {{"EngineVersion", "20.10.24"}}}}},
           {"Status", {{"State", "ready"}}},
           {"ManagerStatus", {{"Reachability", "unreachable"}}}},
  };
  EXPECT_EQ(format_nodes(nodes, "o2jj0ribg0z70hpadr401xssj", {}),
            "ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n"
            "m2manager0000000000000000     m2         Ready     Pause          Unreachable      20.10.24\n"
            "o2jj0ribg0z70hpadr401xssj *   vm         Ready     Active         Leader           20.10.24+dfsg1\n"
            "zzworker00000000000000000     w1         Down      Drain                           20.10.24\n");
  EXPECT_EQ(format_nodes(nodes, "", {true, false, ""}),
            "m2manager0000000000000000\no2jj0ribg0z70hpadr401xssj\nzzworker00000000000000000\n");
  EXPECT_EQ(format_nodes({nodes[1]}, "o2jj0ribg0z70hpadr401xssj", {false, false, "{{.Hostname}} {{.Self}} {{.ManagerStatus}}"}),
            "vm true Leader\n");
  EXPECT_EQ(manager_status(nodes[0]), "");
}

TEST(SwarmOutput, LogLinesGetDockersPrefix) {
  LogLine line = parse_log_line(
      "com.docker.swarm.node.id=o2jj0ribg0z70hpadr401xssj,com.docker.swarm.service.id=yv7bb3jka8k1qfumq9xd684in,"
      "com.docker.swarm.task.id=0krqhzyy8y64cjnt9gp3299k4 Hello from replica 9ddc09c22ed2\n",
      false);
  EXPECT_EQ(line.node_id, "o2jj0ribg0z70hpadr401xssj");
  EXPECT_EQ(line.service_id, "yv7bb3jka8k1qfumq9xd684in");
  EXPECT_EQ(line.task_id, "0krqhzyy8y64cjnt9gp3299k4");
  EXPECT_EQ(line.message, "Hello from replica 9ddc09c22ed2\n");
  EXPECT_TRUE(line.details.empty());
  EXPECT_EQ(log_prefix("logger", 3, line.task_id, "vm", 3, false) + line.message,
            "logger.3.0krqhzyy8y64@vm    | Hello from replica 9ddc09c22ed2\n");
  // Ten replicas: one-digit slots get a space more; --no-task-ids leaves the id out.
  EXPECT_EQ(log_prefix("logger", 3, "", "vm", 10, false), "logger.3@vm     | ");
  EXPECT_EQ(log_prefix("logger", 10, "", "vm", 10, false), "logger.10@vm    | ");

  LogLine stamped = parse_log_line(
      "2026-12-01T10:51:01.387332831Z com.docker.swarm.node.id=n,com.docker.swarm.service.id=s,"
      "com.docker.swarm.task.id=t hi\n",
      true);
  EXPECT_EQ(stamped.timestamp, "2026-12-01T10:51:01.387332831Z");
  EXPECT_EQ(stamped.message, "hi\n");
  EXPECT_THROW(parse_log_line("nospace", false), Error);
  EXPECT_THROW(parse_log_line("com.docker.swarm.node.id=n msg\n", false), Error);
}

TEST(SwarmOutput, InitAndJoinTokenTexts) {
  EXPECT_EQ(init_text("o2jj0ribg0z70hpadr401xssj", "SWMTKN-1-abc-def", "127.0.0.1:2377"),
            "Swarm initialized: current node (o2jj0ribg0z70hpadr401xssj) is now a manager.\n"
            "\n"
            "To add a worker to this swarm, run the following command:\n"
            "\n"
            "    docker swarm join --token SWMTKN-1-abc-def 127.0.0.1:2377\n"
            "\n"
            "To add a manager to this swarm, run 'docker swarm join-token manager' and follow the instructions.\n"
            "\n");
  EXPECT_EQ(join_command_text("manager", "T", "10.0.0.1:2377"),
            "To add a manager to this swarm, run the following command:\n\n    docker swarm join --token T 10.0.0.1:2377\n\n");
}

TEST(SwarmOutput, CreateSendsDockersSpec) {
  CreateOptions options;
  options.name = "l2";
  options.image = normalize_image("busybox");
  options.args = {"sleep", "1000"};
  options.mode = "global";
  options.env = {"A=1", "B=2"};
  options.constraints = {"node.role==manager"};
  options.restart_condition = "on-failure";
  options.restart_delay = "3s";
  options.limit_memory = "64m";
  options.limit_cpu = "0.5";
  options.reserve_memory = "32m";
  options.update_parallelism = 2;
  options.update_delay = "10s";
  options.update_failure_action = "rollback";
  // What docker 20.10's CLI posted for the same flags.
  EXPECT_EQ(service_spec(options).dump(),
            R"({"Name":"l2","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"busybox:latest","Args":["sleep","1000"],)"
            R"("Env":["A=1","B=2"],"Init":false,"DNSConfig":{}},"Resources":{"Limits":{"NanoCPUs":500000000,)"
            R"("MemoryBytes":67108864},"Reservations":{"MemoryBytes":33554432}},"RestartPolicy":{"Condition":"on-failure",)"
            R"("Delay":3000000000,"MaxAttempts":0},"Placement":{"Constraints":["node.role==manager"]},"ForceUpdate":0},)"
            R"("Mode":{"Global":{}},"UpdateConfig":{"Parallelism":2,"Delay":10000000000,"FailureAction":"rollback",)"
            R"("Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"},"EndpointSpec":{"Mode":"vip"}})");
  CreateOptions plain;
  plain.name = "logger";
  plain.image = normalize_image("busybox");
  plain.args = {"sh", "-c", "echo hi"};
  plain.replicas = 3;
  EXPECT_EQ(service_spec(plain).dump(),
            R"({"Name":"logger","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"busybox:latest","Args":["sh","-c",)"
            R"("echo hi"],"Init":false,"DNSConfig":{}},"Resources":{"Limits":{},"Reservations":{}},"Placement":{},)"
            R"("ForceUpdate":0},"Mode":{"Replicated":{"Replicas":3}},"EndpointSpec":{"Mode":"vip"}})");
}

TEST(SwarmOutput, CreateFillsDockersDefaults) {
  CreateOptions options;
  options.name = "c";
  options.image = normalize_image("busybox:1");
  options.restart_delay = "2s";  // one restart flag: the whole policy, condition "any"
  EXPECT_EQ(service_spec(options).dump(),
            R"({"Name":"c","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"busybox:1","Init":false,"DNSConfig":{}},)"
            R"("Resources":{"Limits":{},"Reservations":{}},"RestartPolicy":{"Condition":"any","Delay":2000000000,)"
            R"("MaxAttempts":0},"Placement":{},"ForceUpdate":0},"Mode":{"Replicated":{}},"EndpointSpec":{"Mode":"vip"}})");
  options.restart_delay.reset();
  options.restart_condition = "none";  // and the default delay, 5s
  EXPECT_EQ(service_spec(options)["TaskTemplate"]["RestartPolicy"].dump(),
            R"({"Condition":"none","Delay":5000000000,"MaxAttempts":0})");
}

TEST(SwarmOutput, FlagValuesAsDockerParsesThem) {
  EXPECT_EQ(parse_duration("1m30s", "--update-delay"), 90000000000LL);
  EXPECT_EQ(parse_duration("500ms", "--update-delay"), 500000000LL);
  EXPECT_EQ(parse_duration("0", "--update-delay"), 0);
  EXPECT_THROW(parse_duration("10", "--update-delay"), Error);
  EXPECT_EQ(parse_memory("64m", "--limit-memory"), 64LL * 1024 * 1024);
  EXPECT_EQ(parse_memory("1GiB", "--limit-memory"), 1024LL * 1024 * 1024);
  EXPECT_EQ(parse_cpus("1.5", "--limit-cpu"), 1500000000LL);
  EXPECT_EQ(display_image("busybox:latest@sha256:" + std::string(64, 'c')), "busybox:latest");
  EXPECT_EQ(display_image("docker.io/library/busybox:1.36"), "busybox:1.36");
  EXPECT_EQ(ellipsis("abcdef", 4), "abc…");
}

TEST(SwarmOutput, PublishFlagsAsDockersCliSendsThem) {
  EXPECT_EQ(published_port("8080:80").dump(), R"({"Protocol":"tcp","TargetPort":80,"PublishedPort":8080,"PublishMode":"ingress"})");
  EXPECT_EQ(published_port("53:5353/udp").dump(), R"({"Protocol":"udp","TargetPort":5353,"PublishedPort":53,"PublishMode":"ingress"})");
  EXPECT_EQ(published_port("80").dump(), R"({"Protocol":"tcp","TargetPort":80,"PublishMode":"ingress"})")
      << "no published port: the manager picks one";
  EXPECT_EQ(published_port("published=8080,target=80,protocol=udp").dump(),
            R"({"Protocol":"udp","TargetPort":80,"PublishedPort":8080,"PublishMode":"ingress"})");
  for (const char* bad : {"8080:", "web:80", "8080:80/icmp", "70000:80", "published=8080", "target=80,mode=bridge"}) {
    try {
      published_port(bad);
      ADD_FAILURE() << bad << " was taken";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("invalid argument \"") + bad + "\" for \"-p, --publish\" flag"),
                std::string::npos)
          << e.what();
    }
  }
  // service update --publish-rm (by target port) and --publish-add, sorted as docker's CLI does.
  Json ports = Json::array({published_port("8080:80"), published_port("53:53/udp"), published_port("9000:90")});
  EXPECT_EQ(edited_ports(ports, {"7070:80"}, {"90"}).dump(),
            Json::array({published_port("53:53/udp"), published_port("7070:80"), published_port("8080:80")}).dump());
  EXPECT_EQ(edited_ports(ports, {"8080:80"}, {"80", "53/udp"}).dump(),
            Json::array({published_port("8080:80"), published_port("9000:90")}).dump())
      << "--publish-rm 80 removes 8080:80, --publish-add puts it back";
  EXPECT_EQ(edited_ports(ports, {}, {"8081:80", "53"}).size(), 3u) << "another published port, another protocol";
  EXPECT_EQ(edited_constraints({"node.role==worker", "node.hostname==host2"}, {"node.labels.zone==east"},
                               {"node.hostname==host2"}),
            (std::vector<std::string>{"node.labels.zone==east", "node.role==worker"}));

  CreateOptions options;
  options.name = "web";
  options.image = "busybox:latest";
  options.publish = {"8080:80"};
  EXPECT_EQ(service_spec(options)["EndpointSpec"].dump(),
            R"({"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":8080,"PublishMode":"ingress"}]})");
}

TEST(SwarmOutput, ProgressOfAConvergingService) {
  Json spec_service{{"ID", "s"}, {"Spec", {{"Mode", {{"Replicated", {{"Replicas", 2}}}}}}}};
  auto tasks_in = [](const std::string& state) {
    std::vector<Json> tasks;
    for (int slot = 1; slot <= 2; ++slot)
      tasks.push_back(Json{{"ID", "t" + std::to_string(slot)}, {"Slot", slot}, {"NodeID", "n"},
                           {"DesiredState", "running"}, {"Status", {{"State", state}}}});
    return std::make_pair(tasks, std::vector<std::string>{"n"});
  };
  ConvergeProgress progress;
  auto lines = [](const std::vector<ProgressMessage>& messages) {
    std::string text;
    for (const auto& m : messages)
      if (m.total == 0) text += m.id + ": " + m.action + "\n";
    return text;
  };
  EXPECT_EQ(lines(progress.poll(spec_service, [&] { return tasks_in("preparing"); }, 0)),
            "overall progress: 0 out of 2 tasks\n1/2:  \n2/2:  \noverall progress: 0 out of 2 tasks\n");
  EXPECT_EQ(lines(progress.poll(spec_service, [&] { return tasks_in("running"); }, 0.2)),
            "overall progress: 2 out of 2 tasks\nverify: Waiting 5 seconds to verify that tasks are stable...\n");
  EXPECT_EQ(lines(progress.poll(spec_service, [&] { return tasks_in("running"); }, 2.5)),
            "verify: Waiting 3 seconds to verify that tasks are stable...\n");
  EXPECT_FALSE(progress.done());
  EXPECT_EQ(lines(progress.poll(spec_service, [&] { return tasks_in("running"); }, 5.3)), "verify: Service converged\n");
  EXPECT_TRUE(progress.done());
}

}  // namespace
}  // namespace dockling::ch15
