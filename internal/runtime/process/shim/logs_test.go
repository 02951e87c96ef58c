package shim

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readEntries(t *testing.T, paths ...string) []string {
	t.Helper()
	var out []string
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if s := strings.TrimRight(string(raw), "\n"); s != "" {
			out = append(out, strings.Split(s, "\n")...)
		}
	}
	return out
}

func TestLogWriterWritesCRIEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	w, err := OpenLog(path, 1<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	w.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC) }
	long := strings.Repeat("x", maxLogLine+10)
	if err := w.Copy("stderr", strings.NewReader("one\n"+long+"\nlast"), nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	prefix := "2026-01-02T03:04:05.000000006Z stderr "
	want := []string{prefix + "F one", prefix + "P " + long[:maxLogLine], prefix + "F " + long[maxLogLine:], prefix + "F last"}
	got := readEntries(t, path)
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %.80q, want %.80q", i, got[i], want[i])
		}
	}
}

func TestLogWriterRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	w, err := OpenLog(path, 200, 3)
	if err != nil {
		t.Fatal(err)
	}
	var lines strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&lines, "line %02d\n", i)
	}
	if err := w.Copy("stdout", strings.NewReader(lines.String()), nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Fatalf("more than 3 files kept: %v", err)
	}
	got := readEntries(t, path+".2", path+".1", path)
	last := got[len(got)-1]
	if !strings.HasSuffix(last, "F line 39") {
		t.Fatalf("newest entry = %q", last)
	}
	for i := 1; i < len(got); i++ {
		if got[i][len(got[i])-2:] <= got[i-1][len(got[i-1])-2:] {
			t.Fatalf("entries out of order across files: %q then %q", got[i-1], got[i])
		}
	}
}
