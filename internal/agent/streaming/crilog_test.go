package streaming

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestParseCRILine(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	for _, tc := range []struct {
		line    string
		want    criEntry
		wantErr bool
	}{
		{line: "2026-01-02T03:04:05.0000006Z stdout F hello world", want: criEntry{at: at, stream: "stdout", text: []byte("hello world")}},
		{line: "2026-01-02T03:04:05.0000006Z stderr P part", want: criEntry{at: at, stream: "stderr", partial: true, text: []byte("part")}},
		{line: "2026-01-02T03:04:05.0000006Z stdout F:x tagged", want: criEntry{at: at, stream: "stdout", text: []byte("tagged")}},
		{line: "2026-01-02T03:04:05.0000006Z stdout F ", want: criEntry{at: at, stream: "stdout", text: []byte{}}},
		{line: "2026-01-02T03:04:05.0000006Z stdout F", want: criEntry{at: at, stream: "stdout"}},
		{line: "2026-01-02T03:04:05.0000006Z stdout F  two spaces", want: criEntry{at: at, stream: "stdout", text: []byte(" two spaces")}},
		{line: "yesterday stdout F x", wantErr: true},
		{line: "2026-01-02T03:04:05Z stdin F x", wantErr: true},
		{line: "2026-01-02T03:04:05Z stdout X x", wantErr: true},
		{line: "2026-01-02T03:04:05Z", wantErr: true},
		{line: "", wantErr: true},
	} {
		got, err := parseCRILine([]byte(tc.line))
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: error %v, want error %v", tc.line, err, tc.wantErr)
			continue
		}
		if err == nil && (!got.at.Equal(tc.want.at) || got.stream != tc.want.stream || got.partial != tc.want.partial || string(got.text) != string(tc.want.text)) {
			t.Errorf("%q: got %+v, want %+v", tc.line, got, tc.want)
		}
	}
}

const sampleLog = `2026-01-02T03:00:00Z stdout F first
2026-01-02T03:00:01.5Z stderr F second
garbage that is skipped
2026-01-02T03:00:02Z stdout P thi
2026-01-02T03:00:02.1Z stdout P r
2026-01-02T03:00:03Z stdout F d
2026-01-02T03:00:04Z stdout F fourth
`

func TestCopyLog(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 0, 5, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		query string
		skip  int
		want  string
	}{
		{name: "everything", want: "first\nsecond\nthird\nfourth\n"},
		{name: "timestamps once per line", query: "timestamps=true", want: "2026-01-02T03:00:00Z first\n2026-01-02T03:00:01.5Z second\n2026-01-02T03:00:02Z third\n2026-01-02T03:00:04Z fourth\n"},
		{name: "skip (the caller's tail)", skip: 5, want: "fourth\n"},
		{name: "limitBytes cuts inside a line", query: "limitBytes=9", want: "first\nsec"},
		{name: "limitBytes at a line's end", query: "limitBytes=6", want: "first\n"},
		{name: "sinceTime", query: "sinceTime=2026-01-02T03:00:02Z", want: "third\nfourth\n"},
		{name: "sinceSeconds", query: "sinceSeconds=2", want: "d\nfourth\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			opts, err := parseLogOptions(q, now)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := copyLog(strings.NewReader(sampleLog), &out, opts, tc.skip); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("got %q, want %q", out.String(), tc.want)
			}
		})
	}
	if n, err := countEntries(strings.NewReader(sampleLog)); err != nil || n != 6 {
		t.Errorf("countEntries = %d, %v; want 6", n, err)
	}
}

func TestParseLogOptions(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	q, _ := url.ParseQuery("follow=true&previous=1&timestamps=true&tailLines=3&limitBytes=10&sinceSeconds=60")
	o, err := parseLogOptions(q, now)
	if err != nil {
		t.Fatal(err)
	}
	if !o.follow || !o.previous || !o.timestamps || o.tailLines != 3 || o.limitBytes != 10 || !o.since.Equal(now.Add(-time.Minute)) {
		t.Errorf("parsed %+v", o)
	}
	if o, _ := parseLogOptions(url.Values{}, now); o.tailLines != -1 || o.limitBytes != 0 || !o.since.IsZero() {
		t.Errorf("defaults %+v", o)
	}
	for _, bad := range []string{"tailLines=-1", "tailLines=x", "limitBytes=0", "sinceSeconds=0", "sinceTime=yesterday"} {
		q, _ := url.ParseQuery(bad)
		if _, err := parseLogOptions(q, now); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestContainerForLogs(t *testing.T) {
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	waiting := func(reason string) corev1.ContainerState {
		return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}
	}
	terminated := func(id string) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ContainerID: id}}
	}
	for _, tc := range []struct {
		name     string
		status   corev1.ContainerStatus
		init     bool
		previous bool
		want     string
		wantErr  string
	}{
		{name: "running", status: corev1.ContainerStatus{ContainerID: "sim://cur", State: running}, want: "cur"},
		{name: "init container", init: true, status: corev1.ContainerStatus{ContainerID: "sim://i", State: running}, want: "i"},
		{name: "previous", previous: true, status: corev1.ContainerStatus{ContainerID: "sim://cur", State: running, LastTerminationState: terminated("sim://old")}, want: "old"},
		{name: "no previous", previous: true, status: corev1.ContainerStatus{State: running}, wantErr: `previous terminated container "c" in pod "p" not found`},
		{name: "terminated", status: corev1.ContainerStatus{State: terminated("sim://done")}, want: "done"},
		{name: "terminated without ID shows the last run", status: corev1.ContainerStatus{State: terminated(""), LastTerminationState: terminated("sim://last")}, want: "last"},
		{name: "terminated without any ID", status: corev1.ContainerStatus{State: terminated("")}, wantErr: `container "c" in pod "p" is terminated`},
		{name: "crash-looping shows the last run", status: corev1.ContainerStatus{State: waiting("CrashLoopBackOff"), LastTerminationState: terminated("sim://last")}, want: "last"},
		{name: "creating", status: corev1.ContainerStatus{State: waiting("ContainerCreating")}, wantErr: `container "c" in pod "p" is waiting to start: ContainerCreating`},
		{name: "image pull", status: corev1.ContainerStatus{State: waiting("ErrImagePull")}, wantErr: `container "c" in pod "p" is waiting to start: image can't be pulled`},
		{name: "image back-off", status: corev1.ContainerStatus{State: waiting("ImagePullBackOff")}, wantErr: `container "c" in pod "p" is waiting to start: trying and failing to pull image`},
		{name: "no state", status: corev1.ContainerStatus{}, wantErr: `container "c" in pod "p" is waiting to start - no logs yet`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.status.Name = "c"
			st := &corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "other", State: running, ContainerID: "sim://x"}}}
			if tc.init {
				st.InitContainerStatuses = []corev1.ContainerStatus{tc.status}
			} else {
				st.ContainerStatuses = append(st.ContainerStatuses, tc.status)
			}
			got, err := containerForLogs("p", st, "c", tc.previous)
			switch {
			case tc.wantErr != "":
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("error %v, want %q", err, tc.wantErr)
				}
			case err != nil || got != tc.want:
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := containerForLogs("p", &corev1.PodStatus{}, "c", false); err == nil || err.Error() != `container "c" in pod "p" is not available` {
		t.Errorf("no status: %v", err)
	}
}
