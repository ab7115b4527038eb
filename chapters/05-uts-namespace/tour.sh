# Tour of chapter 05, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 05: UTS namespace"
say "CLONE_NEWUTS gives the container its own copy of the host name and the NIS domain name."
show 'hostname'
show '$BIN/ch05-uts-namespace run $ROOTFS hostname'
notice "by default the container is named after its short id, 12 hex digits, as docker does"
show '$BIN/ch05-uts-namespace run -h web $ROOTFS sh -c "hostname; echo HOSTNAME=\$HOSTNAME"'
show '$BIN/ch05-uts-namespace run --domainname corp.example $ROOTFS probe | grep -o "\"domainname\":\"[^\"]*\""'
notice "-h/--hostname (also in HOSTNAME, like docker) and --domainname, read back with uname(2) by the probe"
show '$BIN/ch05-uts-namespace run $ROOTFS sh -c "hostname renamed-inside; hostname"; hostname'
notice "root inside renames its own namespace only: the host keeps its name"
show '$BIN/ch05-uts-namespace run --hostname web_1 $ROOTFS true'
notice "not an RFC 1123 name: refused with 125 before anything starts"
