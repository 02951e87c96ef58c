package validation

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestDeploymentCreate(t *testing.T) {
	zero := intstr.FromInt32(0)
	zeroPct := intstr.FromString("0%")
	cases := []struct {
		name   string
		mutate func(*appsv1.Deployment)
		want   []string
	}{
		{"valid", func(*appsv1.Deployment) {}, nil},
		{"negative replicas", func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](-1) }, []string{
			"spec.replicas: Invalid value: -1: must be greater than or equal to 0",
		}},
		{"both budgets zero", func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxUnavailable: &zero, MaxSurge: &zeroPct}
		}, []string{
			"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0",
		}},
		{"percent over 100", func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromString("150%"))
		}, []string{
			"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150%\"}: must not be greater than 100%",
		}},
		{"bad percent", func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromString("ten"))
		}, []string{
			"spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"ten\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
		}},
		{"negative surge", func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(-1))
		}, []string{"spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"}},
		{"recreate with rollingUpdate", func(d *appsv1.Deployment) { d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType }, []string{
			"spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
		}},
		{"recreate", func(d *appsv1.Deployment) {
			d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
		}, nil},
		{"progress deadline not above minReadySeconds", func(d *appsv1.Deployment) {
			d.Spec.MinReadySeconds = 600
		}, []string{"spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"}},
		{"negative revisionHistoryLimit", func(d *appsv1.Deployment) { d.Spec.RevisionHistoryLimit = ptr.To[int32](-1) }, []string{
			"spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0",
		}},
		{"template labels mismatch", func(d *appsv1.Deployment) { d.Spec.Template.Labels = nil }, []string{
			"spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`",
		}},
		{"empty selector", func(d *appsv1.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} }, []string{
			"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
		}},
		{"restartPolicy Never", func(d *appsv1.Deployment) { d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever }, []string{
			`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`,
		}},
		{"template pod spec checked", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers = nil }, []string{
			"spec.template.spec.containers: Required value",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := validDeployment()
			tc.mutate(d)
			expectErrors(t, Validate(d), tc.want...)
		})
	}
}

func TestDeploymentUpdate(t *testing.T) {
	old := validDeployment()
	d := old.DeepCopy()
	d.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	d.Spec.Replicas = ptr.To[int32](10)
	expectErrors(t, ValidateUpdate(d, old))

	d = old.DeepCopy()
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "v": "2"}}
	d.Spec.Template.Labels = map[string]string{"app": "web", "v": "2"}
	expectErrors(t, ValidateUpdate(d, old),
		`spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable`)
}

func TestDeploymentStatusUpdate(t *testing.T) {
	old := validDeployment()
	d := old.DeepCopy()
	d.Status = appsv1.DeploymentStatus{Replicas: 1, AvailableReplicas: 2, ReadyReplicas: 2}
	expectErrors(t, ValidateStatusUpdate(d, old),
		"status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas",
		"status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas",
	)
}

func TestReplicaSet(t *testing.T) {
	expectErrors(t, Validate(validReplicaSet()))

	rs := validReplicaSet()
	rs.Spec.Replicas = ptr.To[int32](-3)
	rs.Spec.Template.Labels = map[string]string{"app": "db"}
	expectErrors(t, Validate(rs),
		"spec.replicas: Invalid value: -3: must be greater than or equal to 0",
		"spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"db\"}: `selector` does not match template `labels`",
	)

	old := validReplicaSet()
	rs = old.DeepCopy()
	rs.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists}}}
	errs := ValidateUpdate(rs, old)
	if len(errs) != 1 || errs[0].Field != "spec.selector" || errs[0].Detail != "field is immutable" {
		t.Fatalf("got %v", errs)
	}

	rs = old.DeepCopy()
	rs.Status = appsv1.ReplicaSetStatus{Replicas: 2, FullyLabeledReplicas: 2, ReadyReplicas: 1, AvailableReplicas: 2}
	expectErrors(t, ValidateStatusUpdate(rs, old),
		"status.availableReplicas: Invalid value: 2: cannot be greater than readyReplicas")
}

