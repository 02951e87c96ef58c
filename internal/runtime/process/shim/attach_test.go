package shim

import (
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// A client that attaches after the container ended is told so, not given an empty session.
func TestAttachAfterExitIsRefused(t *testing.T) {
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), AttachSocket))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h := &hub{clients: map[net.Conn]*sync.Mutex{}}
	go h.serve(ln)

	before, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		h.mu.Lock()
		n := len(h.clients)
		h.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first client was not accepted")
		}
	}
	h.markExited()
	after, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	typ, _, err := ReadFrame(after)
	if err != nil || typ != FrameExited {
		t.Fatalf("a client attaching after the exit got frame %d, %v; want FrameExited", typ, err)
	}
	// The client that was there already still gets the last output.
	h.broadcast("stdout", []byte("last words"))
	typ, p, err := ReadFrame(before)
	if err != nil || typ != FrameStdout || string(p) != "last words" {
		t.Fatalf("the attached client got %d %q %v; want its output", typ, p, err)
	}
}
