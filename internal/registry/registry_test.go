package registry

import (
	"context"
	"net"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"

	"ordinal.dev/ordinal/internal/storage"
)

func newTestRegistry(t *testing.T) *Registry {
	t.Helper()
	e, err := storage.StartEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	_, cidr, _ := net.ParseCIDR("10.43.0.0/16")
	r := New(storage.New(e.Client, scheme.Scheme), All(), cidr)
	for _, ns := range []string{"default", "other"} {
		if _, err := r.Create(context.Background(), r.mustLookup(t, "", "namespaces"), "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, false); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (r *Registry) mustLookup(t *testing.T, group, resource string) *Resource {
	t.Helper()
	res, ok := r.Lookup(group, "v1", resource)
	if !ok {
		t.Fatalf("no resource %s/%s", group, resource)
	}
	return res
}

func statefulSet(name string) *appsv1.StatefulSet {
	labels := map[string]string{"app": name}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.StatefulSetSpec{
			Selector:    &metav1.LabelSelector{MatchLabels: labels},
			ServiceName: name,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36"}}},
			},
		},
	}
}

func TestCreateFillsServerFieldsAndDefaults(t *testing.T) {
	r := newTestRegistry(t)
	ctx := context.Background()
	sts := r.mustLookup(t, "apps", "statefulsets")
	out, err := r.Create(ctx, sts, "default", statefulSet("web"), false)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*appsv1.StatefulSet)
	if got.UID == "" || got.CreationTimestamp.IsZero() || got.ResourceVersion == "" || got.Generation != 1 {
		t.Fatalf("server-owned metadata not set: %+v", got.ObjectMeta)
	}
	if got.Spec.PodManagementPolicy != appsv1.OrderedReadyPodManagement || got.Spec.UpdateStrategy.RollingUpdate == nil || *got.Spec.UpdateStrategy.RollingUpdate.Partition != 0 {
		t.Fatalf("defaults not applied: %+v", got.Spec)
	}
	if _, err := r.Create(ctx, sts, "default", statefulSet("web"), false); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("second create: got %v, want AlreadyExists", err)
	}
	if _, err := r.Create(ctx, sts, "missing", statefulSet("web"), false); !apierrors.IsNotFound(err) {
		t.Fatalf("create in a missing namespace: got %v, want NotFound", err)
	}
	cm := r.mustLookup(t, "", "configmaps")
	gen, err := r.Create(ctx, cm, "default", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "cfg-"}}, false)
	if err != nil || !strings.HasPrefix(gen.(*corev1.ConfigMap).Name, "cfg-") || len(gen.(*corev1.ConfigMap).Name) != 9 {
		t.Fatalf("generateName: %v %v", gen, err)
	}
	bad := statefulSet("bad")
	minusOne := int32(-1)
	bad.Spec.Replicas = &minusOne
	_, err = r.Create(ctx, sts, "default", bad, false)
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.replicas: Invalid value: -1: must be greater than or equal to 0") {
		t.Fatalf("invalid replicas: got %v", err)
	}
	if _, err := r.Create(ctx, sts, "default", statefulSet("dry"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, sts, "default", "dry"); !apierrors.IsNotFound(err) {
		t.Fatalf("dry-run create was stored: %v", err)
	}
}

