package scheduler

import (
	"fmt"
	"sort"
	"strings"
)

// code is how a plugin answers for one node.
type code int

const (
	success code = iota
	// unschedulable: the node does not fit now, but evicting lower-priority pods might help.
	unschedulable
	// unschedulableAndUnresolvable: the node does not fit and preemption cannot change that.
	unschedulableAndUnresolvable
)

// status is a plugin's answer; nil means success.
type status struct {
	code    code
	reasons []string
	// plugin names the plugin that answered (the "didn't satisfy plugin(s)" reason uses it).
	plugin string
}

func newStatus(c code, reasons ...string) *status {
	return &status{code: c, reasons: reasons}
}

func (s *status) isSuccess() bool { return s == nil || s.code == success }

// message joins the reasons the way upstream's Status.Message does.
func (s *status) message() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.reasons, ", ")
}

// Upstream's FitError wording.
const (
	noNodeAvailableFormat = "0/%v nodes are available"
	separatorFormat       = " %v."
)

// fitError explains why no node fits a pod: either one pre-filter message (the pod is
// unschedulable whatever the node), or each node's status; postFilter is what preemption had
// to say.
type fitError struct {
	numAllNodes int
	preFilter   string
	// nodeStatus holds the nodes that were filtered; absent covers the others (nodes a
	// pre-filter ruled out by name, e.g. a DaemonSet pod's matchFields).
	nodeStatus map[string]*status
	absent     *status
	postFilter string
}

// Error renders the message of the FailedScheduling event and of the PodScheduled condition,
// as upstream 1.32: the reasons counted over nodes, sorted as strings, then preemption's own
// message after "preemption: ". Upstream ends both parts with a period, and preemption's part
// is itself a fit error ending with one, hence its "..".
func (f *fitError) Error() string {
	msg := fmt.Sprintf(noNodeAvailableFormat+":", f.numAllNodes)
	if f.preFilter != "" {
		msg += fmt.Sprintf(separatorFormat, f.preFilter)
	} else if histogram := f.reasonHistogram(); len(histogram) > 0 {
		msg += fmt.Sprintf(separatorFormat, strings.Join(histogram, ", "))
	}
	if f.postFilter != "" {
		msg += fmt.Sprintf(separatorFormat, f.postFilter)
	}
	return msg
}

func (f *fitError) reasonHistogram() []string {
	counts := map[string]int{}
	for _, s := range f.nodeStatus {
		for _, r := range s.reasons {
			counts[r]++
		}
	}
	if missing := f.numAllNodes - len(f.nodeStatus); missing > 0 && f.absent != nil {
		for _, r := range f.absent.reasons {
			counts[r] += missing
		}
	}
	out := make([]string, 0, len(counts))
	for r, n := range counts {
		out = append(out, fmt.Sprintf("%v %v", n, r))
	}
	sort.Strings(out)
	return out
}

// maxMessageLength is the longest event note the API accepts; upstream cuts its messages to it.
const maxMessageLength = 1024

func truncateMessage(msg string) string {
	const suffix = " ..."
	if len(msg) <= maxMessageLength {
		return msg
	}
	return msg[:maxMessageLength-len(suffix)] + suffix
}
