package scheduler

import (
	"fmt"
	"math/rand/v2"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// Builders for the table tests: nodes, pods and storage objects as values, no server.

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type nodeOpt func(*corev1.Node)

// makeNode is a Ready node with the contract's labels and the given allocatable cpu/memory
// (110 pods).
func makeNode(name, cpu, memory string, opts ...nodeOpt) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), Labels: map[string]string{
			corev1.LabelHostname: name, corev1.LabelOSStable: "linux", corev1.LabelArchStable: "amd64",
		}},
		Status: corev1.NodeStatus{
			Allocatable: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory),
				corev1.ResourcePods: resource.MustParse("110"), corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
			},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
		},
	}
	n.Status.Capacity = n.Status.Allocatable.DeepCopy()
	for _, o := range opts {
		o(n)
	}
	return n
}

func withLabel(k, v string) nodeOpt { return func(n *corev1.Node) { n.Labels[k] = v } }
func withTaint(key, value string, effect corev1.TaintEffect) nodeOpt {
	return func(n *corev1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Value: value, Effect: effect})
	}
}
func cordoned() nodeOpt { return func(n *corev1.Node) { n.Spec.Unschedulable = true } }
func withAllocatable(name corev1.ResourceName, q string) nodeOpt {
	return func(n *corev1.Node) { n.Status.Allocatable[name] = resource.MustParse(q) }
}

type podOpt func(*corev1.Pod)

var podSeq int

// makePod is a pending pod in namespace "default" with one container and no requests.
func makePod(name string, opts ...podOpt) *corev1.Pod {
	podSeq++
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "default", Name: name, UID: types.UID("uid-" + name), Labels: map[string]string{},
			CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(podSeq) * time.Second)),
		},
		Spec: corev1.PodSpec{
			SchedulerName: DefaultSchedulerName,
			Containers:    []corev1.Container{{Name: "c", Image: "busybox"}},
			Priority:      ptr.To[int32](0),
			Tolerations: []corev1.Toleration{
				{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
				{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
			},
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func requests(cpu, memory string) podOpt {
	return func(p *corev1.Pod) {
		r := corev1.ResourceList{}
		if cpu != "" {
			r[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if memory != "" {
			r[corev1.ResourceMemory] = resource.MustParse(memory)
		}
		p.Spec.Containers[0].Resources.Requests = r
	}
}
func requestsResource(name corev1.ResourceName, q string) podOpt {
	return func(p *corev1.Pod) {
		if p.Spec.Containers[0].Resources.Requests == nil {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{}
		}
		p.Spec.Containers[0].Resources.Requests[name] = resource.MustParse(q)
	}
}
func onNode(node string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = node } }
func labelled(kv ...string) podOpt {
	return func(p *corev1.Pod) {
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
	}
}
func inNamespace(ns string) podOpt { return func(p *corev1.Pod) { p.Namespace = ns } }
func priority(v int32) podOpt      { return func(p *corev1.Pod) { p.Spec.Priority = ptr.To(v) } }
func nodeSelector(kv ...string) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.NodeSelector = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Spec.NodeSelector[kv[i]] = kv[i+1]
		}
	}
}
func tolerate(t corev1.Toleration) podOpt {
	return func(p *corev1.Pod) { p.Spec.Tolerations = append(p.Spec.Tolerations, t) }
}
func ownedBy(uid string) podOpt {
	return func(p *corev1.Pod) {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: uid, UID: types.UID(uid), Controller: ptr.To(true)}}
	}
}
func hostPortOpt(port int32, protocol corev1.Protocol, ip string) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, corev1.ContainerPort{ContainerPort: port, HostPort: port, Protocol: protocol, HostIP: ip})
	}
}
func requiredNodeTerms(terms ...corev1.NodeSelectorTerm) podOpt {
	return func(p *corev1.Pod) {
		ensureAffinity(p).NodeAffinity = &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms}}
	}
}
func preferredNode(weight int32, term corev1.NodeSelectorTerm) podOpt {
	return func(p *corev1.Pod) {
		a := ensureAffinity(p)
		if a.NodeAffinity == nil {
			a.NodeAffinity = &corev1.NodeAffinity{}
		}
		a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution, corev1.PreferredSchedulingTerm{Weight: weight, Preference: term})
	}
}
func expr(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorTerm {
	return corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: op, Values: values}}}
}
func nameIn(names ...string) corev1.NodeSelectorTerm {
	return corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: names}}}
}
func ensureAffinity(p *corev1.Pod) *corev1.Affinity {
	if p.Spec.Affinity == nil {
		p.Spec.Affinity = &corev1.Affinity{}
	}
	return p.Spec.Affinity
}

func podTerm(topologyKey string, kv ...string) corev1.PodAffinityTerm {
	sel := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		sel[kv[i]] = kv[i+1]
	}
	return corev1.PodAffinityTerm{TopologyKey: topologyKey, LabelSelector: &metav1.LabelSelector{MatchLabels: sel}}
}
func antiAffinity(terms ...corev1.PodAffinityTerm) podOpt {
	return func(p *corev1.Pod) {
		ensureAffinity(p).PodAntiAffinity = &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: terms}
	}
}
func affinity(terms ...corev1.PodAffinityTerm) podOpt {
	return func(p *corev1.Pod) {
		ensureAffinity(p).PodAffinity = &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: terms}
	}
}
func preferredAntiAffinity(weight int32, term corev1.PodAffinityTerm) podOpt {
	return func(p *corev1.Pod) {
		a := ensureAffinity(p)
		if a.PodAntiAffinity == nil {
			a.PodAntiAffinity = &corev1.PodAntiAffinity{}
		}
		a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution, corev1.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: term})
	}
}
func spread(maxSkew int32, key string, when corev1.UnsatisfiableConstraintAction, kv ...string) podOpt {
	return func(p *corev1.Pod) {
		sel := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			sel[kv[i]] = kv[i+1]
		}
		p.Spec.TopologySpreadConstraints = append(p.Spec.TopologySpreadConstraints, corev1.TopologySpreadConstraint{
			MaxSkew: maxSkew, TopologyKey: key, WhenUnsatisfiable: when, LabelSelector: &metav1.LabelSelector{MatchLabels: sel},
		})
	}
}
func usesClaim(claim string) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "v-" + claim, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim},
		}})
	}
}

