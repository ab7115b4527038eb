# Tour of chapter 01, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 01: chroot"
say "chroot(2) changes what / means for a process: it sees only ROOTFS."
show 'ls $ROOTFS'
show '$BIN/ch01-chroot run $ROOTFS ls /'
notice "the same listing: inside, / is the busybox rootfs"
show '$BIN/ch01-chroot run $ROOTFS sh -c "cat /etc/passwd; echo; pwd"'
notice "the rootfs's own passwd file, and the working directory is /"
show '$BIN/ch01-chroot -v run $ROOTFS /bin/true'
notice "-v shows each step: clone, chroot in the child, exec"
show '$BIN/ch01-chroot run $ROOTFS sh -c "ps | head -5"'
notice "ps finds nothing without /proc; the host's processes are still there (chapter 02, 03)"
show '$BIN/ch01-chroot run $ROOTFS /bin/probe escape /etc/os-release'
notice "escaped: true. Root inside a chroot climbs out (chroot into a subdirectory, then .. upwards): chroot is no jail. Chapter 03's pivot_root closes this."
