#!/usr/bin/env python3
"""time_command.py [--mark REGEX] -- COMMAND...: runs COMMAND once and prints its wall-clock
milliseconds; with --mark, also the milliseconds at which the last line of its standard output
matching REGEX was read (`scripts/bench registry`: a pull's last "Download complete", after
which only the unpacking is left). Exits with COMMAND's status; its stderr passes through.
"""
import re
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    mark = None
    if args[:1] == ["--mark"]:
        mark, args = re.compile(args[1]), args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    marked = None
    start = time.monotonic()
    with subprocess.Popen(args, stdout=subprocess.PIPE, text=True) as child:
        for line in child.stdout:
            if mark and mark.search(line):
                marked = time.monotonic()
    end = time.monotonic()
    print(f"{(end - start) * 1000:.0f}" + (f" {(marked - start) * 1000:.0f}" if marked else ""))
    sys.exit(child.returncode)


if __name__ == "__main__":
    main()