// Storage objects.

type claimOpt func(*corev1.PersistentVolumeClaim)

func makeClaim(name, class string, opts ...claimOpt) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID("uid-" + name)},
		Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: ptr.To(class),
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func boundTo(pv string) claimOpt {
	return func(c *corev1.PersistentVolumeClaim) {
		c.Spec.VolumeName = pv
		c.Status.Phase = corev1.ClaimBound
		c.Annotations = map[string]string{annBindCompleted: "yes"}
	}
}
func accessMode(m corev1.PersistentVolumeAccessMode) claimOpt {
	return func(c *corev1.PersistentVolumeClaim) { c.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{m} }
}
func selectedNode(node string) claimOpt {
	return func(c *corev1.PersistentVolumeClaim) {
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[AnnSelectedNode] = node
	}
}
func claimDeleting() claimOpt {
	return func(c *corev1.PersistentVolumeClaim) {
		now := metav1.NewTime(epoch)
		c.DeletionTimestamp = &now
	}
}
func claimLost() claimOpt {
	return func(c *corev1.PersistentVolumeClaim) { c.Status.Phase = corev1.ClaimLost }
}

// makeLocalVolume is a PV pinned to node, as the local-path provisioner makes them.
func makeLocalVolume(name, node string) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{
			StorageClassName: "local-path",
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
				expr(corev1.LabelHostname, corev1.NodeSelectorOpIn, node),
			}}},
		},
	}
}

// makeStaticVolume is an Available local volume of class on node, 1Gi, ReadWriteOnce.
func makeStaticVolume(name, node, class string) *corev1.PersistentVolume {
	pv := makeLocalVolume(name, node)
	pv.Spec.StorageClassName = class
	pv.Spec.Capacity = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}
	pv.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	pv.Status.Phase = corev1.VolumeAvailable
	return pv
}

func makeClass(name, provisioner string, mode storagev1.VolumeBindingMode) *storagev1.StorageClass {
	return &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Provisioner: provisioner, VolumeBindingMode: &mode}
}

// fakeStorage is storageLister over maps.
type fakeStorage struct {
	claims     map[string]*corev1.PersistentVolumeClaim
	volumes    map[string]*corev1.PersistentVolume
	classes    map[string]*storagev1.StorageClass
	namespaces map[string]labels.Set
}

func newFakeStorage(objs ...any) *fakeStorage {
	s := &fakeStorage{
		claims: map[string]*corev1.PersistentVolumeClaim{}, volumes: map[string]*corev1.PersistentVolume{},
		classes: map[string]*storagev1.StorageClass{
			"local-path": makeClass("local-path", "ordinal.dev/local-path", storagev1.VolumeBindingWaitForFirstConsumer),
			"immediate":  makeClass("immediate", "ordinal.dev/local-path", storagev1.VolumeBindingImmediate),
			"static":     makeClass("static", notSupportedProvisioner, storagev1.VolumeBindingWaitForFirstConsumer),
		},
		namespaces: map[string]labels.Set{"default": {corev1.LabelMetadataName: "default"}},
	}
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.PersistentVolumeClaim:
			s.claims[claimKey(o.Namespace, o.Name)] = o
		case *corev1.PersistentVolume:
			s.volumes[o.Name] = o
		case *storagev1.StorageClass:
			s.classes[o.Name] = o
		case *corev1.Namespace:
			s.namespaces[o.Name] = o.Labels
		default:
			panic(fmt.Sprintf("fakeStorage: %T", o))
		}
	}
	return s
}

func (s *fakeStorage) Claim(ns, name string) (*corev1.PersistentVolumeClaim, bool) {
	c, ok := s.claims[claimKey(ns, name)]
	return c, ok
}
func (s *fakeStorage) Volume(name string) (*corev1.PersistentVolume, bool) {
	v, ok := s.volumes[name]
	return v, ok
}
func (s *fakeStorage) Volumes() []*corev1.PersistentVolume {
	var out []*corev1.PersistentVolume
	for _, v := range s.volumes {
		out = append(out, v)
	}
	return out
}
func (s *fakeStorage) Class(name string) (*storagev1.StorageClass, bool) {
	c, ok := s.classes[name]
	return c, ok
}
func (s *fakeStorage) NamespaceLabels(name string) (labels.Set, bool) {
	l, ok := s.namespaces[name]
	return l, ok
}

// cluster builds a snapshot: nodes, the pods already bound to them (spec.nodeName), storage.
type cluster struct {
	nodes   []*corev1.Node
	pods    []*corev1.Pod
	storage *fakeStorage
}

func (c cluster) snapshot() *clusterSnapshot {
	sc := newSchedulerCache()
	for _, n := range c.nodes {
		sc.setNode(n)
	}
	for _, p := range c.pods {
		sc.setPod(p)
	}
	st := c.storage
	if st == nil {
		st = newFakeStorage()
	}
	return newSnapshot(sc.nodeInfos(), st, nil)
}

func testRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// decide runs the whole decision and renders it as the node name or the failure message.
func decide(pod *corev1.Pod, snap *clusterSnapshot) string {
	d := schedulePod(newPodInfo(pod), snap, testRand())
	if d.err != nil {
		return d.err.Error()
	}
	return d.node
}
