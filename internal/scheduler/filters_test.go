package scheduler

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// filterCase is one plugin's answer for one pod on one node of a cluster.
type filterCase struct {
	name    string
	cluster cluster
	pod     *corev1.Pod
	node    string
	// want is the status: "" for success, else "<code>: <reasons>" with code u
	// (Unschedulable) or uu (UnschedulableAndUnresolvable); a pre-filter's status is
	// prefixed "pre ".
	want string
}

func renderStatus(s *status) string {
	if s.isSuccess() {
		return ""
	}
	code := "u"
	if s.code == unschedulableAndUnresolvable {
		code = "uu"
	}
	return code + ": " + strings.Join(s.reasons, "; ")
}

// runFilter runs every pre-filter, then the named plugin's filter on the node.
func runFilter(t *testing.T, plugin string, c filterCase) string {
	t.Helper()
	snap := c.cluster.snapshot()
	cs := newCycleState(newPodInfo(c.pod), snap)
	for i := range plugins {
		if p := &plugins[i]; p.preFilter != nil {
			if _, s := p.preFilter(cs); !s.isSuccess() {
				return "pre " + renderStatus(s)
			}
		}
	}
	n := snap.byName[c.node]
	if n == nil {
		t.Fatalf("no node %q", c.node)
	}
	for i := range plugins {
		if plugins[i].name == plugin {
			return renderStatus(plugins[i].filter(cs, n))
		}
	}
	t.Fatalf("no plugin %q", plugin)
	return ""
}

func runFilterCases(t *testing.T, plugin string, cases []filterCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := runFilter(t, plugin, c); got != c.want {
				t.Errorf("%s on %s:\n got  %q\n want %q", plugin, c.node, got, c.want)
			}
		})
	}
}

func oneNode(opts ...nodeOpt) cluster {
	return cluster{nodes: []*corev1.Node{makeNode("a", "4", "8Gi", opts...)}}
}

func TestNodeUnschedulable(t *testing.T) {
	runFilterCases(t, "NodeUnschedulable", []filterCase{
		{name: "schedulable", cluster: oneNode(), pod: makePod("p"), node: "a", want: ""},
		{name: "cordoned", cluster: oneNode(cordoned()), pod: makePod("p"), node: "a", want: "uu: node(s) were unschedulable"},
		{name: "cordoned, tolerated", cluster: oneNode(cordoned()),
			pod:  makePod("p", tolerate(corev1.Toleration{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})),
			node: "a", want: ""},
		{name: "cordoned, tolerate everything", cluster: oneNode(cordoned()),
			pod:  makePod("p", tolerate(corev1.Toleration{Operator: corev1.TolerationOpExists})),
			node: "a", want: ""},
	})
}

func TestTaintToleration(t *testing.T) {
	runFilterCases(t, "TaintToleration", []filterCase{
		{name: "no taints", cluster: oneNode(), pod: makePod("p"), node: "a"},
		{name: "NoSchedule untolerated", cluster: oneNode(withTaint("dedicated", "gpu", corev1.TaintEffectNoSchedule)),
			pod: makePod("p"), node: "a", want: "uu: node(s) had untolerated taint {dedicated: gpu}"},
		{name: "empty value", cluster: oneNode(withTaint("node-role.kubernetes.io/control-plane", "", corev1.TaintEffectNoSchedule)),
			pod: makePod("p"), node: "a", want: "uu: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"},
		{name: "NoExecute untolerated", cluster: oneNode(withTaint("k", "v", corev1.TaintEffectNoExecute)),
			pod: makePod("p"), node: "a", want: "uu: node(s) had untolerated taint {k: v}"},
		{name: "PreferNoSchedule only scores", cluster: oneNode(withTaint("k", "v", corev1.TaintEffectPreferNoSchedule)),
			pod: makePod("p"), node: "a"},
		{name: "tolerated by Equal", cluster: oneNode(withTaint("dedicated", "gpu", corev1.TaintEffectNoSchedule)),
			pod:  makePod("p", tolerate(corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu", Effect: corev1.TaintEffectNoSchedule})),
			node: "a"},
		{name: "Equal with another value", cluster: oneNode(withTaint("dedicated", "gpu", corev1.TaintEffectNoSchedule)),
			pod:  makePod("p", tolerate(corev1.Toleration{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule})),
			node: "a", want: "uu: node(s) had untolerated taint {dedicated: gpu}"},
		{name: "tolerated by Exists, any effect", cluster: oneNode(withTaint("dedicated", "gpu", corev1.TaintEffectNoExecute)),
			pod:  makePod("p", tolerate(corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpExists})),
			node: "a"},
		{name: "toleration for another effect", cluster: oneNode(withTaint("dedicated", "gpu", corev1.TaintEffectNoSchedule)),
			pod:  makePod("p", tolerate(corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute})),
			node: "a", want: "uu: node(s) had untolerated taint {dedicated: gpu}"},
		{name: "not-ready NoSchedule is not covered by the default NoExecute toleration",
			cluster: oneNode(withTaint(corev1.TaintNodeNotReady, "", corev1.TaintEffectNoSchedule)),
			pod:     makePod("p"), node: "a", want: "uu: node(s) had untolerated taint {node.kubernetes.io/not-ready: }"},
		{name: "not-ready NoExecute is tolerated by default", cluster: oneNode(withTaint(corev1.TaintNodeNotReady, "", corev1.TaintEffectNoExecute)),
			pod: makePod("p"), node: "a"},
		{name: "first untolerated taint is named", cluster: oneNode(withTaint("a", "1", corev1.TaintEffectNoSchedule), withTaint("b", "2", corev1.TaintEffectNoSchedule)),
			pod:  makePod("p", tolerate(corev1.Toleration{Key: "a", Operator: corev1.TolerationOpExists})),
			node: "a", want: "uu: node(s) had untolerated taint {b: 2}"},
	})
}

