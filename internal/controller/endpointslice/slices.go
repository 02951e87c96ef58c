package endpointslice

import (
	"maps"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	// ControllerName is the managed-by label value of the slices the EndpointSlice
	// controller owns.
	ControllerName = "endpointslice-controller.k8s.io"
	// MirroringControllerName is the managed-by label value of slices mirrored from
	// hand-made Endpoints.
	MirroringControllerName = "endpointslicemirroring-controller.k8s.io"
	// MaxEndpointsPerSlice is upstream's default --max-endpoints-per-slice: big enough that
	// most Services have one slice, small enough that one endpoint change rewrites little.
	MaxEndpointsPerSlice = 100
)

// serviceGVK is the owner kind written into slices' controller references.
var serviceGVK = v1.SchemeGroupVersion.WithKind("Service")

// newSlice builds an empty slice for svc with the given ports and address type; the server
// completes its name from generateName.
func newSlice(svc *v1.Service, ports []discovery.EndpointPort, addressType discovery.AddressType) *discovery.EndpointSlice {
	s := &discovery.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    svc.Name + "-",
			Namespace:       svc.Namespace,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(svc, serviceGVK)},
		},
		Ports:       ports,
		AddressType: addressType,
		Endpoints:   []discovery.Endpoint{},
	}
	s.Labels, _ = sliceLabels(s, svc)
	return s
}

// isServiceIPSet reports whether svc has a cluster IP (is not headless).
func isServiceIPSet(svc *v1.Service) bool {
	return svc.Spec.ClusterIP != v1.ClusterIPNone && svc.Spec.ClusterIP != ""
}

func isReservedLabel(key string) bool {
	return key == discovery.LabelServiceName || key == discovery.LabelManagedBy || key == v1.IsHeadlessService
}

// sliceLabels returns the labels slice should carry: the Service's own labels plus the
// reserved ones (service name, managed-by, headless), and whether the non-reserved ones
// differ from what the slice has.
func sliceLabels(slice *discovery.EndpointSlice, svc *v1.Service) (map[string]string, bool) {
	have, want := map[string]string{}, map[string]string{}
	for k, v := range slice.Labels {
		if !isReservedLabel(k) {
			have[k] = v
		}
	}
	for k, v := range svc.Labels {
		if !isReservedLabel(k) {
			want[k] = v
		}
	}
	changed := !maps.Equal(have, want)
	if !isServiceIPSet(svc) {
		want[v1.IsHeadlessService] = ""
	}
	want[discovery.LabelServiceName] = svc.Name
	want[discovery.LabelManagedBy] = ControllerName
	return want, changed
}

// ownedBy reports whether svc (this very object, by UID) owns slice.
func ownedBy(slice *discovery.EndpointSlice, svc *v1.Service) bool {
	for _, o := range slice.OwnerReferences {
		if o.UID == svc.UID && o.Kind == "Service" && o.APIVersion == "v1" {
			return true
		}
	}
	return false
}

// isSamePlaceholder reports whether existing is already the placeholder want: same
// namespace, labels and owners, no endpoints, no ports. Recreating it would only churn.
func isSamePlaceholder(existing, want *discovery.EndpointSlice) bool {
	if existing.Namespace != want.Namespace || !maps.Equal(existing.Labels, want.Labels) ||
		existing.AddressType != want.AddressType || len(existing.Endpoints) != 0 || len(existing.Ports) != 0 {
		return false
	}
	return equality.Semantic.DeepEqual(existing.OwnerReferences, want.OwnerReferences)
}

// setTriggerTime records on slice when the change it carries was triggered (or clears the
// annotation when unknown), for latency measurements, as upstream.
func setTriggerTime(slice *discovery.EndpointSlice, t time.Time) {
	if slice.Annotations == nil {
		slice.Annotations = map[string]string{}
	}
	if t.IsZero() {
		delete(slice.Annotations, v1.EndpointsLastChangeTriggerTime)
		return
	}
	slice.Annotations[v1.EndpointsLastChangeTriggerTime] = t.UTC().Format(time.RFC3339Nano)
}
