# Tour of chapter 06, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 06: IPC namespace"
say "System V IPC objects (found by key) and POSIX message queues (found by name) live in an IPC namespace."
say "CLONE_NEWIPC gives the container an empty one. On the host, make a queue and a segment with key 0xd0c6"
say "(the probe is static: it runs on the host too):"
show '$ROOTFS/bin/probe ipc-create 0xd0c6; ipcs -q -m | grep d0c6'
show '$BIN/ch06-ipc-namespace run $ROOTFS probe ipc 0xd0c6'
show '$BIN/ch06-ipc-namespace run --ipc host $ROOTFS probe ipc 0xd0c6'
notice "not found inside its own namespace; found with --ipc host (the host's namespace)"
show 'ipcrm -Q 0xd0c6 -M 0xd0c6'
show '$BIN/ch06-ipc-namespace run $ROOTFS probe ipc-create 0xd0c11 /jobs; ipcs -q -m | grep d0c11 || echo "the host: no object with key 0xd0c11"'
notice "made inside: a queue, a segment and a POSIX queue; the host finds none, and they died with the namespace"
show '$BIN/ch06-ipc-namespace -v run $ROOTFS true 2>&1 | grep -E "clone\\(|mqueue"'
notice "CLONE_NEWUTS|CLONE_NEWIPC; /dev/mqueue is mounted only in a mount namespace of the container's own (chapter 03)"
show '$BIN/ch06-ipc-namespace run --ipc shared $ROOTFS true'
notice "docker's modes are private, shareable and host: anything else is refused with 125"
