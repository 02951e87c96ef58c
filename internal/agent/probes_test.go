package agent

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestProbeDue(t *testing.T) {
	p := &corev1.Probe{InitialDelaySeconds: 5, PeriodSeconds: 10}
	started := epoch
	for _, tt := range []struct {
		name     string
		lastRun  int // seconds after epoch; -1: never
		now      int
		wantRun  bool
		wantNext int
	}{
		{name: "before the initial delay", lastRun: -1, now: 2, wantRun: false, wantNext: 5},
		{name: "at the initial delay", lastRun: -1, now: 5, wantRun: true, wantNext: 15},
		{name: "within the period", lastRun: 5, now: 9, wantRun: false, wantNext: 15},
		{name: "period over", lastRun: 5, now: 15, wantRun: true, wantNext: 25},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var st probeState
			if tt.lastRun >= 0 {
				st.lastRun = epoch.Add(time.Duration(tt.lastRun) * time.Second)
			}
			run, next := probeDue(p, st, started, epoch.Add(time.Duration(tt.now)*time.Second))
			if run != tt.wantRun || !next.Equal(epoch.Add(time.Duration(tt.wantNext)*time.Second)) {
				t.Fatalf("run %v next %v, want %v +%ds", run, next.Sub(epoch), tt.wantRun, tt.wantNext)
			}
		})
	}
}

func TestProbeThresholds(t *testing.T) {
	p := &corev1.Probe{SuccessThreshold: 2, FailureThreshold: 3}
	st := probeState{}
	steps := []struct {
		ok   bool
		want bool
	}{
		{true, false}, // one success of two
		{true, true},  // ready
		{false, true}, // one failure of three
		{false, true},
		{false, false}, // third failure in a row
		{true, false},
		{false, false}, // a failure resets the successes
		{true, false},
		{true, true},
	}
	for i, s := range steps {
		st = st.record(p, s.ok, epoch.Add(time.Duration(i)*time.Second))
		if st.ok != s.want {
			t.Fatalf("step %d (result %v): verdict %v, want %v", i, s.ok, st.ok, s.want)
		}
	}
}
