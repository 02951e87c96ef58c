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

// A container made to be attached to (stdin open) keeps its early output for the first
// client: kubectl run -i must not miss a short command's answer.
func TestFirstAttachGetsEarlierOutput(t *testing.T) {
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), AttachSocket))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h := &hub{clients: map[net.Conn]*sync.Mutex{}, replay: true}
	go h.serve(ln)
	h.broadcast("stdout", []byte("early "))
	h.broadcast("stderr", []byte("warning"))
	first, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	for _, want := range []struct {
		typ byte
		p   string
	}{{FrameStdout, "early "}, {FrameStderr, "warning"}} {
		typ, p, err := ReadFrame(first)
		if err != nil || typ != want.typ || string(p) != want.p {
			t.Fatalf("first client got %d %q %v, want %d %q", typ, p, err, want.typ, want.p)
		}
	}
	h.broadcast("stdout", []byte("later"))
	if typ, p, err := ReadFrame(first); err != nil || typ != FrameStdout || string(p) != "later" {
		t.Fatalf("first client got %d %q %v, want the later output", typ, p, err)
	}
	// A second client gets only what comes after it.
	second, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		h.mu.Lock()
		n := len(h.clients)
		h.mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second client was not accepted")
		}
	}
	h.broadcast("stdout", []byte("last"))
	if typ, p, err := ReadFrame(second); err != nil || typ != FrameStdout || string(p) != "last" {
		t.Fatalf("second client got %d %q %v, want only the output after it came", typ, p, err)
	}
}
