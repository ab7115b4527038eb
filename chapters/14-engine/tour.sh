# Tour of chapter 14, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 14: the engine: a daemon that speaks Docker's API"
say "The daemon owns the containers, serves Docker's Engine API on a unix socket, and a monitor per container keeps each one alive."
TOUR_ENGINE=$(mktemp -d)
export TOUR_ENGINE
"$BIN/ch14-engine" daemon -H "unix://$TOUR_ENGINE/engine.sock" --log-file "$TOUR_ENGINE/daemon.log" &
TOUR_ENGINE_PID=$!
for _ in $(seq 50); do curl -sf --unix-socket "$TOUR_ENGINE/engine.sock" http://docker/_ping >/dev/null && break; sleep 0.1; done
show 'tar -C $ROOTFS -c . | $BIN/ch14-engine import - busybox >/dev/null'
show 'curl -s --unix-socket $TOUR_ENGINE/engine.sock http://docker/v1.41/version'
notice "the same answer dockerd gives /version: any client of Docker's API can talk to this daemon"
if [ -x "$BIN/../tools/docker/usr/bin/docker" ]; then
  export TOUR_DOCKER="$BIN/../tools/docker/usr/bin/docker -H unix://$TOUR_ENGINE/engine.sock"
  show '$TOUR_DOCKER run --rm --network none busybox echo hello through the real docker CLI'
  show '$TOUR_DOCKER run -d --name tour-web --network none busybox sh -c "echo serving; httpd -f -p 8080 -h /"'
  show '$TOUR_DOCKER ps'
  show 'sleep 0.3; $TOUR_DOCKER logs tour-web'
  show '$TOUR_DOCKER top tour-web'
  show '$TOUR_DOCKER exec tour-web sh -c "hostname; cat /proc/1/comm"'
  notice "exec joined the container's namespaces: its host name, and its PID 1 is httpd"
  show '$TOUR_DOCKER stats --no-stream tour-web'
  show '$TOUR_DOCKER stop -t 1 tour-web'
  notice "httpd is PID 1 and has no SIGTERM handler: after 1 s the daemon sent SIGKILL (exit code 137)"
  show '$TOUR_DOCKER rm tour-web'
  show '$TOUR_DOCKER run -d --name tour-flaky --network none --restart on-failure:2 busybox sh -c "echo try; exit 1"'
  show 'sleep 1; $TOUR_DOCKER logs tour-flaky; $TOUR_DOCKER inspect --format "restarted {{.RestartCount}} times" tour-flaky'
  notice "on-failure:2: two restarts, 100 then 200 ms after the exit (docker's backoff), then it stays exited"
  show '$TOUR_DOCKER rm tour-flaky'
else
  notice "no docker CLI in the build tree: scripts/fetch-docker-cli unpacks Debian's into build/tools/docker"
fi
kill "$TOUR_ENGINE_PID" 2>/dev/null
wait "$TOUR_ENGINE_PID" 2>/dev/null
rm -rf "$TOUR_ENGINE"