func TestNodeAffinity(t *testing.T) {
	zoned := oneNode(withLabel("zone", "z1"), withLabel("gen", "5"))
	runFilterCases(t, "NodeAffinity", []filterCase{
		{name: "nodeSelector matches", cluster: zoned, pod: makePod("p", nodeSelector("zone", "z1")), node: "a"},
		{name: "nodeSelector differs", cluster: zoned, pod: makePod("p", nodeSelector("zone", "z2")), node: "a", want: "uu: " + reasonNodeAffinity},
		{name: "nodeSelector label missing", cluster: zoned, pod: makePod("p", nodeSelector("disk", "ssd")), node: "a", want: "uu: " + reasonNodeAffinity},
		{name: "In", cluster: zoned, pod: makePod("p", requiredNodeTerms(expr("zone", corev1.NodeSelectorOpIn, "z0", "z1"))), node: "a"},
		{name: "In, no match", cluster: zoned, pod: makePod("p", requiredNodeTerms(expr("zone", corev1.NodeSelectorOpIn, "z2"))), node: "a", want: "uu: " + reasonNodeAffinity},
		{name: "NotIn", cluster: zoned, pod: makePod("p", requiredNodeTerms(expr("zone", corev1.NodeSelectorOpNotIn, "z1"))), node: "a", want: "uu: " + reasonNodeAffinity},
		{name: "NotIn, label missing", cluster: zoned, pod: makePod("p", requiredNodeTerms(expr("disk", corev1.NodeSelectorOpNotIn, "hdd"))), node: "a"},
		{name: "Exists", cluster: zoned, pod: makePod("p", requiredNodeTerms(expr("zone", corev1.NodeSelectorOpExists))), node: "a"},
		{name: "DoesNotExist", cluster: zoned, pod: makePod("p", requiredNodeTerms(expr("zone", corev1.NodeSelectorOpDoesNotExist))), node: "a", want: "uu: " + reasonNodeAffinity},
		{name: "Gt", cluster: zoned, pod: makePod("p", requiredNodeTerms(expr("gen", corev1.NodeSelectorOpGt, "4"))), node: "a"},
		{name: "Gt, equal", cluster: zoned, pod: makePod("p", requiredNodeTerms(expr("gen", corev1.NodeSelectorOpGt, "5"))), node: "a", want: "uu: " + reasonNodeAffinity},
		{name: "Lt", cluster: zoned, pod: makePod("p", requiredNodeTerms(expr("gen", corev1.NodeSelectorOpLt, "6"))), node: "a"},
		{name: "Lt, not a number", cluster: zoned, pod: makePod("p", requiredNodeTerms(expr("zone", corev1.NodeSelectorOpLt, "6"))), node: "a", want: "uu: " + reasonNodeAffinity},
		{name: "terms are ORed", cluster: zoned, pod: makePod("p", requiredNodeTerms(expr("zone", corev1.NodeSelectorOpIn, "z9"), expr("gen", corev1.NodeSelectorOpIn, "5"))), node: "a"},
		{name: "expressions are ANDed", cluster: zoned, pod: makePod("p", requiredNodeTerms(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
			{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"z1"}},
			{Key: "gen", Operator: corev1.NodeSelectorOpIn, Values: []string{"4"}},
		}})), node: "a", want: "uu: " + reasonNodeAffinity},
		{name: "empty term matches nothing", cluster: zoned, pod: makePod("p", requiredNodeTerms(corev1.NodeSelectorTerm{})), node: "a", want: "uu: " + reasonNodeAffinity},
		{name: "matchFields metadata.name", cluster: zoned, pod: makePod("p", requiredNodeTerms(nameIn("a"))), node: "a"},
		{name: "nodeSelector and affinity both apply", cluster: zoned, pod: makePod("p", nodeSelector("zone", "z2"), requiredNodeTerms(nameIn("a"))), node: "a", want: "uu: " + reasonNodeAffinity},
		{name: "matchFields in two terms that share no node", cluster: zoned, pod: makePod("p", requiredNodeTerms(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{
			{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}},
			{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{"b"}},
		}})), node: "a", want: "pre uu: " + reasonNodeAffinityConflict},
	})
}

