package job

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestIndexesString(t *testing.T) {
	tests := []struct {
		in   []int
		want string
	}{
		{nil, ""},
		{[]int{0}, "0"},
		{[]int{0, 1}, "0,1"},
		{[]int{0, 1, 2}, "0-2"},
		{[]int{0, 1, 2, 5}, "0-2,5"},
		{[]int{1, 3, 4, 5, 7, 8}, "1,3-5,7,8"},
	}
	for _, tt := range tests {
		got := orderedIntervals(nil).withOrderedIndexes(tt.in)
		if got.String() != tt.want || got.total() != len(tt.in) {
			t.Errorf("%v: %q (%d), want %q", tt.in, got.String(), got.total(), tt.want)
		}
		if back := parseIndexes(tt.want, 100); back.String() != tt.want {
			t.Errorf("parse(%q) = %q", tt.want, back.String())
		}
	}
}

func TestParseIndexes(t *testing.T) {
	tests := []struct {
		in          string
		completions int
		want        string
	}{
		{"0-2,5", 10, "0-2,5"},
		{"0-2,5", 4, "0-2"},
		{"0-2,5-9", 7, "0-2,5,6"},
		{"1,2,3", 10, "1-3"},
		{"x,3", 10, "3"},
		{"", 10, ""},
	}
	for _, tt := range tests {
		if got := parseIndexes(tt.in, tt.completions).String(); got != tt.want {
			t.Errorf("parseIndexes(%q, %d) = %q, want %q", tt.in, tt.completions, got, tt.want)
		}
	}
}

func TestMergeAndHas(t *testing.T) {
	a := parseIndexes("0-2,8", 20)
	b := parseIndexes("3,5-6,9-11", 20)
	m := a.merge(b)
	if m.String() != "0-3,5,6,8-11" {
		t.Fatalf("merge = %s", m)
	}
	for ix, want := range map[int]bool{0: true, 3: true, 4: false, 6: true, 7: false, 11: true, 12: false} {
		if m.has(ix) != want {
			t.Errorf("has(%d) = %v", ix, !want)
		}
	}
}

func TestFirstPendingIndexes(t *testing.T) {
	job := newJob(3, 6, indexed)
	job.Status.CompletedIndexes = "1"
	pods := []*corev1.Pod{jobPod(corev1.PodRunning, 0), jobPod(corev1.PodRunning, 3), jobPod(corev1.PodSucceeded, 4)}
	s := newJobSync(syncInput{Job: job, Pods: pods, Now: t0})
	if got := firstPendingIndexes(s, 3); !reflect.DeepEqual(got, []int{2, 5}) {
		t.Fatalf("pending = %v", got)
	}
	if got := firstPendingIndexes(s, 1); !reflect.DeepEqual(got, []int{2}) {
		t.Fatalf("pending = %v", got)
	}
}

func TestDuplicateIndexPods(t *testing.T) {
	a, b := jobPod(corev1.PodRunning, 1), jobPod(corev1.PodPending, 1)
	c := jobPod(corev1.PodRunning, 7)
	d := jobPod(corev1.PodRunning, -1)
	e := jobPod(corev1.PodRunning, 2)
	rm, keep := duplicateIndexPods([]*corev1.Pod{a, b, c, d, e}, 5)
	if !reflect.DeepEqual(names(rm), names([]*corev1.Pod{c, d, b})) || !reflect.DeepEqual(names(keep), names([]*corev1.Pod{a, e})) {
		t.Fatalf("rm %v keep %v", names(rm), names(keep))
	}
}

func names(pods []*corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}