func TestUpdateRules(t *testing.T) {
	r := newTestRegistry(t)
	ctx := context.Background()
	sts := r.mustLookup(t, "apps", "statefulsets")
	created, err := r.Create(ctx, sts, "default", statefulSet("web"), false)
	if err != nil {
		t.Fatal(err)
	}
	stale := created.DeepCopyObject().(*appsv1.StatefulSet)

	// A label change is not a spec change: generation stays.
	labelled := created.DeepCopyObject().(*appsv1.StatefulSet)
	labelled.Labels = map[string]string{"x": "y"}
	out, err := r.Update(ctx, sts, "default", "web", "", labelled, false)
	if err != nil || out.(*appsv1.StatefulSet).Generation != 1 {
		t.Fatalf("label update: generation %d, err %v", out.(*appsv1.StatefulSet).Generation, err)
	}
	// The stale copy now conflicts.
	if _, err := r.Update(ctx, sts, "default", "web", "", stale, false); !apierrors.IsConflict(err) {
		t.Fatalf("stale update: got %v, want Conflict", err)
	}
	// A spec change bumps generation; a status change through the main resource is ignored.
	cur := out.DeepCopyObject().(*appsv1.StatefulSet)
	three := int32(3)
	cur.Spec.Replicas = &three
	cur.Status.Replicas = 7
	out, err = r.Update(ctx, sts, "default", "web", "", cur, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.(*appsv1.StatefulSet); got.Generation != 2 || got.Status.Replicas != 0 {
		t.Fatalf("spec update: generation %d status.replicas %d, want 2 and 0", got.Generation, got.Status.Replicas)
	}
	// The status subresource changes status only.
	cur = out.DeepCopyObject().(*appsv1.StatefulSet)
	cur.Status.Replicas = 2
	cur.Spec.Replicas = nil
	out, err = r.Update(ctx, sts, "default", "web", SubresourceStatus, cur, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.(*appsv1.StatefulSet); got.Status.Replicas != 2 || *got.Spec.Replicas != 3 || got.Generation != 2 {
		t.Fatalf("status update: %+v", got)
	}
	// Immutable fields are refused with upstream's message.
	cur = out.DeepCopyObject().(*appsv1.StatefulSet)
	cur.Spec.ServiceName = "other"
	if _, err := r.Update(ctx, sts, "default", "web", "", cur, false); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "updates to statefulset spec for fields other than") {
		t.Fatalf("serviceName change: got %v", err)
	}
}

func TestPatchTypesAndScale(t *testing.T) {
	r := newTestRegistry(t)
	ctx := context.Background()
	sts := r.mustLookup(t, "apps", "statefulsets")
	if _, err := r.Create(ctx, sts, "default", statefulSet("web"), false); err != nil {
		t.Fatal(err)
	}
	patches := []struct {
		pt    types.PatchType
		patch string
	}{
		{types.StrategicMergePatchType, `{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"name":"c","image":"busybox:1.37"}]}}}}`},
		{types.MergePatchType, `{"metadata":{"labels":{"tier":"db"}}}`},
		{types.JSONPatchType, `[{"op":"replace","path":"/spec/replicas","value":4}]`},
	}
	for _, p := range patches {
		if _, _, err := r.Patch(ctx, sts, "default", "web", "", p.pt, []byte(p.patch), FieldValidationStrict, false); err != nil {
			t.Fatalf("%s: %v", p.pt, err)
		}
	}
	obj, _ := r.Get(ctx, sts, "default", "web")
	got := obj.(*appsv1.StatefulSet)
	if got.Spec.Template.Spec.Containers[0].Image != "busybox:1.37" || got.Labels["tier"] != "db" || *got.Spec.Replicas != 4 {
		t.Fatalf("patches not applied: %+v", got)
	}
	if len(got.Spec.Template.Spec.Containers) != 1 || got.Spec.Template.Spec.Containers[0].TerminationMessagePath == "" {
		t.Fatalf("strategic merge lost the merged container's fields: %+v", got.Spec.Template.Spec.Containers)
	}
	if _, _, err := r.Patch(ctx, sts, "default", "web", "", types.MergePatchType, []byte(`{"spec":{"bogus":1}}`), FieldValidationStrict, false); !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `unknown field "spec.bogus"`) {
		t.Fatalf("strict patch with an unknown field: got %v", err)
	}
	scale, err := r.PatchScale(ctx, sts, "default", "web", types.MergePatchType, []byte(`{"spec":{"replicas":6}}`), false)
	if err != nil || scale.Spec.Replicas != 6 || scale.Status.Selector != "app=web" {
		t.Fatalf("scale patch: %+v %v", scale, err)
	}
	if _, err := r.PatchScale(ctx, sts, "default", "web", types.MergePatchType, []byte(`{"spec":{"replicas":-1}}`), false); !apierrors.IsInvalid(err) {
		t.Fatalf("negative scale: got %v", err)
	}
}

