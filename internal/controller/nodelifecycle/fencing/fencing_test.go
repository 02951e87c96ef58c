package fencing

import (
	"reflect"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPeriod(t *testing.T) {
	l := &coordinationv1.Lease{}
	if _, ok := Period(l); ok {
		t.Fatal("a lease without the annotation advertises no fencing")
	}
	SetPeriod(l, 30*time.Second)
	if d, ok := Period(l); !ok || d != 30*time.Second || l.Annotations[PeriodAnnotation] != "30s" {
		t.Fatalf("period %s %v, annotations %v", d, ok, l.Annotations)
	}
	SetPeriod(l, 0)
	if _, ok := l.Annotations[PeriodAnnotation]; ok {
		t.Fatal("a period of 0 must remove the annotation")
	}
	for _, bad := range []string{"", "soon", "-5s", "0s"} {
		l.Annotations[PeriodAnnotation] = bad
		if _, ok := Period(l); ok {
			t.Errorf("%q must not count as fencing", bad)
		}
	}
}

func TestFailoverRecord(t *testing.T) {
	l := &coordinationv1.Lease{}
	if f, err := GetFailover(l); f != nil || err != nil {
		t.Fatalf("no record: %v %v", f, err)
	}
	want := Failover{At: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), Pods: []PodRef{{Namespace: "default", Name: "web-0", UID: "u-0"}}}
	SetFailover(l, want)
	got, err := GetFailover(l)
	if err != nil || !got.At.Equal(&want.At) || !reflect.DeepEqual(got.Pods, want.Pods) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	l.Annotations[FailoverAnnotation] = "{"
	if _, err := GetFailover(l); err == nil {
		t.Fatal("a record that does not parse must be an error")
	}
}
