#include "rootless_store.hpp"

#include <sched.h>
#include <unistd.h>

#include <optional>
#include <sstream>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "idmapped_root.hpp"
#include "user_step.hpp"
#include "userns_check.hpp"

namespace dockling::ch10 {

bool in_user_namespace() {
  std::istringstream map(read_file("/proc/self/uid_map"));
  unsigned long inside = 0, outside = 0, count = 0;
  if (!(map >> inside >> outside >> count)) return true;  // an empty map: nobody is mapped
  bool identity = inside == 0 && outside == 0 && count == 4294967295UL;
  std::string more;
  return !identity || static_cast<bool>(map >> more);
}

LayerForm layer_form() {
  static const LayerForm form = in_user_namespace() ? LayerForm::rootless : LayerForm::root;
  return form;
}

void enter_rootless_namespace() {
  if (::geteuid() == 0) return;
  std::string problem = ch07::userns_problem(ch07::read_userns_settings(), false);
  if (!problem.empty()) throw Error(problem, 1);
  std::optional<ch07::IdMapHelpers> helpers;
  ch07::IdMaps maps = ch07::rootless_maps(helpers);
  UniqueFd userns = ch07::make_user_namespace(maps, helpers);
  check(::setns(userns.get(), CLONE_NEWUSER), "setns", "the rootless store's user namespace");
  log::debug("images: in a user namespace with the user's maps ({} uid ranges): layers keep the image's owners, "
             "shifted into the user's ids",
             maps.uids.size());
}

}  // namespace dockling::ch10
