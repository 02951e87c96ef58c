package agent

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"ordinal.dev/ordinal/internal/runtime"
)

// Node condition reasons and messages, as upstream kubelet sets them.
const (
	reasonKubeletReady         = "KubeletReady"
	reasonKubeletNotReady      = "KubeletNotReady"
	reasonSufficientMemoryCond = "KubeletHasSufficientMemory"
	reasonNoDiskPressureCond   = "KubeletHasNoDiskPressure"
	reasonSufficientPIDCond    = "KubeletHasSufficientPID"
	messageNetworkNotReady     = "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:pod CIDR not assigned yet"
)

// nodeLabels are the well-known labels every node carries (shared contracts), with the
// beta spellings upstream kubelet still sets, plus the configured ones.
func nodeLabels(name string, m Machine, extra map[string]string) map[string]string {
	labels := map[string]string{
		corev1.LabelHostname:      name,
		corev1.LabelOSStable:      m.SystemInfo.OperatingSystem,
		corev1.LabelArchStable:    m.SystemInfo.Architecture,
		"beta.kubernetes.io/os":   m.SystemInfo.OperatingSystem,
		"beta.kubernetes.io/arch": m.SystemInfo.Architecture,
	}
	maps.Copy(labels, extra)
	return labels
}

// nodeAnnotations are those upstream kubelet puts on its node.
func nodeAnnotations() map[string]string {
	return map[string]string{
		"node.alpha.kubernetes.io/ttl":                           "0",
		"volumes.kubernetes.io/controller-managed-attach-detach": "true",
	}
}

// nodeReadiness says whether the node can run pods and, if not, why.
type nodeReadiness struct {
	Ready   bool
	Message string
}

// nodeStatus computes the node's status at now from the machine and the previous status:
// capacity (allocatable is the same), conditions with upstream's reasons (a condition keeps
// its lastTransitionTime while its status holds; lastHeartbeatTime is now), addresses,
// daemon endpoints and system info.
func nodeStatus(m Machine, version runtime.VersionInfo, port int32, old corev1.NodeStatus, r nodeReadiness, now time.Time) corev1.NodeStatus {
	t := metav1.NewTime(now.Truncate(time.Second))
	info := m.SystemInfo
	info.KubeletVersion = KubeletVersion
	info.ContainerRuntimeVersion = version.String()
	ready := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: reasonKubeletReady, Message: "kubelet is posting ready status"}
	if !r.Ready {
		ready.Status, ready.Reason, ready.Message = corev1.ConditionFalse, reasonKubeletNotReady, r.Message
	}
	conditions := []corev1.NodeCondition{
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: reasonSufficientMemoryCond, Message: "kubelet has sufficient memory available"},
		{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: reasonNoDiskPressureCond, Message: "kubelet has no disk pressure"},
		{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: reasonSufficientPIDCond, Message: "kubelet has sufficient PID available"},
		ready,
	}
	for i := range conditions {
		conditions[i].LastHeartbeatTime = t
		conditions[i].LastTransitionTime = t
		for _, o := range old.Conditions {
			if o.Type == conditions[i].Type && o.Status == conditions[i].Status && !o.LastTransitionTime.IsZero() {
				conditions[i].LastTransitionTime = o.LastTransitionTime
			}
		}
	}
	// Conditions other components own (NetworkUnavailable, custom ones) are kept.
	for _, o := range old.Conditions {
		switch o.Type {
		case corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure, corev1.NodeReady:
		default:
			conditions = append(conditions, o)
		}
	}
	addresses := []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: m.InternalIP}, {Type: corev1.NodeHostName, Address: m.Hostname}}
	return corev1.NodeStatus{
		Capacity:        m.Capacity.DeepCopy(),
		Allocatable:     m.Capacity.DeepCopy(),
		Phase:           old.Phase,
		Conditions:      conditions,
		Addresses:       addresses,
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: port}},
		NodeInfo:        info,
		Images:          old.Images,
		VolumesInUse:    old.VolumesInUse,
		VolumesAttached: old.VolumesAttached,
		Config:          old.Config,
		RuntimeHandlers: old.RuntimeHandlers,
		Features:        old.Features,
	}
}

