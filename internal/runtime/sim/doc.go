// Package sim is the simulated runtime (kwok's job): pods get a sandbox with an IP from the
// node's pod CIDR and containers that "run" without any process, so hundreds of nodes and
// thousands of pods fit in one test. Everything is kept in memory; time comes from an
// injectable clock, so tests step a fake clock instead of sleeping.
//
// What a simulated container does:
//
//   - It starts after the runtime's start delay (Options.StartDelay, default 0) or the pod's
//     sim.ordinal.dev/start-delay annotation ("2s", "500ms"; a bare number means seconds).
//
//   - An init container exits 0 as soon as it has started; a restartable init container
//     (restartPolicy Always, a "sidecar") runs until stopped.
//
//   - A regular container (spec.containers) runs until stopped, unless the pod says
//     otherwise with these annotations:
//
//     sim.ordinal.dev/never-ready: "true"     runs, but its readiness never succeeds
//     sim.ordinal.dev/crash: "true"           exits 1 (reason Error) right after starting
//     sim.ordinal.dev/exit-code: "<n>"        exits n after sim.ordinal.dev/run-seconds
//     sim.ordinal.dev/run-seconds: "<s>"      (default 0; with exit-code only)
//     sim.ordinal.dev/ignore-sigterm: "true"  stops only when killed at the end of the grace period
//     sim.ordinal.dev/fail-liveness: "true"   its liveness probe (if it has one) fails
//
//   - On StopContainer it exits 0 (reason Completed) at once, or, with ignore-sigterm, 137
//     (reason Error) when the grace period ends. A container killed outright (grace 0,
//     StopPodSandbox, a cancelled stop) exits 137.
//
//   - Probes succeed unless an annotation above says otherwise; readiness is asked even of
//     containers without a readiness probe, which is how never-ready works for them.
//
// A malformed annotation value makes CreateContainer fail with a message naming it, which
// the agent shows as CreateContainerError.
package sim
