package validation

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func validStorageClass() *storagev1.StorageClass {
	return &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: "local-path", ResourceVersion: "1"},
		Provisioner:       "ordinal.dev/local-path",
		Parameters:        map[string]string{"root": "/var/lib/ordinal/volumes"},
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
	}
}

func TestStorageClass(t *testing.T) {
	expectErrors(t, Validate(validStorageClass()))

	bad := validStorageClass()
	bad.Provisioner = ""
	bad.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimRecycle)
	bad.VolumeBindingMode = ptr.To(storagev1.VolumeBindingMode("Later"))
	expectErrors(t, Validate(bad),
		"provisioner: Required value",
		`reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"`,
		`volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"`,
	)

	old := validStorageClass()
	upd := old.DeepCopy()
	upd.Parameters = map[string]string{"root": "/srv"}
	upd.Provisioner = "example.com/other"
	upd.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimRetain)
	upd.VolumeBindingMode = ptr.To(storagev1.VolumeBindingImmediate)
	expectErrors(t, ValidateUpdate(upd, old),
		"parameters: Forbidden: updates to parameters are forbidden.",
		"provisioner: Forbidden: updates to provisioner are forbidden.",
		"reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
		`volumeBindingMode: Invalid value: "Immediate": field is immutable`,
	)

	upd = old.DeepCopy()
	upd.Annotations = map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}
	upd.AllowVolumeExpansion = ptr.To(true)
	expectErrors(t, ValidateUpdate(upd, old))
}

func TestLease(t *testing.T) {
	l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "node-1", Namespace: "kube-node-lease"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("node-1"), LeaseDurationSeconds: ptr.To[int32](40)}}
	expectErrors(t, Validate(l))
	l.Spec.LeaseDurationSeconds = ptr.To[int32](0)
	expectErrors(t, Validate(l), "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0")
	old := l.DeepCopy()
	l.Spec.LeaseDurationSeconds = ptr.To[int32](15)
	l.Spec.RenewTime = &metav1.MicroTime{Time: time.Now()}
	expectErrors(t, ValidateUpdate(l, old))
}

func TestCoreEvent(t *testing.T) {
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "web-0.17a", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web-0"},
		Reason:         "Scheduled", Message: "assigned", Type: corev1.EventTypeNormal,
	}
	expectErrors(t, Validate(ev))

	bad := ev.DeepCopy()
	bad.InvolvedObject.Namespace = "other"
	expectErrors(t, Validate(bad), `involvedObject.namespace: Invalid value: "other": does not match event.namespace`)

	// Cluster-scoped objects report into "default".
	node := ev.DeepCopy()
	node.InvolvedObject = corev1.ObjectReference{Kind: "Node", Name: "node-1"}
	expectErrors(t, Validate(node))

	// New-style events need a reporter.
	modern := ev.DeepCopy()
	modern.EventTime = metav1.NowMicro()
	expectErrors(t, Validate(modern),
		"reportingComponent: Required value",
		`reportingComponent: Invalid value: "": name part must be non-empty`,
		`reportingComponent: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
		"reportingInstance: Required value",
		"action: Required value",
	)
}

func TestEventsV1Event(t *testing.T) {
	ev := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: "web-0.17a", Namespace: "default"},
		EventTime:           metav1.NowMicro(),
		ReportingController: "ordinal.dev/statefulset-controller",
		ReportingInstance:   "ordinal-1",
		Action:              "Create", Reason: "SuccessfulCreate", Type: corev1.EventTypeNormal,
		Regarding: corev1.ObjectReference{Kind: "StatefulSet", Namespace: "default", Name: "web"},
		Note:      "create Pod web-0 in StatefulSet web successful",
	}
	expectErrors(t, Validate(ev))

	bad := ev.DeepCopy()
	bad.Type = "Info"
	bad.DeprecatedCount = 3
	bad.Series = &eventsv1.EventSeries{Count: 1}
	expectErrors(t, Validate(bad),
		`series.count: Invalid value: "": should be at least 2`,
		"series.lastObservedTime: Required value",
		`type: Invalid value: "": has invalid value: Info`,
		`count: Invalid value: "": needs to be unset`,
	)

	upd := ev.DeepCopy()
	upd.Series = &eventsv1.EventSeries{Count: 2, LastObservedTime: metav1.NowMicro()}
	expectErrors(t, ValidateUpdate(upd, ev))
	upd.Note = "changed"
	expectErrors(t, ValidateUpdate(upd, ev), `message: Invalid value: "changed": field is immutable`)
}
