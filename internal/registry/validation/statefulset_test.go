package validation

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestStatefulSetCreate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*appsv1.StatefulSet)
		want   []string
	}{
		{"valid", func(*appsv1.StatefulSet) {}, nil},
		{"serviceName optional", func(s *appsv1.StatefulSet) { s.Spec.ServiceName = "" }, nil},
		{"negative replicas", func(s *appsv1.StatefulSet) { s.Spec.Replicas = ptr.To[int32](-1) }, []string{
			"spec.replicas: Invalid value: -1: must be greater than or equal to 0",
		}},
		{"name must be a DNS label", func(s *appsv1.StatefulSet) { s.Name = "web.v1" }, []string{
			`metadata.name: Invalid value: "web.v1": must not contain dots`,
		}},
		// Like upstream, a missing selector also selects nothing.
		{"selector required", func(s *appsv1.StatefulSet) { s.Spec.Selector = nil }, []string{
			"spec.selector: Required value",
			"spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`",
		}},
		{"empty selector", func(s *appsv1.StatefulSet) { s.Spec.Selector = &metav1.LabelSelector{} }, []string{
			"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset",
		}},
		{"selector does not match labels", func(s *appsv1.StatefulSet) {
			s.Spec.Template.Labels = map[string]string{"app": "other"}
		}, []string{
			"spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`",
		}},
		{"restartPolicy", func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure }, []string{
			`spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"`,
		}},
		{"activeDeadlineSeconds", func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.ActiveDeadlineSeconds = ptr.To[int64](10) }, []string{
			"spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported",
		}},
		{"podManagementPolicy", func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = "Random" }, []string{
			`spec.podManagementPolicy: Invalid value: "Random": must be 'OrderedReady' or 'Parallel'`,
		}},
		{"rollingUpdate with OnDelete", func(s *appsv1.StatefulSet) { s.Spec.UpdateStrategy.Type = appsv1.OnDeleteStatefulSetStrategyType }, []string{
			"spec.updateStrategy.rollingUpdate: Invalid value: v1.RollingUpdateStatefulSetStrategy{Partition:(*int32)(0xPTR), MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'",
		}},
		{"bad update strategy", func(s *appsv1.StatefulSet) {
			s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: "Recreate"}
		}, []string{
			`spec.updateStrategy: Invalid value: v1.StatefulSetUpdateStrategy{Type:"Recreate", RollingUpdate:(*v1.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'`,
		}},
		{"negative partition", func(s *appsv1.StatefulSet) { s.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](-2) }, []string{
			"spec.updateStrategy.rollingUpdate.partition: Invalid value: -2: must be greater than or equal to 0",
		}},
		{"maxUnavailable zero", func(s *appsv1.StatefulSet) {
			s.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromInt32(0))
		}, []string{"spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: cannot be 0"}},
		{"minReadySeconds and ordinals", func(s *appsv1.StatefulSet) {
			s.Spec.MinReadySeconds = -1
			s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: -1}
		}, []string{
			"spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0",
			"spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0",
		}},
		{"retention policy", func(s *appsv1.StatefulSet) { s.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled = "Keep" }, []string{
			`spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: "Keep": supported values: "Retain", "Delete"`,
		}},
		{"serviceName not a label", func(s *appsv1.StatefulSet) { s.Spec.ServiceName = "nginx.svc" }, []string{
			`spec.serviceName: Invalid value: "nginx.svc": must not contain dots`,
		}},
		{"claim template without storage", func(s *appsv1.StatefulSet) {
			s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests = nil
			s.Spec.VolumeClaimTemplates[0].Spec.AccessModes = nil
		}, []string{
			"spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required",
			"spec.volumeClaimTemplates[0].spec.resources[storage]: Required value",
		}},
		{"claim template name", func(s *appsv1.StatefulSet) {
			s.Spec.VolumeClaimTemplates = append(s.Spec.VolumeClaimTemplates, validClaimTemplate("www"))
		}, []string{`spec.volumeClaimTemplates[1].metadata.name: Duplicate value: "www"`}},
		{"mount of a volume that exists nowhere", func(s *appsv1.StatefulSet) {
			s.Spec.Template.Spec.Containers[0].VolumeMounts[0].Name = "data"
		}, []string{`spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"`}},
		{"template container image", func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "" }, []string{
			"spec.template.spec.containers[0].image: Required value",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validStatefulSet()
			tc.mutate(s)
			errs := Validate(s)
			if tc.name == "rollingUpdate with OnDelete" {
				// The value dump contains a pointer address.
				if len(errs) != 1 || errs[0].Field != "spec.updateStrategy.rollingUpdate" || errs[0].Detail != "only allowed for updateStrategy 'RollingUpdate'" {
					t.Fatalf("got %v", errs)
				}
				return
			}
			expectErrors(t, errs, tc.want...)
		})
	}
}

