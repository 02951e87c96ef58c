package statefulset

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"testing"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
)

func TestGetPatchBytes(t *testing.T) {
	set := &apps.StatefulSet{Spec: apps.StatefulSetSpec{Template: v1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "foo"}},
		Spec:       v1.PodSpec{Containers: []v1.Container{{Name: "nginx", Image: "nginx:1"}}},
	}}}
	got, err := getPatch(set)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"foo"}},"spec":{"containers":[{"image":"nginx:1","name":"nginx","resources":{}}]}}}}`
	if string(got) != want {
		t.Errorf("patch =\n%s\nwant\n%s", got, want)
	}
}

// kubectlPatch computes the patch as kubectl's `rollout undo` does to decide "skipped
// rollback": encode the whole set with the apps/v1 codec, keep spec.template, re-marshal.
func kubectlPatch(t *testing.T, set *apps.StatefulSet) []byte {
	t.Helper()
	data, err := runtime.Encode(scheme.Codecs.LegacyCodec(apps.SchemeGroupVersion), set.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]interface{}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	template := raw["spec"].(map[string]interface{})["template"].(map[string]interface{})
	template["$patch"] = "replace"
	out, err := json.Marshal(map[string]interface{}{"spec": map[string]interface{}{"template": template}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGetPatchMatchesKubectl(t *testing.T) {
	set := newStatefulSet(3)
	set.Spec.Template.Annotations = map[string]string{"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z", "x": "<&>"}
	c := &set.Spec.Template.Spec.Containers[0]
	c.Resources = v1.ResourceRequirements{Limits: v1.ResourceList{v1.ResourceCPU: resource.MustParse("1500m"), v1.ResourceMemory: resource.MustParse("1Gi")}}
	c.Env = []v1.EnvVar{{Name: "BIG", Value: "12345678901234567890"}}
	c.ReadinessProbe = &v1.Probe{ProbeHandler: v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/", Port: intstr.FromString("web")}},
		PeriodSeconds: 10, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3}
	set.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](30)
	got, err := getPatch(set)
	if err != nil {
		t.Fatal(err)
	}
	if want := kubectlPatch(t, set); string(got) != string(want) {
		t.Errorf("patch differs from kubectl's:\n%s\n%s", got, want)
	}
}

func TestNewRevision(t *testing.T) {
	set := newStatefulSet(3)
	set.UID = "set-uid"
	set.Annotations = map[string]string{"kubernetes.io/change-cause": "kubectl apply"}
	cr, err := newRevision(set, 4, ptr.To[int32](0))
	if err != nil {
		t.Fatal(err)
	}
	hf := fnv.New32()
	hf.Write(cr.Data.Raw)
	hf.Write([]byte("0"))
	hash := rand.SafeEncodeString(fmt.Sprint(hf.Sum32()))
	if cr.Name != "foo-"+hash || cr.Labels[controllerRevisionHashLabel] != hash || cr.Labels["app"] != "foo" {
		t.Errorf("name %s labels %v, want foo-%s with the template labels and the hash", cr.Name, cr.Labels, hash)
	}
	if cr.Revision != 4 || cr.Namespace != "default" || cr.Annotations["kubernetes.io/change-cause"] != "kubectl apply" {
		t.Errorf("revision = %+v", cr)
	}
	if ref := metav1.GetControllerOf(cr); ref == nil || ref.UID != "set-uid" || ref.Kind != "StatefulSet" {
		t.Errorf("controller ref = %v", ref)
	}
	other, _ := newRevision(set, 4, ptr.To[int32](1))
	if other.Name == cr.Name {
		t.Error("the collision count must change the name")
	}
	if set.Spec.Template.Labels[controllerRevisionHashLabel] != "" {
		t.Error("newRevision changed the set's template labels")
	}
	long := newStatefulSet(1)
	long.Name = string(make([]byte, 300))
	if name := controllerRevisionName(long.Name, "abc"); len(name) != 227 {
		t.Errorf("long name has %d bytes, want 223 + 4", len(name))
	}
}

func TestApplyRevision(t *testing.T) {
	set := newStatefulSet(3)
	old, err := newRevision(set, 1, ptr.To[int32](0))
	if err != nil {
		t.Fatal(err)
	}
	changed := set.DeepCopy()
	changed.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	changed.Spec.Template.Labels["extra"] = "x"
	changed.Spec.Replicas = ptr.To[int32](7)
	restored, err := applyRevision(changed, old)
	if err != nil {
		t.Fatal(err)
	}
	if restored.Spec.Template.Spec.Containers[0].Image != "nginx:1" || restored.Spec.Template.Labels["extra"] != "" {
		t.Errorf("template not restored: %+v", restored.Spec.Template)
	}
	if *restored.Spec.Replicas != 7 {
		t.Error("applying a revision must only replace the template")
	}
}

func revisionOf(t *testing.T, set *apps.StatefulSet, revision int64, image string) *apps.ControllerRevision {
	t.Helper()
	s := set.DeepCopy()
	s.Spec.Template.Spec.Containers[0].Image = image
	cr, err := newRevision(s, revision, ptr.To[int32](0))
	if err != nil {
		t.Fatal(err)
	}
	return cr
}

func TestPlanRevisions(t *testing.T) {
	set := newStatefulSet(3)
	v1rev, v2rev := revisionOf(t, set, 1, "nginx:1"), revisionOf(t, set, 2, "nginx:2")
	withStatus := func(image, current string) *apps.StatefulSet {
		s := set.DeepCopy()
		s.Spec.Template.Spec.Containers[0].Image = image
		s.Status.CurrentRevision = current
		return s
	}
	tests := []struct {
		name        string
		set         *apps.StatefulSet
		revisions   []*apps.ControllerRevision
		wantUpdate  string
		wantCreate  bool
		wantBumpTo  int64
		wantCurrent string
	}{
		{"creates initial revision", withStatus("nginx:1", ""), nil, v1rev.Name, true, 0, ""},
		{"creates revision on update", withStatus("nginx:3", v2rev.Name), []*apps.ControllerRevision{v1rev, v2rev},
			revisionOf(t, set, 3, "nginx:3").Name, true, 0, v2rev.Name},
		{"must not recreate a new revision of same set", withStatus("nginx:2", v2rev.Name), []*apps.ControllerRevision{v1rev, v2rev},
			v2rev.Name, false, 0, v2rev.Name},
		{"must rollback to a previous revision", withStatus("nginx:1", v2rev.Name), []*apps.ControllerRevision{v1rev, v2rev},
			v1rev.Name, false, 3, v2rev.Name},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := planRevisions(tt.set, tt.revisions)
			if err != nil {
				t.Fatal(err)
			}
			if plan.update.Name != tt.wantUpdate || plan.create != tt.wantCreate || plan.bumpTo != tt.wantBumpTo {
				t.Errorf("plan = update %s create %v bump %d, want %s %v %d", plan.update.Name, plan.create, plan.bumpTo,
					tt.wantUpdate, tt.wantCreate, tt.wantBumpTo)
			}
			current := ""
			if plan.current != nil {
				current = plan.current.Name
			}
			if current != tt.wantCurrent {
				t.Errorf("current = %q, want %q", current, tt.wantCurrent)
			}
		})
	}
}

func TestTruncateHistory(t *testing.T) {
	set := newStatefulSet(1)
	var revisions []*apps.ControllerRevision
	for i := int64(1); i <= 6; i++ {
		revisions = append(revisions, revisionOf(t, set, i, fmt.Sprintf("nginx:%d", i)))
	}
	podAt := func(r *apps.ControllerRevision) *v1.Pod {
		pod := newStatefulSetPod(set, 0)
		setPodRevision(pod, r.Name)
		return pod
	}
	names := func(rs []*apps.ControllerRevision) []int64 {
		var out []int64
		for _, r := range rs {
			out = append(out, r.Revision)
		}
		return out
	}
	tests := []struct {
		name  string
		limit int32
		pods  []*v1.Pod
		want  []int64
	}{
		{"keeps the newest historic ones", 2, nil, []int64{1, 2}},
		{"live revisions do not count", 2, []*v1.Pod{podAt(revisions[0])}, []int64{2}},
		{"zero keeps only live ones", 0, nil, []int64{1, 2, 3, 4}},
		{"negative keeps everything", -1, nil, nil},
		{"under the limit", 10, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := set.DeepCopy()
			s.Spec.RevisionHistoryLimit = ptr.To(tt.limit)
			got := names(truncateHistory(s, tt.pods, revisions, revisions[4], revisions[5]))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("deleted %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSortControllerRevisions(t *testing.T) {
	a := &apps.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "b"}, Revision: 2}
	b := &apps.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Revision: 2}
	c := &apps.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "z"}, Revision: 1}
	rs := []*apps.ControllerRevision{a, b, c}
	sortControllerRevisions(rs)
	if rs[0] != c || rs[1] != b || rs[2] != a {
		t.Errorf("order = %s %s %s, want z a b", rs[0].Name, rs[1].Name, rs[2].Name)
	}
	if nextRevision(rs) != 3 || nextRevision(nil) != 1 {
		t.Error("nextRevision")
	}
}
