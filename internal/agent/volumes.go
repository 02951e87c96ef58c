package agent

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

// volumeFacts is what the API holds about the objects a pod's volumes name: the input of
// checkVolumes, fetched by the worker.
type volumeFacts struct {
	// Claims by name; a missing entry means the claim does not exist.
	Claims map[string]*corev1.PersistentVolumeClaim
	// Volumes (PVs) by name; a missing entry means the volume does not exist.
	Volumes map[string]*corev1.PersistentVolume
	// ConfigMaps and Secrets by name: present or not.
	ConfigMaps map[string]bool
	Secrets    map[string]bool
	// ConfigMapObjects and SecretObjects are those that exist, for the runtime to write
	// the volumes' files.
	ConfigMapObjects map[string]*corev1.ConfigMap
	SecretObjects    map[string]*corev1.Secret
	// Users are the other pods of the namespace that use any of the pod's claims.
	Users []*corev1.Pod
}

// volumeProblem is why a pod cannot mount its volumes yet, as the event that says so.
type volumeProblem struct {
	Reason    string // FailedMount or FailedAttachVolume
	Message   string
	Component string // who reports it upstream: the kubelet or the attach/detach controller
}

// claimName returns the claim a pod volume uses, if any: its persistentVolumeClaim, or the
// claim an ephemeral volume gets (<pod>-<volume>).
func claimName(pod *corev1.Pod, v *corev1.Volume) string {
	switch {
	case v.PersistentVolumeClaim != nil:
		return v.PersistentVolumeClaim.ClaimName
	case v.Ephemeral != nil:
		return pod.Name + "-" + v.Name
	}
	return ""
}

// checkVolumes decides whether a pod's volumes can be mounted on node, and if not, why, in
// upstream's words. It returns the bound PV of each claim-backed volume when they can.
//
// A claim must exist, not be being deleted, and be Bound to an existing volume. A volume
// that allows only one node (no ReadWriteMany or ReadOnlyMany access mode, as upstream's
// IsMultiAttachAllowed) must not be in use by a running pod on another node: the
// attach/detach controller would refuse to attach it ("Multi-Attach error").
// Non-optional config maps and secrets must exist.
func checkVolumes(pod *corev1.Pod, facts volumeFacts, node string) (map[string]*corev1.PersistentVolume, *volumeProblem) {
	bound := map[string]*corev1.PersistentVolume{}
	var failed []string
	var reason string
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		if name := claimName(pod, v); name != "" {
			pv, why := claimVolume(pod.Namespace, name, facts)
			if why != "" {
				failed = append(failed, v.Name)
				if reason == "" {
					reason = why
				}
				continue
			}
			if users := otherNodeUsers(pod, name, facts.Users, node); len(users) > 0 && !multiAttachAllowed(pv) {
				return nil, &volumeProblem{Reason: reasonFailedAttach, Component: componentAttachDetach,
					Message: fmt.Sprintf("Multi-Attach error for volume %q Volume is already used by pod(s) %s", pv.Name, strings.Join(users, ", "))}
			}
			bound[v.Name] = pv
			continue
		}
		switch {
		case v.ConfigMap != nil && !optional(v.ConfigMap.Optional) && !facts.ConfigMaps[v.ConfigMap.Name]:
			return nil, &volumeProblem{Reason: reasonFailedMount, Component: componentKubelet,
				Message: fmt.Sprintf("MountVolume.SetUp failed for volume %q : configmap %q not found", v.Name, v.ConfigMap.Name)}
		case v.Secret != nil && !optional(v.Secret.Optional) && !facts.Secrets[v.Secret.SecretName]:
			return nil, &volumeProblem{Reason: reasonFailedMount, Component: componentKubelet,
				Message: fmt.Sprintf("MountVolume.SetUp failed for volume %q : secret %q not found", v.Name, v.Secret.SecretName)}
		}
	}
	if len(failed) > 0 {
		list := bracketList(failed)
		return nil, &volumeProblem{Reason: reasonFailedMount, Component: componentKubelet,
			Message: fmt.Sprintf("Unable to attach or mount volumes: unmounted volumes=%s, unattached volumes=%s, failed to process volumes=%s: %s", list, list, list, reason)}
	}
	return bound, nil
}

