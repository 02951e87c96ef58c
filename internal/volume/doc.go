// Package volume is the node side of ordinal's local-path volumes, run by each node's agent:
// the Reclaimer removes the directories of released volumes pinned to its node and then
// their objects, and PrepareLocalVolume makes a volume's directory before a pod mounts it
// (and checks that a shared-path volume's directory, made by the control plane on the share,
// is there: reclaiming those is the control plane's job, see shareddir and the controller).
//
// The control-plane side (binding, provisioning, protection) is
// ordinal.dev/ordinal/internal/controller/volume. A local-path volume is the directory
// <root>/pvc-<claim uid> on one node, root being that node's <data-dir>/volumes, the same
// path the control plane writes into the volume's hostPath.
package volume
