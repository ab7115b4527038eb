# Tour of chapter 02, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 02: PID namespace"
say "clone(CLONE_NEWPID) gives the command a process tree of its own, in which it is PID 1."
show '$BIN/ch02-pid-namespace run $ROOTFS sh -c "echo I am pid \$\$, my parent is \$PPID"'
notice "pid 1; parent 0: the runtime that started it lies outside its namespace"
show '$BIN/ch02-pid-namespace run $ROOTFS sh -c "ps; cat /proc/self/status"'
notice "ps reads /proc, and the chroot's /proc is an empty directory: nothing to show (chapter 03 mounts one)"
show '$BIN/ch02-pid-namespace run $ROOTFS sh -c "mount -t proc proc /proc && ps -o pid,ppid,comm; umount /proc"'
notice "a proc mounted from inside shows the container's own tree (and, before chapter 03, lands in the host's mount table: hence the umount)"
show '$BIN/ch02-pid-namespace run $ROOTFS sh -c "kill -KILL \$\$; echo still here"'
notice "PID 1 gets no signal it has no handler for, not even SIGKILL from inside"
show '$BIN/ch02-pid-namespace run $ROOTFS sleep 1 & sleep 0.3; kill -TERM $!; wait $!'
notice "exit 0 after a full second: the forwarded SIGTERM was dropped, sleep as PID 1 has no handler (docker stop's 10 s wait)"
show '$BIN/ch02-pid-namespace run --init $ROOTFS sh -c "echo I am pid \$\$, my parent is \$PPID"'
notice "with --init, a small init is PID 1 and the command runs as its child"
show '$BIN/ch02-pid-namespace run --init $ROOTFS sleep 30 & sleep 0.3; ps -o pid,ppid,comm --forest --pid $!,$(pgrep -d, -P $!),$(pgrep -d, -P $(pgrep -d, -P $!)); kill -TERM $!; wait $!'
notice "host pids: runtime, init, sleep. SIGTERM went runtime -> init -> sleep, which died of it: 143 = 128 + 15"
show '$BIN/ch02-pid-namespace run --init $ROOTFS sh -c "kill -KILL \$\$"'
notice "not PID 1 any more, the command can be killed; the init reports 137 = 128 + 9"
