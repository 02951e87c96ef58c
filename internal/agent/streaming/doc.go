// Package streaming is the node agent's streaming server: the part of the kubelet API that
// `kubectl logs`, `exec`, `attach` and `port-forward` reach through the apiserver. It speaks
// every protocol kubectl 1.32 uses, so the apiserver only has to proxy bytes (it never
// translates protocols):
//
//	GET       /containerLogs/{namespace}/{pod}/{container}    CRI log files, with follow,
//	                                                          previous, tailLines, sinceSeconds,
//	                                                          sinceTime, timestamps, limitBytes
//	GET|POST  /exec/{namespace}/{pod}[/{uid}]/{container}     ?command=…&stdin&stdout&stderr&tty
//	GET|POST  /attach/{namespace}/{pod}[/{uid}]/{container}   ?stdin&stdout&stderr&tty
//	GET|POST  /portForward/{namespace}/{pod}[/{uid}]
//
// exec and attach answer a websocket upgrade with the v5.channel.k8s.io (or v4) channel
// protocol, stdin's end arriving as v5's close signal, and a SPDY/3.1 upgrade (kubectl's
// fallback) with the v5 to v2 stream protocols. port-forward answers a websocket upgrade for
// "SPDY/3.1+portforward.k8s.io", a SPDY session tunnelled in binary messages, and a plain
// SPDY/3.1 upgrade for portforward.k8s.io. At the end of an exec the exit code travels as
// upstream's metav1.Status (reason NonZeroExitCode, cause ExitCode), which kubectl turns
// into its own exit code.
//
// What answers is the runtime, through runtime.Streamer; this package finds the container
// from the API's pod (the status the agent wrote, as the kubelet does with its status
// manager) and the runtime's records, applies the log options to the CRI log format, and
// frames the streams. Errors before an upgrade are metav1.Status JSON with upstream's
// messages (`container "x" in pod "y" is waiting to start: ContainerCreating`), so the
// apiserver can pass them through unchanged.
//
// Reaching the server: agents in the apiserver's process register with Local and are
// called directly, without any network (simulated nodes have made-up addresses); agents on
// other machines serve the same handler over HTTPS with ServeTLS, accepting only clients
// with a certificate from the cluster CA (the apiserver's kubelet client certificate).
package streaming
