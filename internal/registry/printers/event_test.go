package printers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestEventColumns(t *testing.T) {
	want := []string{"Last Seen", "Type", "Reason", "Object", "Subobject+", "Source+", "Message", "First Seen+", "Count+", "Name+"}
	assertHeaders(t, &corev1.Event{}, want...)
	assertHeaders(t, &eventsv1.Event{}, want...)
}

func TestCoreEventRow(t *testing.T) {
	e := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "web-0.1800a", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-0", FieldPath: "spec.containers{nginx}"},
		Reason:         "Pulled",
		Message:        "Container image \"nginx\" already present on machine\n",
		Source:         corev1.EventSource{Component: "kubelet", Host: "node-1"},
		FirstTimestamp: ago(3 * 24 * time.Hour),
		LastTimestamp:  ago(2 * 24 * time.Hour),
		Count:          6,
		Type:           corev1.EventTypeNormal,
	}
	assertCells(t, e, "2d", "Normal", "Pulled", "pod/web-0", "spec.containers{nginx}", "kubelet, node-1",
		"Container image \"nginx\" already present on machine", "3d", int64(6), "web-0.1800a")
}

func TestCoreEventFromNewAPIClient(t *testing.T) {
	// client-go's new events recorder writes eventTime and reporting fields
	// only; a singleton has no count.
	e := &corev1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: "e"},
		InvolvedObject:      corev1.ObjectReference{Kind: "Node"},
		Reason:              "Starting",
		EventTime:           metav1.NewMicroTime(now.Add(-90 * time.Second)),
		ReportingController: "ordinal/agent",
		Type:                corev1.EventTypeNormal,
	}
	assertCells(t, e, "90s", "Normal", "Starting", "node", "", "ordinal/agent", "", "90s", int64(1), "e")
}

func TestEventsV1EventSeries(t *testing.T) {
	e := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: "web.17f"},
		EventTime:           metav1.NewMicroTime(now.Add(-time.Hour)),
		Series:              &eventsv1.EventSeries{Count: 12, LastObservedTime: metav1.NewMicroTime(now.Add(-5 * time.Minute))},
		ReportingController: "statefulset-controller",
		ReportingInstance:   "ordinal-1",
		Action:              "Create",
		Reason:              "SuccessfulCreate",
		Regarding:           corev1.ObjectReference{Kind: "StatefulSet", Name: "web"},
		Note:                "create Pod web-2 in StatefulSet web successful",
		Type:                "Normal",
	}
	assertCells(t, e, "5m", "Normal", "SuccessfulCreate", "statefulset/web", "", "statefulset-controller, ordinal-1",
		"create Pod web-2 in StatefulSet web successful", "60m", int64(12), "web.17f")
	if obj := tableOf(t, e).Rows[0].Object.Object; obj != e {
		t.Errorf("row object is %T, want the events.k8s.io event itself", obj)
	}
}

func TestEventsV1EventDeprecatedFields(t *testing.T) {
	e := &eventsv1.Event{
		ObjectMeta:               metav1.ObjectMeta{Name: "old"},
		Regarding:                corev1.ObjectReference{Kind: "Pod", Name: "p"},
		DeprecatedSource:         corev1.EventSource{Component: "kubelet"},
		DeprecatedFirstTimestamp: ago(10 * time.Minute),
		DeprecatedLastTimestamp:  ago(4 * time.Minute),
		DeprecatedCount:          3,
		Type:                     "Warning",
		Reason:                   "BackOff",
	}
	assertCells(t, e, "4m", "Warning", "BackOff", "pod/p", "", "kubelet", "", "10m", int64(3), "old")
}
