package agent

import (
	"testing"
	"time"
)

func TestCrashBackOffSequence(t *testing.T) {
	b := newCrashBackOff(10*time.Second, time.Minute)
	t0 := epoch
	// The first failure restarts at once; each later one waits twice as long, up to the cap.
	wants := []time.Duration{0, 10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute}
	failedAt := t0
	for i, want := range wants {
		in, left, _ := b.inBackOff("c", failedAt, failedAt)
		if (want > 0) != in || left != want {
			t.Fatalf("failure %d: inBackOff %v left %v, want %v", i+1, in, left, want)
		}
		restartAt := failedAt.Add(want)
		if in, _, _ := b.inBackOff("c", failedAt, restartAt); in {
			t.Fatalf("failure %d: still in back-off when it should end", i+1)
		}
		b.next("c", failedAt)
		failedAt = restartAt.Add(time.Second) // runs a second, fails again
	}
}

func TestCrashBackOffForgetsAfterTwiceTheCap(t *testing.T) {
	b := newCrashBackOff(10*time.Second, time.Minute)
	b.next("c", epoch)
	b.next("c", epoch.Add(time.Second))
	late := epoch.Add(time.Second + 2*time.Minute + time.Second)
	if in, _, _ := b.inBackOff("c", late, late); in {
		t.Fatal("a failure long after the last one must restart at once")
	}
	b.next("c", late)
	if _, _, delay := b.inBackOff("c", late, late); delay != 10*time.Second {
		t.Fatalf("delay %v after reset, want 10s", delay)
	}
}
