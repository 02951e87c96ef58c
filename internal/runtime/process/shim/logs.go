package shim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// maxLogLine is the longest piece of a line written as one log entry; a longer line is
// split into partial (P) entries, as containerd does.
const maxLogLine = 16 * 1024

// LogWriter writes a container's output in the CRI log format, one entry per line:
//
//	2026-01-02T03:04:05.123456789Z stdout F the line
//
// (F: a full line; P: part of a longer line, continued by the next entry of the stream).
// When the file reaches maxSize it is rotated: path.N-1 → path.N … path → path.1, keeping
// maxFiles files in all.
type LogWriter struct {
	mu       sync.Mutex
	path     string
	maxSize  int64
	maxFiles int
	f        *os.File
	size     int64
	now      func() time.Time
}

// OpenLog opens (appending) the log file at path.
func OpenLog(path string, maxSize int64, maxFiles int) (*LogWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &LogWriter{path: path, maxSize: maxSize, maxFiles: max(maxFiles, 1), f: f, size: st.Size(), now: time.Now}, nil
}

// Copy writes what r yields as entries of stream (stdout or stderr) until r ends. tee, if
// set, gets every chunk as it is read, before it is split into lines: what an attached
// client sees at once (a shell's prompt has no newline).
func (w *LogWriter) Copy(stream string, r io.Reader, tee func(stream string, p []byte)) error {
	buf := make([]byte, 32*1024)
	var pending []byte
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if tee != nil {
				tee(stream, buf[:n])
			}
			pending = append(pending, buf[:n]...)
			for {
				if i := bytes.IndexByte(pending, '\n'); i >= 0 && i <= maxLogLine {
					w.entry(stream, "F", pending[:i])
					pending = pending[i+1:]
				} else if len(pending) > maxLogLine {
					w.entry(stream, "P", pending[:maxLogLine])
					pending = pending[maxLogLine:]
				} else {
					break
				}
			}
			pending = append([]byte(nil), pending...)
		}
		if err != nil {
			if len(pending) > 0 {
				w.entry(stream, "F", pending)
			}
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) || errors.Is(err, syscall.EIO) {
				return nil // EIO: a terminal whose other side is gone
			}
			return err
		}
	}
}

func (w *LogWriter) entry(stream, tag string, line []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return
	}
	buf := make([]byte, 0, len(line)+48)
	buf = w.now().UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, ' ')
	buf = append(buf, stream...)
	buf = append(buf, ' ')
	buf = append(buf, tag...)
	buf = append(buf, ' ')
	buf = append(buf, line...)
	buf = append(buf, '\n')
	n, err := w.f.Write(buf)
	w.size += int64(n)
	if err != nil {
		fmt.Fprintf(os.Stderr, "shim: writing log %s: %v\n", w.path, err)
	}
	if w.maxSize > 0 && w.size >= w.maxSize {
		w.rotate()
	}
}

// rotate shifts the files and starts an empty one; on failure it keeps writing where it was.
func (w *LogWriter) rotate() {
	if w.maxFiles <= 1 {
		if err := w.f.Truncate(0); err == nil {
			w.size = 0
		}
		return
	}
	os.Remove(fmt.Sprintf("%s.%d", w.path, w.maxFiles-1))
	for i := w.maxFiles - 2; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", w.path, i), fmt.Sprintf("%s.%d", w.path, i+1))
	}
	if err := os.Rename(w.path, w.path+".1"); err != nil {
		return
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return
	}
	w.f.Close()
	w.f, w.size = f, 0
}

// Close closes the file.
func (w *LogWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
