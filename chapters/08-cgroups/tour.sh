# Tour of chapter 08, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 08: cgroups"
say "A cgroup limits what a container may use: memory, CPU time, CPUs, processes, block I/O."
show 'stat -f -c %T /sys/fs/cgroup /sys/fs/cgroup/unified 2>/dev/null || true'
notice "cgroup2fs at /sys/fs/cgroup: unified (v2). tmpfs: v1 hierarchies (hybrid if unified/ is cgroup2fs). -v below says which driver runs."
show '$BIN/ch08-cgroups -v run -m 64m --cpus 1.5 --pids-limit 50 $ROOTFS /bin/true 2>&1 | grep cgroup:'
notice "each flag became a file in dockling/<id>; after the exit the cgroup is removed"
show '$BIN/ch08-cgroups run -m 32m $ROOTFS probe hog 200; echo "exit $?"'
notice "the hog asked for 200 MiB under a 32 MiB limit: the OOM killer ended it, exit 137, OOMKilled"
show '$BIN/ch08-cgroups run --stats --pids-limit 20 $ROOTFS probe fork 50'
notice "19 children plus the probe make 20: the next fork failed (EAGAIN)"
show '$BIN/ch08-cgroups run --stats --cpus 0.5 $ROOTFS probe spin 2'
notice "two seconds of busy loop got about one second of CPU: half a core"
show '$BIN/ch08-cgroups run --cpuset-cpus 0 $ROOTFS probe | grep -o "\"cpus_allowed\":[^]]*]"'
show '$BIN/ch08-cgroups run -m 1m $ROOTFS true; echo "exit $?"'
notice "docker's rules: at least 6 MB; bad input is refused before any cgroup exists"
