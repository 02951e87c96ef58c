// Package volume is the PersistentVolume controller: it binds claims to volumes, provisions
// ordinal's own local-path volumes, releases and reclaims volumes when their claims go, and
// guards claims and volumes in use with upstream's protection finalizers.
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
//     static volumes without a provisioner just lose their API object, and volumes of other
//     provisioners are left to those provisioners.
//
// The decisions are pure functions (planClaim, planVolume, findMatchingVolume) that take
// the observed objects and return what to write; controller.go and the sync_*.go files read
// the informers, call them and carry out the writes through the API.
package volume