// needsReport says whether a new status must be written: it differs from the stored one in
// more than heartbeat times, or the last write is older than the report frequency.
func needsReport(old, cur corev1.NodeStatus, lastReport, now time.Time, every time.Duration) bool {
	if lastReport.IsZero() || now.Sub(lastReport) >= every {
		return true
	}
	a, b := old.DeepCopy(), cur.DeepCopy()
	for _, s := range []*corev1.NodeStatus{a, b} {
		for i := range s.Conditions {
			s.Conditions[i].LastHeartbeatTime = metav1.Time{}
		}
	}
	return !apiequality.Semantic.DeepEqual(a, b)
}

// conditionEvents names the events upstream records when a node condition changes.
func conditionEvents(old, cur []corev1.NodeCondition) []string {
	var out []string
	for _, c := range cur {
		var prev *corev1.NodeCondition
		for i := range old {
			if old[i].Type == c.Type {
				prev = &old[i]
			}
		}
		if prev != nil && prev.Status == c.Status {
			continue
		}
		switch {
		case c.Type == corev1.NodeMemoryPressure && c.Status == corev1.ConditionFalse:
			out = append(out, reasonSufficientMemory)
		case c.Type == corev1.NodeDiskPressure && c.Status == corev1.ConditionFalse:
			out = append(out, reasonNoDiskPressure)
		case c.Type == corev1.NodePIDPressure && c.Status == corev1.ConditionFalse:
			out = append(out, reasonSufficientPID)
		case c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue:
			out = append(out, reasonNodeReady)
		case c.Type == corev1.NodeReady:
			out = append(out, reasonNodeNotReady)
		}
	}
	return out
}

// registerNode creates the node, or, if it exists (an agent restart), brings its labels and
// annotations up to date. Its spec (podCIDR, taints) is never touched.
func (a *Agent) registerNode(ctx context.Context) error {
	for {
		err := a.tryRegisterNode(ctx)
		if err == nil {
			return nil
		}
		slog.Warn("agent: registering node", "node", a.nodeName, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("registering node %s: %w", a.nodeName, err)
		case <-a.clock.After(time.Second):
		}
	}
}

func (a *Agent) tryRegisterNode(ctx context.Context) error {
	nodes := a.client.CoreV1().Nodes()
	labels, annotations := nodeLabels(a.nodeName, a.machine, a.cfg.Labels), nodeAnnotations()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: a.nodeName, Labels: labels, Annotations: annotations},
		Status:     nodeStatus(a.machine, a.version, a.cfg.KubeletPort, corev1.NodeStatus{}, a.readiness(ctx), a.clock.Now()),
	}
	created, err := nodes.Create(ctx, node, metav1.CreateOptions{FieldManager: componentKubelet})
	if err == nil {
		a.nodeEvents(nil, created.Status.Conditions)
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	existing, err := nodes.Get(ctx, a.nodeName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	updated := existing.DeepCopy()
	if updated.Labels == nil {
		updated.Labels = map[string]string{}
	}
	if updated.Annotations == nil {
		updated.Annotations = map[string]string{}
	}
	maps.Copy(updated.Labels, labels)
	maps.Copy(updated.Annotations, annotations)
	if maps.Equal(updated.Labels, existing.Labels) && maps.Equal(updated.Annotations, existing.Annotations) {
		return nil
	}
	_, err = nodes.Update(ctx, updated, metav1.UpdateOptions{FieldManager: componentKubelet})
	return err
}

// readiness says whether the node can take pods: the runtime answers and the pod network
// (the node's pod CIDR) is set up.
func (a *Agent) readiness(ctx context.Context) nodeReadiness {
	if _, err := a.runtime.Version(ctx); err != nil {
		return nodeReadiness{Message: "container runtime is down: " + err.Error()}
	}
	a.mu.Lock()
	cidr := a.podCIDR
	a.mu.Unlock()
	if cidr == "" {
		return nodeReadiness{Message: messageNetworkNotReady}
	}
	return nodeReadiness{Ready: true}
}

// nodeStatusLoop computes the node's status every NodeStatusUpdateFrequency (and at once
// when the network comes up) and writes it when it changed or the heartbeat is due.
func (a *Agent) nodeStatusLoop(ctx context.Context) {
	if !waitForSync(ctx, a.nodeSynced) {
		return
	}
	// After a restart the node already has its pod CIDR: hand it to the runtime before
	// the first report, or the node would flap NotReady.
	a.applyPodCIDR(ctx)
	ticker := a.clock.NewTicker(a.cfg.NodeStatusUpdateFrequency)
	defer ticker.Stop()
	var lastReport time.Time
	for {
		if now := a.clock.Now(); a.updateNodeStatus(ctx, lastReport, now) {
			lastReport = now
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
		case <-a.statusNow:
		}
	}
}

// updateNodeStatus writes the node's status if needed and reports whether it did.
func (a *Agent) updateNodeStatus(ctx context.Context, lastReport, now time.Time) bool {
	nodes := a.client.CoreV1().Nodes()
	node, err := a.nodeLister.Get(a.nodeName)
	if apierrors.IsNotFound(err) {
		// Deleted by someone: register again, as upstream kubelet does on restart.
		if err := a.tryRegisterNode(ctx); err != nil {
			slog.Warn("agent: re-registering node", "node", a.nodeName, "err", err)
		}
		return false
	}
	if err != nil {
		slog.Warn("agent: reading node", "node", a.nodeName, "err", err)
		return false
	}
	status := nodeStatus(a.machine, a.version, a.cfg.KubeletPort, node.Status, a.readiness(ctx), now)
	if !needsReport(node.Status, status, lastReport, now, a.cfg.NodeStatusReportFrequency) {
		return false
	}
	updated := node.DeepCopy()
	updated.Status = status
	if _, err := nodes.UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: componentKubelet}); err != nil {
		if !apierrors.IsConflict(err) { // a conflict: the cache is behind; the next tick reads again
			slog.Warn("agent: writing node status", "node", a.nodeName, "err", err)
		}
		return false
	}
	a.nodeEvents(node.Status.Conditions, status.Conditions)
	return true
}

