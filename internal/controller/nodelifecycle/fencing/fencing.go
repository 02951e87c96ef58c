// Package fencing is the contract between a node agent that fences itself and the node
// lifecycle controller that fails its StatefulSet pods over. Both sides speak through the
// node's Lease in kube-node-lease, with two annotations:
//
//   - PeriodAnnotation, written by the agent on every renewal: the agent stops all of its
//     containers once it has failed to renew for this long (by its own monotonic clock),
//     and starts none until a renewal succeeds again. A Lease without it (an agent with
//     fencing off, a node registered by hand) is never failed over.
//   - FailoverAnnotation, written by the controller with a resourceVersion precondition on
//     the Lease it last observed: "the agent has not renewed since I looked; I am deleting
//     these pods". Because the write is conditional, a renewal that races with it makes
//     one of the two fail. The agent reads the annotation back from its next successful
//     renewal and never runs the pods it lists again; the controller removes it once every
//     listed pod is gone, and finishes the deletions first if it finds one left over from
//     a previous run.
package fencing

import (
	"encoding/json"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The annotations on a node Lease.
const (
	PeriodAnnotation   = "fencing.ordinal.dev/period"
	FailoverAnnotation = "fencing.ordinal.dev/failover"
)

// Period returns the fencing period the lease's agent advertises; false when it advertises
// none (or one that does not parse, or is not positive).
func Period(lease *coordinationv1.Lease) (time.Duration, bool) {
	v, ok := lease.Annotations[PeriodAnnotation]
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, false
	}
	return d, true
}

// SetPeriod records the agent's fencing period on its lease; 0 removes it.
func SetPeriod(lease *coordinationv1.Lease, d time.Duration) {
	if d <= 0 {
		delete(lease.Annotations, PeriodAnnotation)
		return
	}
	if lease.Annotations == nil {
		lease.Annotations = map[string]string{}
	}
	lease.Annotations[PeriodAnnotation] = d.String()
}

// Failover is the controller's record of a failover in progress.
type Failover struct {
	// At is when the controller decided, by its clock.
	At metav1.Time `json:"at"`
	// Pods are the pods being force-deleted.
	Pods []PodRef `json:"pods"`
}

// PodRef names one pod, UID included, so that a pod of the same name made later is never
// mistaken for it.
type PodRef struct {
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	UID       types.UID `json:"uid"`
}

// GetFailover returns the failover recorded on the lease, nil if there is none. A value
// that does not parse is an error: the caller must not guess which pods it named.
func GetFailover(lease *coordinationv1.Lease) (*Failover, error) {
	v, ok := lease.Annotations[FailoverAnnotation]
	if !ok {
		return nil, nil
	}
	var f Failover
	if err := json.Unmarshal([]byte(v), &f); err != nil {
		return nil, fmt.Errorf("lease %s/%s: annotation %s: %w", lease.Namespace, lease.Name, FailoverAnnotation, err)
	}
	return &f, nil
}

// SetFailover records f on the lease.
func SetFailover(lease *coordinationv1.Lease, f Failover) {
	data, err := json.Marshal(f)
	if err != nil {
		panic(fmt.Sprintf("fencing: encoding a failover record: %v", err)) // plain strings and a time
	}
	if lease.Annotations == nil {
		lease.Annotations = map[string]string{}
	}
	lease.Annotations[FailoverAnnotation] = string(data)
}
