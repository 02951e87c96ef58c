package streaming

import (
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

func TestParseRemoteCommandOptions(t *testing.T) {
	for _, tc := range []struct {
		query   string
		exec    bool
		want    remoteCommandOptions
		wantErr string
	}{
		{query: "command=ls&command=-l&stdin=true&stdout=true&stderr=true", exec: true,
			want: remoteCommandOptions{command: []string{"ls", "-l"}, stdin: true, stdout: true, stderr: true}},
		{query: "command=sh&input=1&output=1&error=1&tty=1", exec: true,
			want: remoteCommandOptions{command: []string{"sh"}, stdin: true, stdout: true, tty: true}},
		{query: "stdout=true", want: remoteCommandOptions{stdout: true}},
		{query: "stdout=true", exec: true, wantErr: "you must specify at least 1 command"},
		{query: "command=ls", exec: true, wantErr: "you must specify at least 1 of stdin, stdout, stderr"},
	} {
		q, _ := url.ParseQuery(tc.query)
		got, err := parseRemoteCommandOptions(q, tc.exec)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%s: error %v, want %q", tc.query, err, tc.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got.command, " ") != strings.Join(tc.want.command, " ") ||
			got.stdin != tc.want.stdin || got.stdout != tc.want.stdout || got.stderr != tc.want.stderr || got.tty != tc.want.tty {
			t.Errorf("%s: got %+v, %v; want %+v", tc.query, got, err, tc.want)
		}
	}
}

func TestCommandStatus(t *testing.T) {
	if st := commandStatus(0, nil); st.Status != metav1.StatusSuccess {
		t.Errorf("success: %+v", st)
	}
	st := commandStatus(3, nil)
	if st.Status != metav1.StatusFailure || st.Reason != "NonZeroExitCode" || len(st.Details.Causes) != 1 ||
		st.Details.Causes[0].Type != "ExitCode" || st.Details.Causes[0].Message != "3" {
		t.Errorf("exit 3: %+v", st)
	}
	st = commandStatus(0, io.ErrUnexpectedEOF)
	if st.Status != metav1.StatusFailure || st.Reason != metav1.StatusReasonInternalError || !strings.Contains(st.Message, "error executing command in container: unexpected EOF") {
		t.Errorf("error: %+v", st)
	}
}

func TestReadResizesKeepsTheLatestSize(t *testing.T) {
	r, w := io.Pipe()
	done := make(chan struct{})
	sizes := readResizes(r, done)
	w.Write([]byte(`{"Width":80,"Height":24}`))
	w.Write([]byte(`{"Width":100,"Height":30}` + "\n"))
	w.Write([]byte(`{"Width":120,"Height":40}`))
	w.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the end of the stream was not noticed")
	}
	if got := <-sizes; got != (runtime.TerminalSize{Width: 120, Height: 40}) {
		t.Errorf("latest size %+v", got)
	}
	if _, open := <-sizes; open {
		t.Error("the sizes channel is still open after the stream ended")
	}
}
