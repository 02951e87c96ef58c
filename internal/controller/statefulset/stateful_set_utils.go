package statefulset

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// controllerKind and podKind name the owners this controller writes into ownerReferences.
var (
	controllerKind = apps.SchemeGroupVersion.WithKind("StatefulSet")
	podKind        = v1.SchemeGroupVersion.WithKind("Pod")
)

// statefulPodRegex splits a pod name into its parent set's name and its ordinal.
var statefulPodRegex = regexp.MustCompile("^(.*)-([0-9]+)$")

// getParentNameAndOrdinal returns the set name and ordinal encoded in pod's name, or ("", -1)
// when the name does not have the form <set>-<ordinal>.
func getParentNameAndOrdinal(pod *v1.Pod) (string, int) {
	m := statefulPodRegex.FindStringSubmatch(pod.Name)
	if m == nil {
		return "", -1
	}
	ordinal, err := strconv.ParseInt(m[2], 10, 32)
	if err != nil {
		return m[1], -1
	}
	return m[1], int(ordinal)
}

// getOrdinal returns pod's ordinal, or -1 if its name has none.
func getOrdinal(pod *v1.Pod) int {
	_, ordinal := getParentNameAndOrdinal(pod)
	return ordinal
}

// getStartOrdinal returns the first ordinal of set: spec.ordinals.start, or 0.
func getStartOrdinal(set *apps.StatefulSet) int {
	if set.Spec.Ordinals != nil {
		return int(set.Spec.Ordinals.Start)
	}
	return 0
}

// getEndOrdinal returns the last ordinal of set (inclusive); less than the start when the set
// has no replicas.
func getEndOrdinal(set *apps.StatefulSet) int {
	return getStartOrdinal(set) + int(*set.Spec.Replicas) - 1
}

// podInOrdinalRange tells whether pod's ordinal is one set should run now.
func podInOrdinalRange(pod *v1.Pod, set *apps.StatefulSet) bool {
	ordinal := getOrdinal(pod)
	return ordinal >= getStartOrdinal(set) && ordinal <= getEndOrdinal(set)
}

// getPodName returns the name of set's pod with the given ordinal.
func getPodName(set *apps.StatefulSet, ordinal int) string {
	return fmt.Sprintf("%s-%d", set.Name, ordinal)
}

// getPersistentVolumeClaimName returns the name of the claim made from template for the pod
// with the given ordinal: <template>-<set>-<ordinal>.
func getPersistentVolumeClaimName(set *apps.StatefulSet, template *v1.PersistentVolumeClaim, ordinal int) string {
	return fmt.Sprintf("%s-%s-%d", template.Name, set.Name, ordinal)
}

// isMemberOf tells whether pod's name makes it one of set's pods. Only members are adopted.
func isMemberOf(set *apps.StatefulSet, pod *v1.Pod) bool {
	parent, ordinal := getParentNameAndOrdinal(pod)
	return parent == set.Name && ordinal >= 0
}

// identityMatches tells whether pod has the name, namespace and pod-name label of a member of
// set. The pod-name label is what the headless service's per-pod selection relies on.
func identityMatches(set *apps.StatefulSet, pod *v1.Pod) bool {
	parent, ordinal := getParentNameAndOrdinal(pod)
	return ordinal >= 0 &&
		set.Name == parent &&
		pod.Name == getPodName(set, ordinal) &&
		pod.Namespace == set.Namespace &&
		pod.Labels[apps.StatefulSetPodNameLabel] == pod.Name
}

// storageMatches tells whether pod mounts, under each claim template's name, the claim of its
// ordinal.
func storageMatches(set *apps.StatefulSet, pod *v1.Pod) bool {
	ordinal := getOrdinal(pod)
	if ordinal < 0 {
		return false
	}
	volumes := make(map[string]v1.Volume, len(pod.Spec.Volumes))
	for _, volume := range pod.Spec.Volumes {
		volumes[volume.Name] = volume
	}
	for i := range set.Spec.VolumeClaimTemplates {
		template := &set.Spec.VolumeClaimTemplates[i]
		volume, found := volumes[template.Name]
		if !found || volume.PersistentVolumeClaim == nil ||
			volume.PersistentVolumeClaim.ClaimName != getPersistentVolumeClaimName(set, template, ordinal) {
			return false
		}
	}
	return true
}