// claimVolume returns the volume a claim is bound to, or why it cannot be used (upstream's
// desired-state populator wording).
func claimVolume(ns, name string, facts volumeFacts) (*corev1.PersistentVolume, string) {
	claim := facts.Claims[name]
	switch {
	case claim == nil:
		return nil, fmt.Sprintf("error processing PVC %s/%s: failed to fetch PVC from API server: persistentvolumeclaims %q not found", ns, name, name)
	case claim.DeletionTimestamp != nil:
		return nil, fmt.Sprintf("error processing PVC %s/%s: can't start pod because PVC %s/%s is being deleted", ns, name, ns, name)
	case claim.Status.Phase != corev1.ClaimBound || claim.Spec.VolumeName == "":
		return nil, fmt.Sprintf("error processing PVC %s/%s: PVC is not bound", ns, name)
	}
	pv := facts.Volumes[claim.Spec.VolumeName]
	if pv == nil {
		return nil, fmt.Sprintf("error processing PVC %s/%s: failed to fetch PV %s from API server: persistentvolumes %q not found", ns, name, claim.Spec.VolumeName, claim.Spec.VolumeName)
	}
	return pv, ""
}

// otherNodeUsers names the pods on other nodes that use the claim and hold its volume
// attached there: those that got as far as starting (a pod still waiting for the volume
// holds nothing) and have not finished (a terminating pod still has it mounted).
//
// Two pods starting at the same moment on two nodes can both see the volume free: unlike
// upstream's attach/detach controller, nothing serialises the agents' decisions.
func otherNodeUsers(pod *corev1.Pod, claim string, users []*corev1.Pod, node string) []string {
	var names []string
	for _, u := range users {
		if u.UID == pod.UID || u.Spec.NodeName == "" || u.Spec.NodeName == node || isTerminal(u.Status.Phase) || !podStarted(u) {
			continue
		}
		for i := range u.Spec.Volumes {
			if claimName(u, &u.Spec.Volumes[i]) == claim {
				names = append(names, u.Name)
				break
			}
		}
	}
	sort.Strings(names)
	return names
}

// podStarted reports a pod whose sandbox was set up, which is when its volumes were attached.
func podStarted(pod *corev1.Pod) bool {
	if pod.Status.Phase == corev1.PodRunning {
		return true
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReadyToStartContainers && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	for _, cs := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		if cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil {
			return true
		}
	}
	return false
}

func multiAttachAllowed(pv *corev1.PersistentVolume) bool {
	if len(pv.Spec.AccessModes) == 0 {
		return true
	}
	for _, m := range pv.Spec.AccessModes {
		if m == corev1.ReadWriteMany || m == corev1.ReadOnlyMany {
			return true
		}
	}
	return false
}

func optional(b *bool) bool { return b != nil && *b }

