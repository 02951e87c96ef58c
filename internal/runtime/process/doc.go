// Package process is the runtime that runs pods as real, isolated containers: OCI images
// from internal/image, an OCI bundle per container run by runc (Debian's runc package), a
// root filesystem that is overlayfs over the image's layers with a writable layer per
// container, and a network namespace per pod wired by CNI (Debian's
// containernetworking-plugins: bridge, host-local, portmap) on the bridge ordinal0, whose
// address is the .1 of the node's pod CIDR.
//
// A container has its own pid, mount, uts and ipc namespaces and joins its pod's network
// namespace (there is no pause container: the namespace is a file bind-mounted under
// <data-dir>/netns). Each container runs under a shim (package shim): a small process that
// starts it with `runc run --detach`, stays its parent, writes its output to the log file
// and records how it ended. Shims and containers outlive the agent; every record is on
// disk, so a Runtime made again over the same data dir (an agent restart) finds every pod
// and container and carries on.
//
// On disk, under <data-dir>:
//
//	pods/<pod uid>/sandbox.json                  the sandbox record (IP, netns, CNI config, volumes)
//	pods/<pod uid>/_etc/{hosts,resolv.conf,hostname}   bind-mounted into every container
//	pods/<pod uid>/_volumes/<volume>/            emptyDir, configMap, secret, projected and downwardAPI volumes
//	pods/<pod uid>/_containers/<id>/             a container: container.json, the bundle
//	                                             (config.json, rootfs/), upper/ and work/ of its
//	                                             overlay, shim.json, exit.json, termination-log
//	pods/<pod uid>/<container name>/<attempt>.log   the container's output (see below)
//	netns/<pod uid>                              the pod's network namespace
//	runc/                                        runc's state (runc --root)
//	cni/                                         host-local's allocations and libcni's cache
//
// Logs: each instance of a container writes <data-dir>/pods/<pod uid>/<container
// name>/<attempt>.log, attempt being the restart count of that instance (0, 1, …), in the
// CRI format, one entry per line: `<RFC3339Nano time> stdout|stderr F|P <text>` (P marks part of
// a line longer than 16 KiB, continued by the next entry of the same stream). A file that
// reaches Options.LogMaxSize (10 MiB) is rotated: <attempt>.log.1 is the newest older part,
// up to <attempt>.log.<LogMaxFiles-1>. LogPath names the current file. Removing a container
// removes its logs.
//
// Streams (runtime.Streamer): logs are read from the files above; exec is `runc exec`
// (on a pseudo-terminal of the runtime's when a TTY is asked); attach goes through the
// shim, which keeps a stdin container's stdin (or a tty container's terminal) and serves
// sessions on the unix socket attach.sock in the container's directory; port-forward
// dials the port from a thread inside the pod's network namespace.
//
// The shim is a separate small binary, ordinal-shim (package ordinal-shim here), looked
// for beside the running executable; without it the running executable is started as
// `<exe> shim <container dir>`, which must call shim.Main (Options.Shim overrides both).
//
// Host network: the bridge gets the gateway address; a route of type unreachable covers the
// pod range (10.42.0.0/16) so that its traffic never takes the default route (the bridge's
// own /24 is more specific); the service range (10.43.0.0/16) is routed into the bridge
// with the gateway as source, so that the host reaches cluster IPs through the service
// proxy's DNAT and an unproxied cluster IP goes nowhere; and the nftables table
// `inet ordinal` drops forwarded packets from or to those ranges on any interface but the
// bridges. These are set up, idempotently, when the node gets its pod CIDR and never torn
// down. Pods are not masqueraded: they reach each other and the host, nothing beyond.
//
// Check reports what a host lacks for this runtime (root, runc, overlayfs, CNI plugins,
// cgroups, nftables, iptables for portmap) with the command that fixes it.
package process
