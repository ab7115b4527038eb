/// @file monitor.hpp
/// @brief The monitor: one process per container, like conmon or containerd-shim, so that
/// containers do not depend on the daemon that made them.
///
/// The daemon starts `ch14-engine monitor ROOT run [FLAGS] IMAGE [COMMAND...]` in a session
/// of its own, with a pipe as fd 3. The monitor builds the container's spec from those `run`
/// flags (the same steps as `run`), creates it through the lifecycle API with its stdout and
/// stderr on pipes, and tells the daemon on fd 3: `created ID`, or `error CODE MESSAGE`. It
/// then waits on its control FIFO (engine_state.hpp) for `start` (or `remove`), starts the
/// container, copies its output into the json-file log (container_log.hpp), waits for it,
/// writes its exit record, and undoes every step (--rm removes it). A daemon that dies or
/// restarts meanwhile changes nothing for the container.
///
/// Its restart policy (restart_policy.hpp) is the monitor's too: when the container ends and
/// the policy says so, the monitor waits the backoff (the container "restarting") and
/// re-executes itself to start the same container again, from its record, with a fresh
/// pipeline. Options before `run`:
///
///     --restart POLICY       the policy to record (docker's --restart: no, always,
///                            unless-stopped, on-failure[:N]); a new container only
///     --existing ID          start the kept container ID again instead of a new one
///     --restart-count N      restarts so far (RestartCount), --existing only
///     --last-delay-ms MS     the backoff waited before this run
///     --started              start at once: no `created` report, no waiting for `start`
///     --stdin                the container reads what attached clients send (docker's
///                            OpenStdin, -i), once: stdin_relay.hpp
#pragma once

namespace dockling::ch14 {

/// The `monitor` command: argv[0] the program, argv[1] "monitor", argv[2] the state root,
/// then its options, then `run` and its arguments. Returns the monitor's exit code (0 once
/// the container has run, whatever its own code).
int monitor_main(int argc, char** argv);

}  // namespace dockling::ch14
