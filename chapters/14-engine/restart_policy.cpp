#include "restart_policy.hpp"

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch14 {

using json = nlohmann::json;

RestartPolicy parse_restart_policy(const json& value) {
  RestartPolicy policy;
  if (value.is_null()) return policy;
  if (!value.is_object()) throw Error("invalid HostConfig.RestartPolicy: must be an object", 400);
  const json& name = value.value("Name", json(""));
  const json& count = value.value("MaximumRetryCount", json(0));
  if (!name.is_string() || !count.is_number_integer())
    throw Error("invalid HostConfig.RestartPolicy: Name must be a string, MaximumRetryCount a number", 400);
  policy.name = name.get<std::string>();
  if (policy.name.empty()) policy.name = "no";
  policy.maximum_retry_count = count.get<int>();
  // dockerd's checks, in its words.
  if (policy.name != "no" && policy.name != "always" && policy.name != "unless-stopped" && policy.name != "on-failure")
    throw Error(fmt::format("invalid restart policy '{}'", policy.name), 400);
  if (policy.maximum_retry_count < 0) throw Error("maximum retry count cannot be negative", 400);
  if (policy.name != "on-failure" && policy.maximum_retry_count != 0)
    throw Error(fmt::format("maximum retry count cannot be used with restart policy '{}'", policy.name), 400);
  return policy;
}

json restart_policy_json(const RestartPolicy& policy) {
  return {{"Name", policy.name}, {"MaximumRetryCount", policy.maximum_retry_count}};
}

RestartPolicy recorded_restart_policy(const json& record) {
  try {
    return parse_restart_policy(record.value("HostConfig", json::object()).value("RestartPolicy", json()));
  } catch (const Error&) {
    return {};  // a record this engine did not write: no restarts
  }
}

}  // namespace dockling::ch14