func TestNodePorts(t *testing.T) {
	withPort := func(port int32, proto corev1.Protocol, ip string) cluster {
		c := oneNode()
		c.pods = []*corev1.Pod{makePod("web", onNode("a"), hostPortOpt(port, proto, ip))}
		return c
	}
	runFilterCases(t, "NodePorts", []filterCase{
		{name: "free", cluster: withPort(80, corev1.ProtocolTCP, ""), pod: makePod("p", hostPortOpt(8080, corev1.ProtocolTCP, "")), node: "a"},
		{name: "taken", cluster: withPort(80, corev1.ProtocolTCP, ""), pod: makePod("p", hostPortOpt(80, "", "")), node: "a", want: "u: " + reasonNodePorts},
		{name: "other protocol", cluster: withPort(53, corev1.ProtocolTCP, ""), pod: makePod("p", hostPortOpt(53, corev1.ProtocolUDP, "")), node: "a"},
		{name: "any address takes every address", cluster: withPort(80, corev1.ProtocolTCP, ""), pod: makePod("p", hostPortOpt(80, corev1.ProtocolTCP, "10.0.0.1")), node: "a", want: "u: " + reasonNodePorts},
		{name: "two addresses", cluster: withPort(80, corev1.ProtocolTCP, "10.0.0.1"), pod: makePod("p", hostPortOpt(80, corev1.ProtocolTCP, "10.0.0.2")), node: "a"},
		{name: "same address", cluster: withPort(80, corev1.ProtocolTCP, "10.0.0.1"), pod: makePod("p", hostPortOpt(80, corev1.ProtocolTCP, "10.0.0.1")), node: "a", want: "u: " + reasonNodePorts},
		{name: "no host ports", cluster: withPort(80, corev1.ProtocolTCP, ""), pod: makePod("p"), node: "a"},
	})
}

