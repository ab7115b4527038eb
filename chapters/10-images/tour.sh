# Tour of chapter 10, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 10: images: the store, its layers, and containers on them"
say "An image is a stack of layer tarballs plus a config, all named by their sha256: an OCI image layout."
show 'tar -C $ROOTFS -c . | $BIN/ch10-images import - busybox'
notice "the tarball became a layer blob, a config and a manifest; the id printed is the config's digest"
show '$BIN/ch10-images tag busybox localhost:5000/tools/busybox:1.36'
show '$BIN/ch10-images images'
notice "docker's columns; both names point at the same IMAGE ID; SIZE is the unpacked layer's"
show 'cd $DOCKLING_ROOT && find images layers -maxdepth 1 | sort'
notice "index.json names the manifests; blobs/sha256 holds everything by digest; layers/<diff id> is the layer unpacked once"
show 'python3 -c "import tarfile, io; t = tarfile.open(\"/tmp/evil-$$.tar\", \"w\"); i = tarfile.TarInfo(\"../../etc/evil\"); i.size = 5; t.addfile(i, io.BytesIO(b\"owned\"))" && $BIN/ch10-images import /tmp/evil-$$.tar evil; rm -f /tmp/evil-$$.tar'
notice "an entry that climbs out of the layer is refused, and nothing of it stays in the store"
show 'command -v umoci >/dev/null && umoci ls --layout $DOCKLING_ROOT/images'
notice "umoci, another tool, reads the same store"
show '$BIN/ch10-images run --network none --name tour busybox sh -c "echo hello > /greeting; rm /bin/vi"'
notice "the container ran on an overlay mount: the image's layer below, a directory of its own on top"
show 'ls -l $DOCKLING_ROOT/containers/*/upper $DOCKLING_ROOT/containers/*/upper/bin'
notice "its writes are in upper/: the new file, and a 0/0 character device where it deleted /bin/vi"
show '$BIN/ch10-images ps -a'
notice "kept after it stopped, as docker keeps it, until rm"
show '$BIN/ch10-images rm tour'
show '$BIN/ch10-images rmi busybox localhost:5000/tools/busybox:1.36'
notice "the last name gone, the image and its layer go too"