func TestReplicationController(t *testing.T) {
	tmpl := validTemplate(webLabels)
	rc := &corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"},
		Spec:       corev1.ReplicationControllerSpec{Replicas: ptr.To[int32](1), Selector: webLabels, Template: &tmpl},
	}
	expectErrors(t, Validate(rc))

	bad := rc.DeepCopy()
	bad.Spec.Selector = nil
	bad.Spec.Replicas = ptr.To[int32](-1)
	bad.Spec.Template.Spec.ActiveDeadlineSeconds = ptr.To[int64](5)
	expectErrors(t, Validate(bad),
		"spec.selector: Required value",
		"spec.replicas: Invalid value: -1: must be greater than or equal to 0",
		"spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported",
	)
}

func TestDaemonSet(t *testing.T) {
	zero := intstr.FromInt32(0)
	one := intstr.FromInt32(1)
	cases := []struct {
		name   string
		mutate func(*appsv1.DaemonSet)
		want   []string
	}{
		{"valid", func(*appsv1.DaemonSet) {}, nil},
		{"surge instead of unavailable", func(d *appsv1.DaemonSet) {
			d.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &zero, MaxSurge: ptr.To(intstr.FromString("10%"))}
		}, nil},
		{"both zero", func(d *appsv1.DaemonSet) {
			d.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &zero, MaxSurge: &zero}
		}, []string{"spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"}},
		{"both set", func(d *appsv1.DaemonSet) {
			d.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &one, MaxSurge: &one}
		}, []string{"spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:\"\"}: may not be set when maxUnavailable is non-zero"}},
		{"rollingUpdate missing", func(d *appsv1.DaemonSet) { d.Spec.UpdateStrategy.RollingUpdate = nil }, []string{
			"spec.updateStrategy.rollingUpdate: Required value",
		}},
		{"selector mismatch", func(d *appsv1.DaemonSet) { d.Spec.Template.Labels = map[string]string{"app": "x"} }, []string{
			"spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`",
		}},
		{"activeDeadlineSeconds", func(d *appsv1.DaemonSet) { d.Spec.Template.Spec.ActiveDeadlineSeconds = ptr.To[int64](1) }, []string{
			"spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := validDaemonSet()
			tc.mutate(d)
			expectErrors(t, Validate(d), tc.want...)
		})
	}

	old := validDaemonSet()
	d := old.DeepCopy()
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "x": "y"}}
	d.Spec.Template.Labels = map[string]string{"app": "web", "x": "y"}
	errs := ValidateUpdate(d, old)
	if len(errs) != 1 || errs[0].Field != "spec.selector" || errs[0].Detail != "field is immutable" {
		t.Fatalf("got %v", errs)
	}
}

func TestWorkloadStatusUpdates(t *testing.T) {
	ds := validDaemonSet()
	upd := ds.DeepCopy()
	upd.Status.NumberReady = -1
	expectErrors(t, ValidateStatusUpdate(upd, ds), "status.numberReady: Invalid value: -1: must be greater than or equal to 0")

	tmpl := validTemplate(webLabels)
	rc := &corev1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.ReplicationControllerSpec{Replicas: ptr.To[int32](1), Selector: webLabels, Template: &tmpl}}
	rcUpd := rc.DeepCopy()
	rcUpd.Status.Replicas = 1
	rcUpd.Status.ReadyReplicas = 2
	expectErrors(t, ValidateStatusUpdate(rcUpd, rc), "status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas")
	// An RC's selector may change, unlike the apps kinds.
	rcUpd = rc.DeepCopy()
	rcUpd.Spec.Selector = map[string]string{"app": "web"}
	expectErrors(t, ValidateUpdate(rcUpd, rc))

	job := validJob()
	jobUpd := job.DeepCopy()
	jobUpd.Status.Active = -1
	expectErrors(t, ValidateStatusUpdate(jobUpd, job), "status.active: Invalid value: -1: must be greater than or equal to 0")

	cj := validCronJob()
	cjUpd := cj.DeepCopy()
	cjUpd.Status.LastScheduleTime = ptr.To(metav1.Now())
	expectErrors(t, ValidateStatusUpdate(cjUpd, cj))
}