func TestNodeResourcesFit(t *testing.T) {
	// a: 4 cpu, 8Gi, with one pod requesting 3 cpu and 2Gi.
	busy := oneNode(withAllocatable("example.com/gpu", "1"))
	busy.pods = []*corev1.Pod{makePod("big", onNode("a"), requests("3", "2Gi"))}
	full := oneNode(withAllocatable(corev1.ResourcePods, "1"))
	full.pods = []*corev1.Pod{makePod("only", onNode("a"))}
	finished := oneNode()
	finished.pods = []*corev1.Pod{makePod("done", onNode("a"), requests("4", ""), func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded })}
	initPod := func(initCPU string, sidecar bool, mainCPU string) *corev1.Pod {
		p := makePod("p", requests(mainCPU, ""))
		c := corev1.Container{Name: "init", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(initCPU)}}}
		if sidecar {
			c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
		}
		p.Spec.InitContainers = []corev1.Container{c}
		return p
	}
	runFilterCases(t, "NodeResourcesFit", []filterCase{
		{name: "fits", cluster: busy, pod: makePod("p", requests("1", "6Gi")), node: "a"},
		{name: "cpu", cluster: busy, pod: makePod("p", requests("1100m", "1Gi")), node: "a", want: "u: Insufficient cpu"},
		{name: "memory", cluster: busy, pod: makePod("p", requests("", "7Gi")), node: "a", want: "u: Insufficient memory"},
		{name: "cpu and memory", cluster: busy, pod: makePod("p", requests("2", "7Gi")), node: "a", want: "u: Insufficient cpu; Insufficient memory"},
		{name: "ephemeral storage", cluster: busy, pod: makePod("p", requestsResource(corev1.ResourceEphemeralStorage, "200Gi")), node: "a", want: "u: Insufficient ephemeral-storage"},
		{name: "extended resource", cluster: busy, pod: makePod("p", requestsResource("example.com/gpu", "2")), node: "a", want: "u: Insufficient example.com/gpu"},
		{name: "extended resource the node lacks", cluster: oneNode(), pod: makePod("p", requestsResource("example.com/fpga", "1")), node: "a", want: "u: Insufficient example.com/fpga"},
		{name: "best effort fits a busy node", cluster: busy, pod: makePod("p"), node: "a"},
		{name: "too many pods", cluster: full, pod: makePod("p"), node: "a", want: "u: Too many pods"},
		{name: "finished pods free their requests", cluster: finished, pod: makePod("p", requests("4", "")), node: "a"},
		{name: "an init container counts alone", cluster: busy, pod: initPod("1500m", false, "100m"), node: "a", want: "u: Insufficient cpu"},
		{name: "a small init container does not add", cluster: busy, pod: initPod("500m", false, "900m"), node: "a"},
		{name: "a sidecar adds to the containers", cluster: busy, pod: initPod("500m", true, "600m"), node: "a", want: "u: Insufficient cpu"},
	})
}

