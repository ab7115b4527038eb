# Tour of chapter 09, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 09: capabilities, seccomp and OCI bundles"
say "Root in a container is still root: capabilities and a seccomp filter take its dangerous powers away."
show '$BIN/ch09-security run $ROOTFS grep -E "^(Cap(Bnd|Eff|Amb)|NoNewPrivs|Seccomp):" /proc/self/status'
notice "a80425fb: docker's 14 capabilities; Seccomp 2: a filter checks every system call"
show '$BIN/ch09-security run $ROOTFS mount -t tmpfs none /tmp; echo "exit $?"'
show '$BIN/ch09-security run $ROOTFS probe keyctl'
notice "mount and keyctl fail with EPERM: no CAP_SYS_ADMIN, and the filter blocks the keyring"
show '$BIN/ch09-security run --security-opt seccomp=unconfined $ROOTFS probe keyctl'
show '$BIN/ch09-security run --privileged $ROOTFS sh -c "mount -t tmpfs none /tmp && echo mounted"'
notice "--privileged: every capability the runtime holds, no filter, no masked paths, the host's devices"
show 'd=$(mktemp -d) && $BIN/ch09-security oci spec --bundle $d && sed -i "s|\"path\": \"rootfs\"|\"path\": \"$ROOTFS\"|; s|\"sh\"|\"/bin/hostname\"|" $d/config.json && $BIN/ch09-security oci run --bundle $d tour-$$; rm -rf $d'
notice "the same config.json runs with runc run and crun run"
