# Tour of chapter 12, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 12: registries: push, pull, and the server between them"
say "A registry stores blobs by digest and manifests by tag; push uploads what the registry lacks, pull fetches what the store lacks."
TOUR_REG=$(mktemp -d)
export TOUR_REG
"$BIN/ch12-registry" registry serve --addr 127.0.0.1:5012 --root "$TOUR_REG/data" >"$TOUR_REG/out" 2>"$TOUR_REG/access.log" &
TOUR_REG_PID=$!
for _ in $(seq 50); do grep -q listening "$TOUR_REG/out" && break; sleep 0.1; done
show 'cat $TOUR_REG/out'
notice "our registry runs in the background on 127.0.0.1:5012 (plain http: loopback, as docker allows)"
show 'tar -C $ROOTFS -c . | $BIN/ch12-registry import - busybox >/dev/null'
show '$BIN/ch12-registry tag busybox 127.0.0.1:5012/busybox:1'
show '$BIN/ch12-registry push 127.0.0.1:5012/busybox:1'
notice "each blob went up in three requests: POST (a session), PATCH (the bytes), PUT ?digest= (checked, stored)"
show 'cat $TOUR_REG/access.log'
show '$BIN/ch12-registry push 127.0.0.1:5012/busybox:1'
notice "the second push HEADs each blob first: the registry has them, nothing is sent again"
show '$BIN/ch12-registry rmi 127.0.0.1:5012/busybox:1 busybox >/dev/null'
show '$BIN/ch12-registry pull 127.0.0.1:5012/busybox:1'
notice "pulled back: each blob verified against its digest while it streamed, then unpacked into layers/"
show '$BIN/ch12-registry run --rm --network none 127.0.0.1:5012/busybox:1 echo pulled and running'
show '$BIN/ch12-registry search 127.0.0.1:5012/busy'
show '$BIN/ch12-registry rmi 127.0.0.1:5012/busybox:1 >/dev/null'
kill "$TOUR_REG_PID" 2>/dev/null
wait "$TOUR_REG_PID" 2>/dev/null
rm -rf "$TOUR_REG"