func TestVolumeRestrictionsAndBinding(t *testing.T) {
	nodes := []*corev1.Node{makeNode("a", "4", "8Gi"), makeNode("b", "4", "8Gi")}
	with := func(objs ...any) cluster { return cluster{nodes: nodes, storage: newFakeStorage(objs...)} }
	rwop := with(makeClaim("solo", "local-path", boundTo("pv-solo"), accessMode(corev1.ReadWriteOncePod)), makeLocalVolume("pv-solo", "a"))
	rwop.pods = []*corev1.Pod{makePod("holder", onNode("a"), usesClaim("solo"))}
	cases := []struct {
		filterCase
		plugin string
	}{
		{plugin: "VolumeBinding", filterCase: filterCase{name: "claim not found", cluster: with(), pod: makePod("p", usesClaim("data")), node: "a",
			want: `pre uu: persistentvolumeclaim "data" not found`}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "claim being deleted", cluster: with(makeClaim("data", "local-path", claimDeleting())),
			pod: makePod("p", usesClaim("data")), node: "a", want: `pre uu: persistentvolumeclaim "data" is being deleted`}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "claim lost", cluster: with(makeClaim("data", "local-path", claimLost(), func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeName = "gone" })),
			pod: makePod("p", usesClaim("data")), node: "a", want: `pre uu: persistentvolumeclaim "data" bound to non-existent persistentvolume "gone"`}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "unbound immediate claim", cluster: with(makeClaim("data", "immediate")),
			pod: makePod("p", usesClaim("data")), node: "a", want: "pre uu: " + reasonUnboundImmediate}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "claim without a class binds immediately", cluster: with(makeClaim("data", "")),
			pod: makePod("p", usesClaim("data")), node: "a", want: "pre uu: " + reasonUnboundImmediate}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "claim of an unknown class binds immediately", cluster: with(makeClaim("data", "nope")),
			pod: makePod("p", usesClaim("data")), node: "a", want: "pre uu: " + reasonUnboundImmediate}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "bound to a volume on this node", cluster: with(makeClaim("data", "local-path", boundTo("pv1")), makeLocalVolume("pv1", "a")),
			pod: makePod("p", usesClaim("data")), node: "a"}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "bound to a volume on another node", cluster: with(makeClaim("data", "local-path", boundTo("pv1")), makeLocalVolume("pv1", "b")),
			pod: makePod("p", usesClaim("data")), node: "a", want: "uu: " + reasonNodeConflict}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "bound to a volume that does not exist", cluster: with(makeClaim("data", "local-path", boundTo("pv1"))),
			pod: makePod("p", usesClaim("data")), node: "a", want: "uu: " + reasonPVNotExist}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "WaitForFirstConsumer goes anywhere", cluster: with(makeClaim("data", "local-path")),
			pod: makePod("p", usesClaim("data")), node: "b"}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "WaitForFirstConsumer promised to another node", cluster: with(makeClaim("data", "local-path", selectedNode("b"))),
			pod: makePod("p", usesClaim("data")), node: "a", want: "uu: " + reasonBindConflict}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "WaitForFirstConsumer promised to this node", cluster: with(makeClaim("data", "local-path", selectedNode("a"))),
			pod: makePod("p", usesClaim("data")), node: "a"}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "class without provisioner", cluster: with(makeClaim("data", "static")),
			pod: makePod("p", usesClaim("data")), node: "a", want: "uu: " + reasonBindConflict}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "static volume on this node", cluster: with(makeClaim("data", "static"), makeStaticVolume("pv1", "a", "static")),
			pod: makePod("p", usesClaim("data")), node: "a"}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "static volume on another node", cluster: with(makeClaim("data", "static"), makeStaticVolume("pv1", "b", "static")),
			pod: makePod("p", usesClaim("data")), node: "a", want: "uu: " + reasonBindConflict}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "static volume too small", cluster: with(makeClaim("data", "static"), func() *corev1.PersistentVolume {
			pv := makeStaticVolume("pv1", "a", "static")
			pv.Spec.Capacity[corev1.ResourceStorage] = resource.MustParse("100Mi")
			return pv
		}()), pod: makePod("p", usesClaim("data")), node: "a", want: "uu: " + reasonBindConflict}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "static volume already claimed", cluster: with(makeClaim("data", "static"), func() *corev1.PersistentVolume {
			pv := makeStaticVolume("pv1", "a", "static")
			pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: "default", Name: "other"}
			return pv
		}()), pod: makePod("p", usesClaim("data")), node: "a", want: "uu: " + reasonBindConflict}},
		{plugin: "VolumeBinding", filterCase: filterCase{name: "volume provisioned for the claim elsewhere", cluster: with(makeClaim("data", "local-path"), func() *corev1.PersistentVolume {
			pv := makeStaticVolume("pvc-data", "b", "local-path")
			pv.Status.Phase = corev1.VolumePending
			pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: "default", Name: "data", UID: "uid-data"}
			return pv
		}()), pod: makePod("p", usesClaim("data")), node: "a", want: "uu: " + reasonBindConflict}},
		{plugin: "VolumeRestrictions", filterCase: filterCase{name: "ReadWriteOncePod claim in use", cluster: rwop,
			pod: makePod("p", usesClaim("solo")), node: "b", want: "u: " + reasonReadWriteOncePodConflict}},
		{plugin: "VolumeRestrictions", filterCase: filterCase{name: "ReadWriteOnce claim shared", cluster: func() cluster {
			c := with(makeClaim("shared", "local-path", boundTo("pv1")), makeLocalVolume("pv1", "a"))
			c.pods = []*corev1.Pod{makePod("holder", onNode("a"), usesClaim("shared"))}
			return c
		}(), pod: makePod("p", usesClaim("shared")), node: "a"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := runFilter(t, c.plugin, c.filterCase); got != c.want {
				t.Errorf("%s:\n got  %q\n want %q", c.plugin, got, c.want)
			}
		})
	}
}

