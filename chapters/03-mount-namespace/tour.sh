# Tour of chapter 03, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 03: mount namespace and pivot_root"
say "clone(CLONE_NEWNS) gives the container its own mount table; pivot_root makes the rootfs its /."
show 'readlink /proc/self/ns/mnt; $BIN/ch03-mount-namespace run $ROOTFS readlink /proc/self/ns/mnt'
notice "two different mount namespaces: the host's and the container's"
show '$BIN/ch03-mount-namespace run $ROOTFS cat /proc/self/mounts'
notice "only the container's mounts: its root, a new /proc, /sys read-only, /dev as a tmpfs, masked and read-only paths"
show '$BIN/ch03-mount-namespace run $ROOTFS ls /dev'
notice "a handful of devices (null zero full random urandom tty), pts, shm, mqueue and the fd links; not the host's disks"
show '$BIN/ch03-mount-namespace run $ROOTFS sh -c "cat /proc/timer_list | wc -c; ls /sys/firmware; echo 1 > /proc/sys/kernel/printk_ratelimit"'
notice "masked paths read empty; /proc/sys refuses writes: the kernel behind them is the host's"
show '$BIN/ch03-mount-namespace run --read-only --tmpfs /tmp:size=8m $ROOTFS sh -c "touch /hello; touch /tmp/hello && df -h /tmp"'
notice "--read-only: the root refuses writes; --tmpfs: a writable scratch space that vanishes with the container"
show 'printf "GREETING=hello from an env file\n" > /tmp/dockling-tour.env; $BIN/ch03-mount-namespace run --env-file /tmp/dockling-tour.env -e WHO=you --tmpfs /tmp -w /tmp/app $ROOTFS sh -c "pwd; echo \$GREETING, \$WHO"; rm -f /tmp/dockling-tour.env'
notice "-w creates and enters the directory (here inside a tmpfs, so the rootfs stays as it was), --env-file and -e set the environment, as docker run does"
show '$BIN/ch03-mount-namespace run -t $ROOTFS sh -c "tty; ls /dev/pts; echo TERM=\$TERM"'
notice "-t: the command's terminal comes from the container's own devpts (pts/0, the only one there); try -it ... sh at your terminal"
marker=$(mktemp /tmp/dockling-escape-XXXXXX)
show "\$BIN/ch01-chroot run \$ROOTFS /bin/probe escape $marker; \$BIN/ch03-mount-namespace run \$ROOTFS /bin/probe escape $marker"
notice "chapter 01 escapes to the host (true); after pivot_root and detaching the old root, there is no way back (false)"
rm -f "$marker"
