# Tour of chapter 11, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 11: Dockerfile builds: instructions, layers, stages and the cache"
say "A Dockerfile is read into instructions; RUN, COPY, ADD and WORKDIR each make a layer, the others edit the config."
TOUR_CTX=$(mktemp -d)
export TOUR_CTX
mkdir -p "$TOUR_CTX/src"
printf '#!/bin/sh\necho "hello from $(hostname), built by dockling"\n' > "$TOUR_CTX/src/hello.sh"
printf 'secret\n' > "$TOUR_CTX/notes.log"
printf '*.log\n' > "$TOUR_CTX/.dockerignore"
cat > "$TOUR_CTX/Dockerfile" <<'DOCKERFILE'
FROM busybox AS build
COPY src/ /src/
RUN mkdir /out && cp /src/hello.sh /out/hello && chmod 755 /out/hello

FROM busybox
COPY --from=build /out/hello /usr/local/bin/hello
CMD ["hello"]
DOCKERFILE
show 'tar -C $ROOTFS -c . | $BIN/ch11-build import - busybox >/dev/null'
show 'cat $TOUR_CTX/Dockerfile'
notice "two stages: the first prepares, the second takes only what it needs (COPY --from)"
show '$BIN/ch11-build build --network none -t hello:1 $TOUR_CTX'
notice "each RUN ran in a container of chapter 10; its upper directory became a layer"
show '$BIN/ch11-build run --rm --network none hello:1'
show '$BIN/ch11-build history hello:1'
notice "the final image holds busybox and one more layer: nothing of the build stage but the file it copied"
show '$BIN/ch11-build build --network none -t hello:1 $TOUR_CTX'
notice "every step CACHED: same inputs, same keys, the same image id"
show 'echo "echo changed" >> $TOUR_CTX/src/hello.sh && $BIN/ch11-build build --network none -t hello:2 $TOUR_CTX'
notice "the changed file breaks the cache at its COPY; the steps after it build again"
show 'echo "more secrets" >> $TOUR_CTX/notes.log && $BIN/ch11-build build --network none -q -t hello:2 $TOUR_CTX'
notice ".dockerignore leaves *.log out of the context: changing it changes nothing"
show '$BIN/ch11-build rmi hello:1 hello:2 busybox >/dev/null'
rm -rf "$TOUR_CTX"