// fetchVolumeFacts reads, live, what checkVolumes needs. The agent does not keep informers
// on claims, volumes or other nodes' pods: it needs them only while a pod waits to start,
// and a simulated cluster runs many agents.
func (a *Agent) fetchVolumeFacts(ctx context.Context, pod *corev1.Pod) (volumeFacts, error) {
	facts := volumeFacts{
		Claims: map[string]*corev1.PersistentVolumeClaim{}, Volumes: map[string]*corev1.PersistentVolume{},
		ConfigMaps: map[string]bool{}, Secrets: map[string]bool{},
		ConfigMapObjects: map[string]*corev1.ConfigMap{}, SecretObjects: map[string]*corev1.Secret{},
	}
	core := a.client.CoreV1()
	needUsers := false
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		switch name := claimName(pod, v); {
		case name != "":
			claim, err := core.PersistentVolumeClaims(pod.Namespace).Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return facts, err
			}
			facts.Claims[name] = claim
			if claim.Spec.VolumeName == "" {
				continue
			}
			pv, err := core.PersistentVolumes().Get(ctx, claim.Spec.VolumeName, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return facts, err
			}
			facts.Volumes[pv.Name] = pv
			needUsers = needUsers || !multiAttachAllowed(pv)
		case v.ConfigMap != nil:
			if err := a.fetchConfigMap(ctx, pod.Namespace, v.ConfigMap.Name, &facts); err != nil {
				return facts, err
			}
		case v.Secret != nil:
			if err := a.fetchSecret(ctx, pod.Namespace, v.Secret.SecretName, &facts); err != nil {
				return facts, err
			}
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				var err error
				switch {
				case src.ConfigMap != nil:
					err = a.fetchConfigMap(ctx, pod.Namespace, src.ConfigMap.Name, &facts)
				case src.Secret != nil:
					err = a.fetchSecret(ctx, pod.Namespace, src.Secret.Name, &facts)
				}
				if err != nil {
					return facts, err
				}
			}
		}
	}
	if needUsers {
		list, err := core.Pods(pod.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return facts, err
		}
		for i := range list.Items {
			facts.Users = append(facts.Users, &list.Items[i])
		}
	}
	return facts, nil
}

func (a *Agent) fetchConfigMap(ctx context.Context, ns, name string, facts *volumeFacts) error {
	if _, done := facts.ConfigMaps[name]; done {
		return nil
	}
	cm, err := a.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	facts.ConfigMaps[name] = err == nil
	if err == nil {
		facts.ConfigMapObjects[name] = cm
	}
	return nil
}

func (a *Agent) fetchSecret(ctx context.Context, ns, name string, facts *volumeFacts) error {
	if _, done := facts.Secrets[name]; done {
		return nil
	}
	s, err := a.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	facts.Secrets[name] = err == nil
	if err == nil {
		facts.SecretObjects[name] = s
	}
	return nil
}

// hasContentVolumes reports a pod with volumes whose files come from API objects or from
// the pod itself, which the runtime rewrites when they change.
func hasContentVolumes(pod *corev1.Pod) bool {
	for _, v := range pod.Spec.Volumes {
		if v.ConfigMap != nil || v.Secret != nil || v.Projected != nil || v.DownwardAPI != nil {
			return true
		}
	}
	return false
}

// refreshVolumes hands the runtime fresh config maps and secrets for a running pod's
// volumes every VolumeRefreshPeriod (upstream's kubelet resyncs them about every minute)
// and returns when it is due next; zero when the pod has no such volumes.
func (w *podWorker) refreshVolumes(ctx context.Context, pod *corev1.Pod, now time.Time) time.Time {
	if !hasContentVolumes(pod) {
		return time.Time{}
	}
	period := w.agent.cfg.VolumeRefreshPeriod
	if next := w.volumesRefreshed.Add(period); now.Before(next) {
		return next
	}
	facts, err := w.agent.fetchVolumeFacts(ctx, pod)
	if err != nil {
		return now.Add(retryPeriod)
	}
	config := &runtime.SandboxConfig{Pod: pod, ConfigMaps: facts.ConfigMapObjects, Secrets: facts.SecretObjects}
	if err := w.agent.runtime.UpdatePodVolumes(ctx, config); err != nil {
		slog.Warn("agent: updating volumes", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		return now.Add(retryPeriod)
	}
	w.volumesRefreshed = now
	return now.Add(period)
}

// podIPs are the pod's addresses for its containers' environment: the sandbox's, which
// the API may not show yet when the first container is created.
func (w *podWorker) podIPs(ctx context.Context, pod *corev1.Pod) []string {
	if rs, err := w.agent.runtime.PodStatus(ctx, pod.UID); err == nil && len(rs.IPs) > 0 {
		return rs.IPs
	}
	var ips []string
	for _, ip := range pod.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	if len(ips) == 0 && pod.Spec.HostNetwork && w.agent.machine.InternalIP != "" {
		ips = []string{w.agent.machine.InternalIP}
	}
	return ips
}
