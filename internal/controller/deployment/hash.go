package deployment

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/dump"
	"k8s.io/apimachinery/pkg/util/rand"
)

// ComputeHash returns the pod-template-hash of template, as upstream's
// controller.ComputeHash: FNV-1a 32 over the deterministic spew dump of the template
// (dump.ForHash, the configuration upstream hashes with), then, when collisionCount is
// set, 8 bytes holding it little-endian; the decimal sum is encoded with
// rand.SafeEncodeString. Same k8s.io/api types and same dump give the same names as
// upstream.
func ComputeHash(template *v1.PodTemplateSpec, collisionCount *int32) string {
	hasher := fnv.New32a()
	fmt.Fprintf(hasher, "%v", dump.ForHash(*template))
	if collisionCount != nil {
		buf := make([]byte, 8)
		binary.LittleEndian.PutUint32(buf, uint32(*collisionCount))
		hasher.Write(buf)
	}
	return rand.SafeEncodeString(fmt.Sprint(hasher.Sum32()))
}
