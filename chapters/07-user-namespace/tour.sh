# Tour of chapter 07, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 07: user namespace and rootless containers"
say "A user namespace maps the container's ids onto other host ids: root inside, uid 100000 outside."
show '$BIN/ch07-user-namespace run --userns private $ROOTFS sh -c "id; cat /proc/self/uid_map /proc/self/gid_map"'
notice "uid 0 inside; the map says ids 0..65535 are the host's 100000..165535 (/etc/subuid's dockling line, or this default)"
show '$BIN/ch07-user-namespace run $ROOTFS cat /proc/self/uid_map'
notice "root's default is --userns host, as docker's: the identity map of every id"
show '$BIN/ch07-user-namespace run --userns private $ROOTFS sleep 2 & sleep 1; ps -eo user:8,pid,cmd | grep "[s]leep 2$"; wait'
notice "seen from the host, the container's process belongs to uid 100000"
show '$BIN/ch07-user-namespace run --userns private $ROOTFS sh -c "hostname inside && hostname; mknod /tmp/null c 1 3; date -s 2000-01-01"'
notice "every capability inside, but only over what the namespace owns: its hostname yes, device nodes and the clock no"
show '$BIN/ch07-user-namespace run --userns private $ROOTFS ls -ln /bin/busybox'
notice "owned by 0: the rootfs is an id-mapped mount (mount_setattr MOUNT_ATTR_IDMAP), else it would show 65534 (nobody)"
say "Rootless: an ordinary user (nobody, through setpriv) runs the binary; it becomes root inside its own namespace."
show 'setpriv --reuid 65534 --regid 65534 --clear-groups $BIN/ch07-user-namespace run $ROOTFS sh -c "id; cat /proc/self/uid_map; ls -ln /etc/passwd; touch /etc/x"'
notice "one id mapped (0 65534 1); the host's root-owned files are nobody's and not writable (the repository must be readable by others)"
show '$BIN/ch07-user-namespace run --userns private -u nobody $ROOTFS id'
show '$BIN/ch07-user-namespace run --userns private -u 1000:1000 $ROOTFS id'
notice "-u USER[:GROUP]: names from the container's /etc/passwd and /etc/group, numbers as they are"
