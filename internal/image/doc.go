// Package image is the node's OCI image store: it pulls images from OCI and Docker
// registries, imports docker-save and OCI layout archives, and unpacks each layer once into
// a directory that every container using it shares as an overlayfs lower layer.
//
// On disk, under <data-dir>/images:
//
//	index.json            references (docker.io/library/busybox:latest) → manifest digest
//	blobs/sha256/<hex>    manifests, configs and compressed layers, named by digest
//	layers/<hex>/fs       a layer unpacked (hex of its diffID), whiteouts in overlayfs form
//	layers/<hex>/layer.json  what unpacking recorded (whiteouts not yet converted)
//	pins/<owner>          images a container holds; garbage collection keeps them
//	locks/, tmp/          flock files; downloads and unpacks in progress
//
// Words: a reference is what a pod spec names (busybox, nginx:1.27, host:5000/x@sha256:…),
// normalised the way Docker and containerd do (see Normalize). The manifest digest
// identifies an image in the store; the image ID is its config digest, as crictl shows it.
// A layer's diffID is the digest of its uncompressed tar, which is what containers share.
//
// Concurrency: several goroutines and several processes (ordinal up and the `ordinal image`
// commands) may use one store at once. Every file appears complete or not at all (written
// in tmp/, then renamed). Everything that writes or readies layers (pull, import, get,
// pin, remove) holds store.lock shared and garbage collection holds it exclusive, so a
// collection never removes what a pull is about to reference or a pin is about to hold.
// Each blob download and layer unpack holds a flock on its digest, so concurrent pulls of
// one image fetch and unpack every layer once. index.json is rewritten under index.lock;
// its readers take no lock.
//
// The process runtime calls Pin to get an image's layer directories and config and to keep
// them from garbage collection while its container exists, and Unpin when the container is
// removed. Pins live on disk, so they survive an agent restart and bind `ordinal image rm`
// run from another process. Removing a reference, moving a tag to another image and
// releasing the last pin of an unreferenced image collect at once when the store is idle;
// GC collects whatever is left, waiting for running pulls.
package image
