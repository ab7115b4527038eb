# Tour of chapter 04, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
# scripts/tour gives the whole tour its own state root, bridge and subnet (DOCKLING_ROOT,
# DOCKLING_BRIDGE, DOCKLING_SUBNET) and prunes them at the end: a real dockling0 is left alone.
chapter "Chapter 04: network namespace"
NET="--bridge dltour0 --subnet 10.213.200.0/24"
say "CLONE_NEWNET gives the container its own interfaces; --network none leaves only lo."
show '$BIN/ch04-network-namespace run --network none $ROOTFS ip link'
notice "only lo: no way in or out"
say "--network bridge (the default): a veth pair to a host bridge, an address, a default route."
show '$BIN/ch04-network-namespace run $NET $ROOTFS sh -c "ip -4 addr show eth0; ip route; ping -c1 -W2 10.213.200.1"'
notice "eth0 has 10.213.200.2/24 and reaches the gateway, the bridge's address on the host"
show '$BIN/ch04-network-namespace run $NET --add-host db:10.1.2.3 $ROOTFS cat /etc/hosts /etc/hostname'
notice "its own /etc/hosts and /etc/hostname, bind-mounted: the rootfs's files stay empty"
say "-p publishes a container port on the host through nftables DNAT."
show '$BIN/ch04-network-namespace run $NET -p 18080:80 $ROOTFS sh -c "httpd -f -p 80 -h /etc & sleep 2; kill \$!" & sleep 1; $ROOTFS/bin/busybox wget -qO- http://127.0.0.1:18080/hostname; nft list map ip dockling_dltour0 published; wait'
notice "the host reached the container's httpd via 127.0.0.1:18080; the map held one element while it ran"
show '$BIN/ch04-network-namespace network prune --bridge dltour0'
notice "the bridge and its nftables table stay between containers until pruned"