// getPersistentVolumeClaims returns the claims pod should have, one per template, in template
// order: the template with the per-pod name, the set's namespace, and the template's labels
// overlaid with the selector's matchLabels (as upstream; matchExpressions are not copied).
func getPersistentVolumeClaims(set *apps.StatefulSet, pod *v1.Pod) []*v1.PersistentVolumeClaim {
	ordinal := getOrdinal(pod)
	claims := make([]*v1.PersistentVolumeClaim, 0, len(set.Spec.VolumeClaimTemplates))
	for i := range set.Spec.VolumeClaimTemplates {
		claim := set.Spec.VolumeClaimTemplates[i].DeepCopy()
		claim.Name = getPersistentVolumeClaimName(set, &set.Spec.VolumeClaimTemplates[i], ordinal)
		claim.Namespace = set.Namespace
		if claim.Labels == nil && set.Spec.Selector != nil && len(set.Spec.Selector.MatchLabels) > 0 {
			claim.Labels = make(map[string]string, len(set.Spec.Selector.MatchLabels))
		}
		if set.Spec.Selector != nil {
			for k, v := range set.Spec.Selector.MatchLabels {
				claim.Labels[k] = v
			}
		}
		// The template's status (phase Pending from defaulting) means nothing for a new claim.
		claim.Status = v1.PersistentVolumeClaimStatus{}
		claims = append(claims, claim)
	}
	return claims
}

// updateStorage makes pod mount its claims: one volume per template, named after it, replacing
// any template volume of the same name; the pod's other volumes follow.
func updateStorage(set *apps.StatefulSet, pod *v1.Pod) {
	claims := getPersistentVolumeClaims(set, pod)
	byTemplate := make(map[string]bool, len(claims))
	volumes := make([]v1.Volume, 0, len(claims)+len(pod.Spec.Volumes))
	for i, claim := range claims {
		name := set.Spec.VolumeClaimTemplates[i].Name
		byTemplate[name] = true
		volumes = append(volumes, v1.Volume{
			Name: name,
			VolumeSource: v1.VolumeSource{PersistentVolumeClaim: &v1.PersistentVolumeClaimVolumeSource{
				ClaimName: claim.Name,
			}},
		})
	}
	for _, volume := range pod.Spec.Volumes {
		if !byTemplate[volume.Name] {
			volumes = append(volumes, volume)
		}
	}
	pod.Spec.Volumes = volumes
}

// initIdentity gives a new pod its identity, including the hostname and subdomain that the
// API makes immutable once the pod exists.
func initIdentity(set *apps.StatefulSet, pod *v1.Pod) {
	updateIdentity(set, pod)
	pod.Spec.Hostname = pod.Name
	pod.Spec.Subdomain = set.Spec.ServiceName
}

// updateIdentity sets pod's name, namespace and identity labels (pod-name and pod-index) from
// its ordinal.
func updateIdentity(set *apps.StatefulSet, pod *v1.Pod) {
	ordinal := getOrdinal(pod)
	pod.Name = getPodName(set, ordinal)
	pod.Namespace = set.Namespace
	if pod.Labels == nil {
		pod.Labels = make(map[string]string)
	}
	pod.Labels[apps.StatefulSetPodNameLabel] = pod.Name
	pod.Labels[apps.PodIndexLabel] = strconv.Itoa(ordinal)
}

