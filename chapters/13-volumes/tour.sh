# Tour of chapter 13, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 13: volumes: data that outlives its container"
say "A container's rw layer goes with it; a volume is a directory of the state root, bind-mounted in, that stays."
show 'tar -C $ROOTFS -c . | $BIN/ch13-volumes import - busybox >/dev/null'
show '$BIN/ch13-volumes run --rm --network none -v tour-db:/var/lib/db busybox sh -c "echo row-1 >> /var/lib/db/table"'
show '$BIN/ch13-volumes run --rm --network none -v tour-db:/var/lib/db busybox sh -c "echo row-2 >> /var/lib/db/table; cat /var/lib/db/table"'
notice "two containers, both removed (--rm): the table kept both rows, in the named volume tour-db"
show '$BIN/ch13-volumes volume ls'
show '$BIN/ch13-volumes volume inspect -f "{{.Mountpoint}}" tour-db'
say "A generator writes a site; a web server (busybox httpd) serves it from the same volume, read-only."
show '$BIN/ch13-volumes run --rm --network none -v tour-site:/out busybox sh -c "date > /out/index.html"'
show '$BIN/ch13-volumes run --rm --network none -v tour-site:/www:ro busybox sh -c "httpd -p 127.0.0.1:8080 -h /www; sleep 0.2; wget -q -O - http://127.0.0.1:8080/; touch /www/x"'
notice "the server saw the generator's page, and :ro is the kernel's: touch got EROFS"
show '$BIN/ch13-volumes volume rm tour-db tour-site'
show '$BIN/ch13-volumes rmi busybox >/dev/null'
