# Tour of chapter 00, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 00: fork, exec, wait"
say "A process starts a command by fork(2) + execve(2), then waits for its end with waitpid(2)."
show '$BIN/ch00-fork-exec run echo hello from a child process'
show '$BIN/ch00-fork-exec run sh -c "exit 3"'
notice "the command's exit code (3) becomes ours, as with docker run"
show '$BIN/ch00-fork-exec run no-such-command'
notice "127: not found; docker's code"
show '$BIN/ch00-fork-exec run /etc/passwd'
notice "126: found but not executable"
show '$BIN/ch00-fork-exec run sh -c "kill -TERM \$\$"'
notice "143 = 128 + 15: the command was killed by SIGTERM"
show '$BIN/ch00-fork-exec run sh -c "echo I am pid \$\$, my parent is \$PPID; ls / | head -3"'
notice "no isolation yet: the child sees the host's whole filesystem"