// getPodReadyCondition returns pod's Ready condition, or nil.
func getPodReadyCondition(pod *v1.Pod) *v1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == v1.PodReady {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

// isPodReady tells whether pod's Ready condition is True.
func isPodReady(pod *v1.Pod) bool {
	c := getPodReadyCondition(pod)
	return c != nil && c.Status == v1.ConditionTrue
}

// isRunningAndReady tells whether pod is in phase Running with Ready=True.
func isRunningAndReady(pod *v1.Pod) bool {
	return pod.Status.Phase == v1.PodRunning && isPodReady(pod)
}

// isRunningAndAvailable tells whether pod has been Ready for minReadySeconds at now (strictly
// longer, as upstream's IsPodAvailable). Despite the name, upstream checks only readiness here.
func isRunningAndAvailable(pod *v1.Pod, minReadySeconds int32, now time.Time) bool {
	if !isPodReady(pod) {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	c := getPodReadyCondition(pod)
	return !c.LastTransitionTime.IsZero() &&
		c.LastTransitionTime.Add(time.Duration(minReadySeconds)*time.Second).Before(now)
}

// isCreated tells whether pod exists in the API: the server gives every pod a phase, while a
// pod this controller built and has not created yet has none.
func isCreated(pod *v1.Pod) bool { return pod.Status.Phase != "" }

func isPending(pod *v1.Pod) bool   { return pod.Status.Phase == v1.PodPending }
func isFailed(pod *v1.Pod) bool    { return pod.Status.Phase == v1.PodFailed }
func isSucceeded(pod *v1.Pod) bool { return pod.Status.Phase == v1.PodSucceeded }

// isTerminating tells whether pod is being deleted.
func isTerminating(pod *v1.Pod) bool { return pod.DeletionTimestamp != nil }

// isHealthy tells whether pod is Running, Ready and not being deleted.
func isHealthy(pod *v1.Pod) bool { return isRunningAndReady(pod) && !isTerminating(pod) }

// isUnavailable tells whether pod does not count as available: unhealthy, or Ready for less
// than minReadySeconds.
func isUnavailable(pod *v1.Pod, minReadySeconds int32, now time.Time) bool {
	return !isHealthy(pod) || !isRunningAndAvailable(pod, minReadySeconds, now)
}

// allowsBurst tells whether set's pods are managed in parallel rather than one at a time.
func allowsBurst(set *apps.StatefulSet) bool {
	return set.Spec.PodManagementPolicy == apps.ParallelPodManagement
}

// setPodRevision labels pod with the name of its ControllerRevision.
func setPodRevision(pod *v1.Pod, revision string) {
	if pod.Labels == nil {
		pod.Labels = make(map[string]string)
	}
	pod.Labels[apps.StatefulSetRevisionLabel] = revision
}

// getPodRevision returns the ControllerRevision name pod is labelled with, or "".
func getPodRevision(pod *v1.Pod) string {
	return pod.Labels[apps.StatefulSetRevisionLabel]
}

// newStatefulSetPod builds (does not create) set's pod with the given ordinal from set's
// template: template labels, annotations and finalizers, a controller reference to set,
// identity, and claim volumes. generateName is set as upstream's GetPodFromTemplate does; the
// server ignores it because the name is given.
func newStatefulSetPod(set *apps.StatefulSet, ordinal int) *v1.Pod {
	template := &set.Spec.Template
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:            getPodName(set, ordinal),
			GenerateName:    set.Name + "-",
			Labels:          copyMap(template.Labels),
			Annotations:     copyMap(template.Annotations),
			Finalizers:      slices.Clone(template.Finalizers),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(set, controllerKind)},
		},
		Spec: *template.Spec.DeepCopy(),
	}
	initIdentity(set, pod)
	updateStorage(set, pod)
	return pod
}

// newVersionedStatefulSetPod builds the pod with the given ordinal at the revision it should
// have: the current revision below the partition (relative to ordinals.start), the update
// revision otherwise (and always for OnDelete). currentSet and updateSet are the set with the
// current and update revision's template applied.
func newVersionedStatefulSetPod(currentSet, updateSet *apps.StatefulSet, currentRevision, updateRevision string, ordinal int) *v1.Pod {
	if useCurrentRevision(currentSet, ordinal) {
		pod := newStatefulSetPod(currentSet, ordinal)
		setPodRevision(pod, currentRevision)
		return pod
	}
	pod := newStatefulSetPod(updateSet, ordinal)
	setPodRevision(pod, updateRevision)
	return pod
}

// useCurrentRevision tells whether a new pod with this ordinal is built at the current
// revision. Without a rollingUpdate block (which a defaulting server always fills in for
// RollingUpdate) upstream keeps the first status.currentReplicas ordinals current.
func useCurrentRevision(set *apps.StatefulSet, ordinal int) bool {
	strategy := set.Spec.UpdateStrategy
	start := getStartOrdinal(set)
	switch {
	case strategy.RollingUpdate != nil && strategy.RollingUpdate.Partition != nil:
		return ordinal < start+int(*strategy.RollingUpdate.Partition)
	case strategy.RollingUpdate != nil:
		return false
	case strategy.Type == apps.RollingUpdateStatefulSetStrategyType:
		return ordinal < start+int(set.Status.CurrentReplicas)
	}
	return false
}

// getPartition returns the rolling update's partition, 0 if none.
func getPartition(set *apps.StatefulSet) int {
	if ru := set.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
		return int(*ru.Partition)
	}
	return 0
}

// sortByOrdinal sorts pods by ascending ordinal.
func sortByOrdinal(pods []*v1.Pod) {
	slices.SortStableFunc(pods, func(a, b *v1.Pod) int { return cmp.Compare(getOrdinal(a), getOrdinal(b)) })
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
