package shim

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFenceKillsWhenTheHeartbeatStops(t *testing.T) {
	file := filepath.Join(t.TempDir(), "heartbeat")
	os.WriteFile(file, []byte("1"), 0o600)
	killed := make(chan time.Time, 1)
	done := make(chan struct{})
	defer close(done)
	start := time.Now()
	go Fence(file, 500*time.Millisecond, done, func() { killed <- time.Now() })
	// Beat for a second: no kill.
	for i := 2; time.Since(start) < time.Second; i++ {
		os.WriteFile(file, []byte{byte(i)}, 0o600)
		select {
		case at := <-killed:
			t.Fatalf("killed %v after start while the heartbeat went on", at.Sub(start))
		case <-time.After(100 * time.Millisecond):
		}
	}
	stopped := time.Now()
	select {
	case at := <-killed:
		if d := at.Sub(stopped); d < 500*time.Millisecond-100*time.Millisecond || d > 2*time.Second {
			t.Errorf("killed %v after the last beat, want about 500ms", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not killed 5s after the heartbeat stopped")
	}
}

func TestFenceStopsWithTheContainer(t *testing.T) {
	done := make(chan struct{})
	returned := make(chan struct{})
	go func() {
		Fence(filepath.Join(t.TempDir(), "missing"), time.Hour, done, func() { t.Error("killed") })
		close(returned)
	}()
	close(done)
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("Fence did not return after done closed")
	}
}
