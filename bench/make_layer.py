#!/usr/bin/env python3
"""make_layer.py OUT_DIR [--with-small-layer]: the layer `scripts/bench unpack` measures,
always the same bytes.

Writes OUT_DIR/layer.tar.gz (gzip -6 -n, docker's level) and OUT_DIR/oci, an OCI layout
whose image "bench" has that one layer (for `umoci raw unpack`); prints the layer's diff id
(sha256 of the uncompressed tar).

The content, from a fixed seed: 24 000 small files (0.5 to 8 KiB, 100 a directory, 240
directories two levels deep) and 4 big ones (45 MiB each), half of the bytes random, half
text-like (words of a small vocabulary, in lines): 298 MiB of tar, 202 MiB of gzip.

--with-small-layer (`scripts/bench registry`): the image in OUT_DIR/oci gets a first layer
of 1 MiB too (one file of random bytes, gzip), below the big one.
"""
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile

SEED = 14
SMALL_FILES = 24000
FILES_PER_DIR = 100
BIG_FILE = 45 << 20
MTIME = 1700000000


class HashingWriter(io.RawIOBase):
    """Passes the tar stream on to gzip's stdin, hashing it on the way: the diff id."""

    def __init__(self, out):
        self.out, self.hash = out, hashlib.sha256()

    def writable(self):
        return True

    def write(self, data):
        self.hash.update(data)
        self.out.write(data)
        return len(data)


def text_pool(rng, size):
    """size bytes of text-like lines: words of a 2 000-word vocabulary, in lines of 4 to 16."""
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    vocab = ["".join(rng.choices(letters, weights=range(26, 0, -1), k=rng.randint(2, 10))) for _ in range(2000)]
    lines, total = [], 0
    while total < size:
        line = " ".join(rng.choices(vocab, k=rng.randint(4, 16))) + "\n"
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()[:size]


def main():
    out_dir = sys.argv[1]
    rng = random.Random(SEED)
    # Files take slices of one 8 MiB pool: gzip's window is 32 KiB, so a slice compresses as
    # fresh text would (no cross-file repetition gzip could see).
    pool = text_pool(rng, 8 << 20)

    def text(size):
        start = rng.randrange(0, len(pool) - size)
        return pool[start:start + size]

    layer = os.path.join(out_dir, "layer.tar.gz")
    with open(layer, "wb") as gz_file:
        gzip = subprocess.Popen(["gzip", "-6", "-n"], stdin=subprocess.PIPE, stdout=gz_file)
        writer = HashingWriter(gzip.stdin)
        with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            def add(name, data=None):
                info = tarfile.TarInfo(name)
                info.mtime, info.uid, info.gid, info.uname, info.gname = MTIME, 0, 0, "root", "root"
                if data is None:
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                else:
                    info.size, info.mode = len(data), 0o644
                    tar.addfile(info, io.BytesIO(data))

            add("data")
            for i in range(SMALL_FILES):
                group, sub = divmod(i // FILES_PER_DIR, 16)
                if i % FILES_PER_DIR == 0:
                    if sub == 0:
                        add(f"data/g{group:02d}")
                    add(f"data/g{group:02d}/d{sub:02d}")
                size = rng.randint(512, 8192)
                data = rng.randbytes(size) if i % 2 else text(size)
                add(f"data/g{group:02d}/d{sub:02d}/f{i:05d}{'.bin' if i % 2 else '.txt'}", data)
            add("big")
            for i in range(4):
                add(f"big/{i}{'.bin' if i % 2 else '.txt'}",
                    rng.randbytes(BIG_FILE) if i % 2 else b"".join(text(1 << 20) for _ in range(BIG_FILE >> 20)))
        gzip.stdin.close()
        if gzip.wait() != 0:
            sys.exit("make_layer.py: gzip failed")
    diff_id = "sha256:" + writer.hash.hexdigest()

    # The OCI layout: the layer blob (a hard link), a config, a manifest, an index naming it.
    blobs = os.path.join(out_dir, "oci", "blobs", "sha256")
    os.makedirs(blobs)

    def blob(data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, digest), "wb") as f:
            f.write(data)
        return {"digest": "sha256:" + digest, "size": len(data)}

    h = hashlib.sha256()
    with open(layer, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    os.link(layer, os.path.join(blobs, h.hexdigest()))
    layer_desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + h.hexdigest(),
                  "size": os.path.getsize(layer)}
    layers, diff_ids = [layer_desc], [diff_id]
    if "--with-small-layer" in sys.argv[2:]:
        small_tar = io.BytesIO()
        with tarfile.open(fileobj=small_tar, mode="w", format=tarfile.PAX_FORMAT) as tar:
            data = random.Random(SEED + 1).randbytes(1 << 20)
            info = tarfile.TarInfo("small.bin")
            info.size, info.mtime, info.mode = len(data), MTIME, 0o644
            tar.addfile(info, io.BytesIO(data))
        small_gz = subprocess.run(["gzip", "-6", "-n"], input=small_tar.getvalue(), stdout=subprocess.PIPE,
                                  check=True).stdout
        layers.insert(0, dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip", **blob(small_gz)))
        diff_ids.insert(0, "sha256:" + hashlib.sha256(small_tar.getvalue()).hexdigest())
    config = {"architecture": "amd64", "os": "linux", "config": {},
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    config_desc = dict(mediaType="application/vnd.oci.image.config.v1+json", **blob(json.dumps(config).encode()))
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_desc, "layers": layers}
    manifest_desc = dict(mediaType="application/vnd.oci.image.manifest.v1+json", **blob(json.dumps(manifest).encode()),
                         annotations={"org.opencontainers.image.ref.name": "bench"})
    with open(os.path.join(out_dir, "oci", "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [manifest_desc]}, f)
    with open(os.path.join(out_dir, "oci", "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(diff_id)


if __name__ == "__main__":
    main()
