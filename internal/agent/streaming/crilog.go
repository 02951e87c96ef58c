package streaming

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"
)

// The CRI log format, one entry per line: `<RFC3339Nano time> <stdout|stderr> <tags> <text>`,
// where the first tag is F (the entry ends a line) or P (a partial line the next entry
// continues). Reading it with upstream's PodLogOptions is the kubelet's job, so it is ours.

// criEntry is one parsed line of a CRI log.
type criEntry struct {
	at      time.Time
	stream  string
	partial bool
	text    []byte // without the newline
}

var errBadCRILine = errors.New("not a CRI log line")

// parseCRILine parses one line (its newline already removed).
func parseCRILine(line []byte) (criEntry, error) {
	var e criEntry
	ts, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return e, errBadCRILine
	}
	at, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return e, fmt.Errorf("%w: timestamp %q", errBadCRILine, ts)
	}
	stream, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok || (string(stream) != "stdout" && string(stream) != "stderr") {
		return e, fmt.Errorf("%w: stream %q", errBadCRILine, stream)
	}
	tags, text, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		// An empty line may be written without the separator after the tags.
		tags, text = rest, nil
	}
	first, _, _ := bytes.Cut(tags, []byte{':'})
	switch string(first) {
	case "F":
	case "P":
		e.partial = true
	default:
		return e, fmt.Errorf("%w: tag %q", errBadCRILine, tags)
	}
	e.at, e.stream, e.text = at, string(stream), text
	return e, nil
}

// logOptions are what a containerLogs request asks for (upstream's PodLogOptions).
type logOptions struct {
	follow, previous, timestamps bool
	tailLines                    int64 // -1: every line
	limitBytes                   int64 // 0: no limit
	since                        time.Time
}

// parseLogOptions reads the query of a containerLogs request; now resolves sinceSeconds.
// The apiserver has validated the values; what does not parse here is a client error.
func parseLogOptions(q url.Values, now time.Time) (logOptions, error) {
	o := logOptions{tailLines: -1}
	o.follow, o.previous, o.timestamps = isTrue(q.Get("follow")), isTrue(q.Get("previous")), isTrue(q.Get("timestamps"))
	var err error
	if v := q.Get("tailLines"); v != "" {
		if o.tailLines, err = strconv.ParseInt(v, 10, 64); err != nil || o.tailLines < 0 {
			return o, fmt.Errorf("tailLines: invalid value %q", v)
		}
	}
	if v := q.Get("limitBytes"); v != "" {
		if o.limitBytes, err = strconv.ParseInt(v, 10, 64); err != nil || o.limitBytes < 1 {
			return o, fmt.Errorf("limitBytes: invalid value %q", v)
		}
	}
	if v := q.Get("sinceSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return o, fmt.Errorf("sinceSeconds: invalid value %q", v)
		}
		o.since = now.Add(-time.Duration(n) * time.Second)
	}
	if v := q.Get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return o, fmt.Errorf("sinceTime: invalid value %q", v)
		}
		o.since = t
	}
	return o, nil
}

func isTrue(v string) bool { return v == "true" || v == "1" }

// errLimitReached ends a copy that wrote limitBytes.
var errLimitReached = errors.New("limitBytes reached")

// logCopier writes CRI entries as kubectl shows them: text only, or with --timestamps
// each line prefixed by its time; partial entries are joined into their line.
type logCopier struct {
	opts    logOptions
	w       io.Writer
	written int64
	midLine bool // the last entry written was partial
}

// write writes one entry if the options let it through. errLimitReached means stop.
func (c *logCopier) write(e criEntry) error {
	if !c.opts.since.IsZero() && e.at.Before(c.opts.since) {
		return nil
	}
	var buf []byte
	if c.opts.timestamps && !c.midLine {
		buf = append(e.at.UTC().AppendFormat(buf, time.RFC3339Nano), ' ')
	}
	buf = append(buf, e.text...)
	if !e.partial {
		buf = append(buf, '\n')
	}
	c.midLine = e.partial
	limited := false
	if c.opts.limitBytes > 0 && c.written+int64(len(buf)) >= c.opts.limitBytes {
		buf, limited = buf[:c.opts.limitBytes-c.written], true
	}
	n, err := c.w.Write(buf)
	c.written += int64(n)
	if err != nil {
		return err
	}
	if limited {
		return errLimitReached
	}
	return nil
}

// copyLog copies a CRI log to w under the options, leaving out its first skip entries
// (the tail is computed by the caller, who counts the entries first).
func copyLog(r io.Reader, w io.Writer, opts logOptions, skip int) error {
	c := &logCopier{opts: opts, w: w}
	err := eachEntry(r, func(e criEntry) error {
		if skip > 0 {
			skip--
			return nil
		}
		return c.write(e)
	})
	if errors.Is(err, errLimitReached) {
		return nil
	}
	return err
}

// countEntries counts the entries of a CRI log.
func countEntries(r io.Reader) (int, error) {
	n := 0
	err := eachEntry(r, func(criEntry) error { n++; return nil })
	return n, err
}

// eachEntry calls f for every well-formed line of r until r ends or f fails; malformed
// lines are skipped, as the kubelet does.
func eachEntry(r io.Reader, f func(criEntry) error) error {
	br := bufio.NewReaderSize(r, 32<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if e, perr := parseCRILine(bytes.TrimSuffix(line, []byte{'\n'})); perr == nil {
				if ferr := f(e); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
