package validation

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestConfigMap(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "default"}, Data: map[string]string{"app.yaml": "x", ".env": "y"}}
	expectErrors(t, Validate(cm))

	bad := cm.DeepCopy()
	bad.Data = map[string]string{"a/b": "x"}
	expectErrors(t, Validate(bad),
		`data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`)

	bad = cm.DeepCopy()
	bad.Data = map[string]string{"k": "x"}
	bad.BinaryData = map[string][]byte{"k": []byte("y")}
	expectErrors(t, Validate(bad), `data[k]: Invalid value: "k": duplicate of key present in binaryData`)

	big := cm.DeepCopy()
	big.Data = map[string]string{"big": strings.Repeat("x", MaxDataSize+1)}
	// The root path prints as "[]", as upstream reports it.
	expectErrors(t, Validate(big), "[]: Too long: may not be more than 1048576 bytes")

	// immutable: true freezes the data and itself.
	frozen := cm.DeepCopy()
	frozen.Immutable = ptr.To(true)
	upd := frozen.DeepCopy()
	upd.Data["app.yaml"] = "changed"
	upd.Immutable = nil
	expectErrors(t, ValidateUpdate(upd, frozen),
		"immutable: Forbidden: field is immutable when `immutable` is set",
		"data: Forbidden: field is immutable when `immutable` is set",
	)
	upd = frozen.DeepCopy()
	upd.Labels = map[string]string{"ok": "yes"}
	expectErrors(t, ValidateUpdate(upd, frozen))
}

func TestSecret(t *testing.T) {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "tls", Namespace: "default"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.crt": []byte("c"), "tls.key": []byte("k")}}
	expectErrors(t, Validate(s))

	bad := s.DeepCopy()
	delete(bad.Data, "tls.key")
	expectErrors(t, Validate(bad), "data[tls.key]: Required value")

	// stringData counts as data.
	sd := s.DeepCopy()
	delete(sd.Data, "tls.key")
	sd.StringData = map[string]string{"tls.key": "k"}
	expectErrors(t, Validate(sd))

	dj := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "reg", Namespace: "default"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{".dockerconfigjson": []byte("{not json")}}
	expectErrors(t, Validate(dj), `data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'n' looking for beginning of object key string`)

	sa := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "tok", Namespace: "default"}, Type: corev1.SecretTypeServiceAccountToken}
	expectErrors(t, Validate(sa), "metadata.annotations[kubernetes.io/service-account.name]: Required value")

	upd := s.DeepCopy()
	upd.Type = corev1.SecretTypeOpaque
	expectErrors(t, ValidateUpdate(upd, s), `type: Invalid value: "Opaque": field is immutable`)

	frozen := s.DeepCopy()
	frozen.Immutable = ptr.To(true)
	upd = frozen.DeepCopy()
	upd.Data["tls.crt"] = []byte("other")
	expectErrors(t, ValidateUpdate(upd, frozen), "data: Forbidden: field is immutable when `immutable` is set")
}

func TestNamespace(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}, Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"kubernetes"}}}
	expectErrors(t, Validate(ns))

	bad := ns.DeepCopy()
	bad.Name = "team.a"
	expectErrors(t, Validate(bad), `metadata.name: Invalid value: "team.a": must not contain dots`)

	bad = ns.DeepCopy()
	bad.Spec.Finalizers = []corev1.FinalizerName{"custom"}
	expectErrors(t, Validate(bad), `spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified`)

	// The main resource never rejects spec changes; the registry restores them.
	upd := ns.DeepCopy()
	upd.Spec.Finalizers = nil
	expectErrors(t, ValidateUpdate(upd, ns))

	st := ns.DeepCopy()
	st.Status.Phase = corev1.NamespaceTerminating
	expectErrors(t, ValidateStatusUpdate(st, ns), `status.Phase: Invalid value: "Terminating": may only be 'Active' if `+"`deletionTimestamp`"+` is empty`)
}

func TestServiceAccount(t *testing.T) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder", Namespace: "default"}}
	expectErrors(t, Validate(sa))
	sa.Name = "Builder"
	if errs := Validate(sa); len(errs) != 1 || errs[0].Field != "metadata.name" {
		t.Fatalf("got %v", errs)
	}
}

func TestNode(t *testing.T) {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}, Spec: corev1.NodeSpec{
		PodCIDR: "10.42.1.0/24", PodCIDRs: []string{"10.42.1.0/24"},
		Taints: []corev1.Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}},
	}}
	expectErrors(t, Validate(node))

	bad := node.DeepCopy()
	bad.Spec.PodCIDRs = []string{"10.42.1.0/33"}
	bad.Spec.Taints = append(bad.Spec.Taints,
		corev1.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule},
		corev1.Taint{Key: "k", Effect: "Evict"},
	)
	errs := Validate(bad)
	expectContains(t, errs,
		`spec.taints[2].effect: Unsupported value: "Evict": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`,
		`spec.podCIDRs[0]: Invalid value: "10.42.1.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`,
	)
	if len(errs) != 3 || errs[0].Field != "spec.taints[1]" || errs[0].Detail != "taints must be unique by key and effect pair" {
		t.Fatalf("got %v", errs)
	}

	upd := node.DeepCopy()
	upd.Spec.PodCIDRs = []string{"10.42.2.0/24"}
	expectErrors(t, ValidateUpdate(upd, node), "spec.podCIDRs: Forbidden: may not change once set")

	// Node status writes (heartbeats) only need valid content.
	st := node.DeepCopy()
	st.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.168.1.10"}}
	expectErrors(t, ValidateStatusUpdate(st, node))
}

