// Package volume is the PersistentVolume controller: it binds claims to volumes, provisions
// ordinal's own local-path and shared-path volumes, releases and reclaims volumes when their
// claims go, and guards claims and volumes in use with upstream's protection finalizers.
//
// Words, as upstream uses them:
//
//   - bound: a volume's spec.claimRef names a claim (with its UID) and the claim's
//     spec.volumeName names the volume. Binding writes the volume first, then the claim, so
//     a half-done binding is always visible from the volume side and is finished by the next
//     sync of the claim.
//   - pre-bound: a user (or a provisioner) set one side of the pointer before the controller
//     did; the controller completes the other side without marking it bound-by-controller.
//   - delayed binding: a claim whose StorageClass has volumeBindingMode WaitForFirstConsumer.
//     Nothing happens until the scheduler writes the annotation
//     volume.kubernetes.io/selected-node; then a static volume whose node affinity allows that
//     node is bound, or a new one is provisioned there.
//   - released: the claim a volume was bound to is gone. Retain keeps the volume and its
//     claimRef; Delete removes it: ordinal.dev/local-path volumes are deleted by the node they
//     live on (package ordinal.dev/ordinal/internal/volume) once their directory is gone,
//     ordinal.dev/shared-path volumes by this controller (below), static volumes without a
//     provisioner just lose their API object, and volumes of other provisioners are left to
//     those provisioners.
//
// # Shared-path volumes
//
// A class with provisioner ordinal.dev/shared-path (ordinal creates one named nfs-client when
// given a shared volume directory, see SharedPathStorageClass) makes each volume a
// sub-directory of the class's parameter path, a directory mounted at that same path on every
// node, as kubernetes-sigs/nfs-subdir-external-provisioner does on an NFS export: the
// directory is <namespace>-<claim>-<volume>, or the class's pathPattern filled in from the
// claim. The volume is a hostPath with no node affinity, so that a StatefulSet pod recreated
// on another node finds its data there. onDelete (delete, retain) or archiveOnDelete
// (false deletes) say what happens to the directory when the volume is reclaimed with
// policy Delete; by default, as upstream, it is renamed archived-<directory>. The choice is
// recorded on the volume when it is provisioned.
//
// This controller, not the nodes, makes and reclaims those directories, so the shared
// directory must be mounted on the control plane's machines too (for `ordinal up` it is the
// same machine). That is upstream's shape, one provisioner process with the share mounted, and
// it settles who acts: the controllers run on one server at a time (the controller-manager
// lease) and one worker reclaims volumes, so no two machines ever race on a directory, with no
// claim protocol between nodes and no hand-over when the node that claimed a deletion dies (a
// brief overlap at a lease hand-over finds the work done: a directory already removed or
// archived is not an error). The directory exists from provisioning on (so a share that is not
// mounted or not writable fails the claim at once), which lets a node refuse a volume whose
// directory it cannot see rather than hand its pod an empty one. The control plane only
// touches directories below the shared volume directories it was started with
// (Options.SharedVolumeDirs), never following a symbolic link below them.
//
// A directory is reclaimed once, and never while a pod anywhere may use it: only after its
// volume is Released (or deleted) and not Bound, after a fresh read of the claim shows it
// gone or no longer naming the volume (pvc-protection keeps a claim until no pod on any node
// uses it), and never when another volume's directory is that one or inside it. The
// provisioner finalizer keeps the object until the directory is done with, and is dropped
// before the object is deleted, so a later pass never touches the directory again.
//
// The decisions are pure functions (planClaim, planVolume, findMatchingVolume,
// planSharedReclaim) that take the observed objects and return what to write; controller.go
// and the sync_*.go files read the informers, call them and carry out the writes through the
// API and, for shared-path directories, package ordinal.dev/ordinal/internal/volume/shareddir.
package volume
