#include "chroot_step.hpp"

#include "chroot.hpp"
#include "dockling/log.hpp"

namespace dockling::ch01 {

void ChrootStep::in_child(Container& container) {
  log::debug("child: chroot {}", container.rootfs.string());
  enter_root(container.rootfs);
}

Steps steps() {
  Steps list;
  list.push_back(std::make_unique<ChrootStep>());
  return list;
}

}  // namespace dockling::ch01