func TestInterPodAffinity(t *testing.T) {
	nodes := []*corev1.Node{makeNode("a", "4", "8Gi", withLabel("zone", "z1")), makeNode("b", "4", "8Gi", withLabel("zone", "z1")), makeNode("c", "4", "8Gi")}
	withPods := func(pods ...*corev1.Pod) cluster {
		return cluster{nodes: nodes, pods: pods, storage: newFakeStorage(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other", Labels: map[string]string{"team": "x"}}})}
	}
	db := makePod("db-0", onNode("a"), labelled("app", "db"))
	hostAnti := antiAffinity(podTerm(corev1.LabelHostname, "app", "db"))
	runFilterCases(t, "InterPodAffinity", []filterCase{
		{name: "anti-affinity, same host", cluster: withPods(db), pod: makePod("db-1", labelled("app", "db"), hostAnti), node: "a", want: "u: " + reasonAntiAffinity},
		{name: "anti-affinity, other host", cluster: withPods(db), pod: makePod("db-1", labelled("app", "db"), hostAnti), node: "b"},
		{name: "anti-affinity by zone", cluster: withPods(db), pod: makePod("db-1", antiAffinity(podTerm("zone", "app", "db"))), node: "b", want: "u: " + reasonAntiAffinity},
		{name: "anti-affinity by zone, node without zone", cluster: withPods(db), pod: makePod("db-1", antiAffinity(podTerm("zone", "app", "db"))), node: "c"},
		{name: "anti-affinity ignores other namespaces", cluster: withPods(makePod("db-x", onNode("a"), inNamespace("other"), labelled("app", "db"))),
			pod: makePod("db-1", hostAnti), node: "a"},
		{name: "anti-affinity names a namespace", cluster: withPods(makePod("db-x", onNode("a"), inNamespace("other"), labelled("app", "db"))),
			pod: makePod("db-1", antiAffinity(func() corev1.PodAffinityTerm {
				t := podTerm(corev1.LabelHostname, "app", "db")
				t.Namespaces = []string{"other"}
				return t
			}())), node: "a", want: "u: " + reasonAntiAffinity},
		{name: "anti-affinity selects namespaces by label", cluster: withPods(makePod("db-x", onNode("a"), inNamespace("other"), labelled("app", "db"))),
			pod: makePod("db-1", antiAffinity(func() corev1.PodAffinityTerm {
				t := podTerm(corev1.LabelHostname, "app", "db")
				t.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "x"}}
				return t
			}())), node: "a", want: "u: " + reasonAntiAffinity},
		{name: "existing pod's anti-affinity", cluster: withPods(makePod("lonely", onNode("a"), antiAffinity(podTerm(corev1.LabelHostname, "app", "web")))),
			pod: makePod("web-1", labelled("app", "web")), node: "a", want: "u: " + reasonExistingAntiAffinity},
		{name: "existing pod's anti-affinity, other host", cluster: withPods(makePod("lonely", onNode("a"), antiAffinity(podTerm(corev1.LabelHostname, "app", "web")))),
			pod: makePod("web-1", labelled("app", "web")), node: "b"},
		{name: "affinity met", cluster: withPods(db), pod: makePod("cache", affinity(podTerm(corev1.LabelHostname, "app", "db"))), node: "a"},
		{name: "affinity met by zone", cluster: withPods(db), pod: makePod("cache", affinity(podTerm("zone", "app", "db"))), node: "b"},
		{name: "affinity not met", cluster: withPods(db), pod: makePod("cache", affinity(podTerm(corev1.LabelHostname, "app", "db"))), node: "b", want: "uu: " + reasonAffinity},
		{name: "affinity to nothing", cluster: withPods(db), pod: makePod("cache", affinity(podTerm(corev1.LabelHostname, "app", "none"))), node: "a", want: "uu: " + reasonAffinity},
		{name: "first pod of a self-affine group", cluster: withPods(), pod: makePod("g-0", labelled("app", "g"), affinity(podTerm(corev1.LabelHostname, "app", "g"))), node: "b"},
		{name: "first pod, node without the key", cluster: withPods(), pod: makePod("g-0", labelled("app", "g"), affinity(podTerm("zone", "app", "g"))), node: "c", want: "uu: " + reasonAffinity},
	})
}

func TestPodTopologySpreadFilter(t *testing.T) {
	nodes := []*corev1.Node{makeNode("a", "4", "8Gi", withLabel("zone", "z1")), makeNode("b", "4", "8Gi", withLabel("zone", "z2")), makeNode("c", "4", "8Gi")}
	web := func(name, node string) *corev1.Pod { return makePod(name, onNode(node), labelled("app", "web")) }
	two := cluster{nodes: nodes, pods: []*corev1.Pod{web("w0", "a"), web("w1", "a")}}
	runFilterCases(t, "PodTopologySpread", []filterCase{
		{name: "skew within maxSkew", cluster: two, pod: makePod("w2", labelled("app", "web"), spread(2, "zone", corev1.DoNotSchedule, "app", "web")), node: "b"},
		{name: "skew too large", cluster: two, pod: makePod("w2", labelled("app", "web"), spread(1, "zone", corev1.DoNotSchedule, "app", "web")), node: "a", want: "u: " + reasonSpreadConstraints},
		{name: "node without the key", cluster: two, pod: makePod("w2", labelled("app", "web"), spread(1, "zone", corev1.DoNotSchedule, "app", "web")), node: "c", want: "uu: " + reasonSpreadMissingLabel},
		{name: "ScheduleAnyway does not filter", cluster: two, pod: makePod("w2", labelled("app", "web"), spread(1, "zone", corev1.ScheduleAnyway, "app", "web")), node: "a"},
		{name: "by hostname", cluster: two, pod: makePod("w2", labelled("app", "web"), spread(1, corev1.LabelHostname, corev1.DoNotSchedule, "app", "web")), node: "c"},
	})
}
