/// @file constraints.hpp
/// @brief `--constraint node.hostname==host2`: read one, and test a node against a list.
#pragma once

#include <string>
#include <vector>

#include "swarm_model.hpp"

namespace dockling::ch15 {

/// Reads one constraint as swarmkit does: KEY==VALUE or KEY!=VALUE, spaces around each part
/// ignored; KEY one of node.id, node.hostname, node.role (value manager or worker, any case),
/// node.platform.os, node.platform.arch, node.labels.NAME, engine.labels.NAME.
/// @throws Error (exit code 400, for the API) in swarmkit's words, naming the constraint.
Constraint parse_constraint(const std::string& text);

/// True when `node` satisfies every constraint (== or !=; hostnames and label values compared
/// as written, roles in any case). A label the node lacks is "" (so `node.labels.zone!=east`
/// holds there); node.platform.os is "linux", node.platform.arch "x86_64".
bool meets_constraints(const NodeInfo& node, const std::vector<Constraint>& constraints);

}  // namespace dockling::ch15
