package printers

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Placeholders upstream prints for missing values; kubectl users grep for them.
const (
	none    = "<none>"
	unset   = "<unset>"
	unknown = "<unknown>"
)

// age is how long ago t was, in kubectl's short form ("5m", "3d4h"), or
// "<unknown>" when t is unset.
func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return unknown
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// microAge is age for the MicroTime fields of events.
func microAge(t metav1.MicroTime, now time.Time) string {
	if t.IsZero() {
		return unknown
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// containerCells lays out a pod template's container names and images, each
// comma-separated, for the Containers and Images columns.
func containerCells(containers []corev1.Container) (names, images string) {
	n := make([]string, len(containers))
	i := make([]string, len(containers))
	for k, c := range containers {
		n[k], i[k] = c.Name, c.Image
	}
	return strings.Join(n, ","), strings.Join(i, ",")
}

// boolPtrCell renders an optional boolean the way upstream does for CronJob's
// Suspend: "True", "False" or "<unset>".
func boolPtrCell(b *bool) string {
	switch {
	case b == nil:
		return unset
	case *b:
		return "True"
	default:
		return "False"
	}
}

// firstThree joins at most three entries and says how many were left out
// ("a,b,c + 2 more..."), or "<unset>" for none; used for endpoint slices.
func firstThree(all []string) string {
	const max = 3
	if len(all) == 0 {
		return unset
	}
	if len(all) <= max {
		return strings.Join(all, ",")
	}
	return fmt.Sprintf("%s + %d more...", strings.Join(all[:max], ","), len(all)-max)
}

// accessModesCell abbreviates access modes in upstream's fixed order
// (RWO,ROX,RWX,RWOP), whatever order or repetition the object has.
func accessModesCell(modes []corev1.PersistentVolumeAccessMode) string {
	has := map[corev1.PersistentVolumeAccessMode]bool{}
	for _, m := range modes {
		has[m] = true
	}
	var out []string
	for _, m := range []struct {
		mode  corev1.PersistentVolumeAccessMode
		short string
	}{
		{corev1.ReadWriteOnce, "RWO"},
		{corev1.ReadOnlyMany, "ROX"},
		{corev1.ReadWriteMany, "RWX"},
		{corev1.ReadWriteOncePod, "RWOP"},
	} {
		if has[m.mode] {
			out = append(out, m.short)
		}
	}
	return strings.Join(out, ",")
}

// orNone is s, or "<none>" when s is empty.
func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}