func TestPodDeletionIsGracefulOnceScheduled(t *testing.T) {
	r := newTestRegistry(t)
	ctx := context.Background()
	pods := r.mustLookup(t, "", "pods")
	pod := func(name, node string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	}
	if _, err := r.Create(ctx, pods, "default", pod("pending", ""), false); err != nil {
		t.Fatal(err)
	}
	if res, err := r.Delete(ctx, pods, "default", "pending", nil); err != nil || !res.Removed {
		t.Fatalf("unscheduled pod: removed=%v err=%v, want removed at once", res.Removed, err)
	}
	if _, err := r.Create(ctx, pods, "default", pod("running", "node-1"), false); err != nil {
		t.Fatal(err)
	}
	res, err := r.Delete(ctx, pods, "default", "running", nil)
	if err != nil || res.Removed {
		t.Fatalf("scheduled pod: removed=%v err=%v, want kept for its grace period", res.Removed, err)
	}
	p := res.Object.(*corev1.Pod)
	if p.DeletionTimestamp == nil || *p.DeletionGracePeriodSeconds != 30 {
		t.Fatalf("deletion not recorded: %+v", p.ObjectMeta)
	}
	// A status write of a terminating pod does not remove it.
	p = p.DeepCopy()
	p.Status.Phase = corev1.PodRunning
	if _, err := r.Update(ctx, pods, "default", "running", SubresourceStatus, p, false); err != nil {
		t.Fatal(err)
	}
	zero := int64(0)
	if res, err := r.Delete(ctx, pods, "default", "running", &metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil || !res.Removed {
		t.Fatalf("grace 0: removed=%v err=%v", res.Removed, err)
	}
}

func TestFinalizersHoldDeletion(t *testing.T) {
	r := newTestRegistry(t)
	ctx := context.Background()
	cms := r.mustLookup(t, "", "configmaps")
	if _, err := r.Create(ctx, cms, "default", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "held", Finalizers: []string{"example.com/hold"}}}, false); err != nil {
		t.Fatal(err)
	}
	foreground := metav1.DeletePropagationForeground
	res, err := r.Delete(ctx, cms, "default", "held", &metav1.DeleteOptions{PropagationPolicy: &foreground})
	if err != nil || res.Removed {
		t.Fatalf("delete with a finalizer: removed=%v err=%v", res.Removed, err)
	}
	if fin := res.Object.(*corev1.ConfigMap).Finalizers; len(fin) != 2 || fin[1] != metav1.FinalizerDeleteDependents {
		t.Fatalf("finalizers after a foreground delete: %v", fin)
	}
	if _, _, err := r.Patch(ctx, cms, "default", "held", "", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), FieldValidationStrict, false); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, cms, "default", "held"); !apierrors.IsNotFound(err) {
		t.Fatalf("object without finalizers should be gone: %v", err)
	}
}

func TestServiceClusterIPs(t *testing.T) {
	r := newTestRegistry(t)
	ctx := context.Background()
	svcs := r.mustLookup(t, "", "services")
	svc := func(name, ip string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{ClusterIP: ip, Ports: []corev1.ServicePort{{Port: 80}}}}
	}
	a, err := r.Create(ctx, svcs, "default", svc("a", "10.43.0.10"), false)
	if err != nil || a.(*corev1.Service).Spec.ClusterIP != "10.43.0.10" {
		t.Fatalf("specific IP: %v", err)
	}
	if _, err := r.Create(ctx, svcs, "other", svc("b", "10.43.0.10"), false); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "already allocated") {
		t.Fatalf("taken IP: got %v", err)
	}
	if _, err := r.Create(ctx, svcs, "default", svc("out", "192.168.0.1"), false); !apierrors.IsInvalid(err) {
		t.Fatalf("IP outside the range: got %v", err)
	}
	headless, err := r.Create(ctx, svcs, "default", svc("h", "None"), false)
	if err != nil || headless.(*corev1.Service).Spec.ClusterIP != "None" {
		t.Fatalf("headless: %v", err)
	}
	if _, err := r.Delete(ctx, svcs, "default", "a", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Create(ctx, svcs, "other", svc("b", "10.43.0.10"), false); err != nil {
		t.Fatalf("IP released on delete should be reusable: %v", err)
	}
	auto, err := r.Create(ctx, svcs, "default", svc("auto", ""), false)
	if err != nil || !r.ServiceIPs.Contains(net.ParseIP(auto.(*corev1.Service).Spec.ClusterIP)) {
		t.Fatalf("allocated IP: %v %v", auto, err)
	}
}

func TestTerminatingNamespaceRefusesContent(t *testing.T) {
	r := newTestRegistry(t)
	ctx := context.Background()
	nss := r.mustLookup(t, "", "namespaces")
	res, err := r.Delete(ctx, nss, "", "other", nil)
	if err != nil || res.Removed || res.Object.(*corev1.Namespace).Status.Phase != corev1.NamespaceTerminating {
		t.Fatalf("namespace delete: %+v %v", res, err)
	}
	_, err = r.Create(ctx, r.mustLookup(t, "", "configmaps"), "other", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, false)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "because it is being terminated") {
		t.Fatalf("create in terminating namespace: got %v", err)
	}
	if _, err := r.Delete(ctx, nss, "", "default", nil); !apierrors.IsForbidden(err) {
		t.Fatalf("deleting default: got %v, want Forbidden", err)
	}
	if _, err := r.FinalizeNamespace(ctx, "other", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, nss, "", "other"); !apierrors.IsNotFound(err) {
		t.Fatalf("finalized namespace should be gone: %v", err)
	}
}