const stsForbidden = "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"

func TestStatefulSetUpdate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*appsv1.StatefulSet)
		want   []string
	}{
		{"scale", func(s *appsv1.StatefulSet) { s.Spec.Replicas = ptr.To[int32](5) }, nil},
		{"image", func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "nginx:2" }, nil},
		{"strategy, ordinals, history, retention, minReady", func(s *appsv1.StatefulSet) {
			s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
			s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: 2}
			s.Spec.RevisionHistoryLimit = ptr.To[int32](3)
			s.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted = appsv1.DeletePersistentVolumeClaimRetentionPolicyType
			s.Spec.MinReadySeconds = 10
		}, nil},
		{"serviceName", func(s *appsv1.StatefulSet) { s.Spec.ServiceName = "other" }, []string{stsForbidden}},
		{"podManagementPolicy", func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement }, []string{stsForbidden}},
		{"selector", func(s *appsv1.StatefulSet) {
			s.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "x"}}
			s.Spec.Template.Labels = map[string]string{"app": "web", "tier": "x"}
		}, []string{stsForbidden}},
		{"volumeClaimTemplates size", func(s *appsv1.StatefulSet) {
			s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("2Gi")
		}, []string{stsForbidden}},
		{"same size written differently is not a change", func(s *appsv1.StatefulSet) {
			s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("1024Mi")
		}, nil},
		{"invalid and forbidden together", func(s *appsv1.StatefulSet) {
			s.Spec.Replicas = ptr.To[int32](-1)
			s.Spec.ServiceName = "other"
		}, []string{"spec.replicas: Invalid value: -1: must be greater than or equal to 0", stsForbidden}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := validStatefulSet()
			s := old.DeepCopy()
			tc.mutate(s)
			expectErrors(t, ValidateUpdate(s, old), tc.want...)
		})
	}
}

func TestStatefulSetUpdateKeepsLegacyName(t *testing.T) {
	// A set created under older rules with a dotted name must stay editable
	// (e.g. to remove a finalizer).
	old := validStatefulSet()
	old.Name = "web.v1"
	s := old.DeepCopy()
	s.Finalizers = []string{"example.com/x"}
	expectErrors(t, ValidateUpdate(s, old))
}

func TestStatefulSetStatusUpdate(t *testing.T) {
	old := validStatefulSet()
	old.Status = appsv1.StatefulSetStatus{Replicas: 3, ReadyReplicas: 3, CollisionCount: ptr.To[int32](2)}
	s := old.DeepCopy()
	s.Status.ReadyReplicas = 4
	s.Status.CollisionCount = ptr.To[int32](1)
	expectErrors(t, ValidateStatusUpdate(s, old),
		"status.readyReplicas: Invalid value: 4: cannot be greater than status.replicas",
		"status.collisionCount: Invalid value: 1: cannot be decremented",
	)
}

func TestControllerRevision(t *testing.T) {
	rev := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Name: "web-6b8d9c7f4", Namespace: "default", ResourceVersion: "1"},
		Data:       runtime.RawExtension{Raw: []byte(`{"spec":{"template":{"$patch":"replace"}}}`)},
		Revision:   1,
	}
	expectErrors(t, Validate(rev))

	bad := rev.DeepCopy()
	bad.Data = runtime.RawExtension{}
	bad.Revision = -1
	expectErrors(t, Validate(bad),
		"data: Required value: data is mandatory",
		"revision: Invalid value: -1: must be greater than or equal to 0",
	)

	// Rollback re-numbers a revision; re-encoded identical data is fine.
	renumbered := rev.DeepCopy()
	renumbered.Revision = 4
	renumbered.Data.Raw = []byte(`{ "spec": { "template": { "$patch": "replace" } } }`)
	expectErrors(t, ValidateUpdate(renumbered, rev))

	changed := rev.DeepCopy()
	changed.Data.Raw = []byte(`{"spec":{}}`)
	expectErrors(t, ValidateUpdate(changed, rev), `data: Invalid value: "{\"spec\":{}}": field is immutable`)
}