func TestPersistentVolumeClaim(t *testing.T) {
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "www-web-0", Namespace: "default", ResourceVersion: "1"}, Spec: validPVCSpec()}
	expectErrors(t, Validate(pvc))

	cases := []struct {
		name   string
		mutate func(*corev1.PersistentVolumeClaimSpec)
		want   []string
	}{
		{"access modes required", func(s *corev1.PersistentVolumeClaimSpec) { s.AccessModes = nil }, []string{
			"spec.accessModes: Required value: at least 1 access mode is required",
		}},
		{"bad access mode", func(s *corev1.PersistentVolumeClaimSpec) {
			s.AccessModes = []corev1.PersistentVolumeAccessMode{"ReadWriteSometimes"}
		}, []string{
			`spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"`,
		}},
		{"RWOP with others", func(s *corev1.PersistentVolumeClaimSpec) {
			s.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod, corev1.ReadWriteOnce}
		}, []string{"spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"}},
		{"storage required", func(s *corev1.PersistentVolumeClaimSpec) { s.Resources.Requests = nil }, []string{
			"spec.resources[storage]: Required value",
		}},
		{"storage zero", func(s *corev1.PersistentVolumeClaimSpec) {
			s.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("0")
		}, []string{`spec.resources[storage]: Invalid value: "0": must be greater than zero`}},
		{"volume mode", func(s *corev1.PersistentVolumeClaimSpec) { s.VolumeMode = ptr.To(corev1.PersistentVolumeMode("Raw")) }, []string{
			`spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pvc.DeepCopy()
			tc.mutate(&p.Spec)
			expectErrors(t, Validate(p), tc.want...)
		})
	}
}

func TestPersistentVolumeClaimUpdate(t *testing.T) {
	const immutable = "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n"
	pending := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "default", ResourceVersion: "1"}, Spec: validPVCSpec(),
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}
	bound := pending.DeepCopy()
	bound.Spec.VolumeName = "pvc-123"
	bound.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound, Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}

	// The binder sets volumeName once.
	u := pending.DeepCopy()
	u.Spec.VolumeName = "pvc-123"
	expectErrors(t, ValidateUpdate(u, pending))

	// Resize of a bound claim.
	u = bound.DeepCopy()
	u.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("5Gi")
	expectErrors(t, ValidateUpdate(u, bound))

	// Resize of an unbound claim is not allowed.
	u = pending.DeepCopy()
	u.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("5Gi")
	expectPrefix(t, ValidateUpdate(u, pending), immutable)

	u = bound.DeepCopy()
	u.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	expectPrefix(t, ValidateUpdate(u, bound), immutable)

	u = bound.DeepCopy()
	u.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("512Mi")
	expectErrors(t, ValidateUpdate(u, bound), "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity")
}

func TestPersistentVolume(t *testing.T) {
	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-1"}, Spec: corev1.PersistentVolumeSpec{
		Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
		AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
		VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
		PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/lib/ordinal/pv-1"}},
	}}
	expectErrors(t, Validate(pv))

	cases := []struct {
		name   string
		mutate func(*corev1.PersistentVolumeSpec)
		want   []string
	}{
		{"no source", func(s *corev1.PersistentVolumeSpec) { s.HostPath = nil }, []string{"spec: Required value: must specify a volume type"}},
		{"two sources", func(s *corev1.PersistentVolumeSpec) {
			s.Local = &corev1.LocalVolumeSource{Path: "/mnt"}
		}, []string{"spec.local: Forbidden: may not specify more than 1 volume type"}},
		{"local needs node affinity", func(s *corev1.PersistentVolumeSpec) {
			s.HostPath = nil
			s.Local = &corev1.LocalVolumeSource{Path: "/mnt/disk1"}
		}, []string{"spec.nodeAffinity: Required value: Local volume requires node affinity"}},
		{"local with node affinity", func(s *corev1.PersistentVolumeSpec) {
			s.HostPath = nil
			s.Local = &corev1.LocalVolumeSource{Path: "/mnt/disk1"}
			s.NodeAffinity = &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{"node-1"}}},
			}}}}
		}, nil},
		{"capacity", func(s *corev1.PersistentVolumeSpec) { s.Capacity = nil }, []string{
			"spec.capacity: Required value",
			`spec.capacity: Unsupported value: v1.ResourceList(nil): supported values: "storage"`,
		}},
		{"reclaim policy", func(s *corev1.PersistentVolumeSpec) { s.PersistentVolumeReclaimPolicy = "Keep" }, []string{
			`spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"`,
		}},
		{"access modes", func(s *corev1.PersistentVolumeSpec) { s.AccessModes = nil }, []string{"spec.accessModes: Required value"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pv.DeepCopy()
			tc.mutate(&p.Spec)
			expectErrors(t, Validate(p), tc.want...)
		})
	}

	u := pv.DeepCopy()
	u.Spec.HostPath.Path = "/elsewhere"
	expectPrefix(t, ValidateUpdate(u, pv), "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation\n")

	u = pv.DeepCopy()
	u.Spec.ClaimRef = &corev1.ObjectReference{Namespace: "default", Name: "data", UID: "u"}
	u.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
	expectErrors(t, ValidateUpdate(u, pv))
}