func waitForSync(ctx context.Context, synced ...cache.InformerSynced) bool {
	return cache.WaitForCacheSync(ctx.Done(), synced...)
}

func (a *Agent) nodeEvents(old, cur []corev1.NodeCondition) {
	for _, reason := range conditionEvents(old, cur) {
		a.recorder.Eventf(nodeRef(a.nodeName), corev1.EventTypeNormal, reason, "Node %s status is now: %s", a.nodeName, reason)
	}
}

// networkLoop hands the node's pod CIDR to the runtime once nodeipam has assigned it, and
// then wakes the pods that waited for it and refreshes the node's Ready condition.
func (a *Agent) networkLoop(ctx context.Context) {
	if !waitForSync(ctx, a.nodeSynced) {
		return
	}
	for {
		retry := a.applyPodCIDR(ctx)
		var timeout <-chan time.Time
		if retry {
			timeout = a.clock.After(retryPeriod)
		}
		select {
		case <-ctx.Done():
			return
		case <-a.networkChanged:
		case <-timeout:
		}
	}
}

// applyPodCIDR passes a new pod CIDR to the runtime; it reports whether to try again.
func (a *Agent) applyPodCIDR(ctx context.Context) bool {
	node, err := a.nodeLister.Get(a.nodeName)
	if err != nil || node.Spec.PodCIDR == "" {
		return false
	}
	a.mu.Lock()
	current := a.podCIDR
	a.mu.Unlock()
	if node.Spec.PodCIDR == current {
		return false
	}
	if err := a.runtime.UpdatePodCIDR(ctx, node.Spec.PodCIDR); err != nil {
		slog.Warn("agent: configuring pod network", "node", a.nodeName, "cidr", node.Spec.PodCIDR, "err", err)
		return true
	}
	a.mu.Lock()
	a.podCIDR = node.Spec.PodCIDR
	workers := make([]*podWorker, 0, len(a.workers))
	for _, w := range a.workers {
		workers = append(workers, w)
	}
	a.mu.Unlock()
	for _, w := range workers {
		w.wakeUp()
	}
	signal(a.statusNow)
	return false
}

// networkReady: pods can get an IP on this node (or need none).
func (a *Agent) networkReady(pod *corev1.Pod) bool {
	if pod.Spec.HostNetwork {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.podCIDR != ""
}
