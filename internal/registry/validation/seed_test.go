package validation

import (
	"bytes"
	"os"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// The seed documents' manifests must validate once defaulted. The
// defaulting below is the subset of upstream's v1 defaults these manifests
// rely on; the real defaulter lives in the registry.

func defaultPodSpecForTest(s *corev1.PodSpec) {
	if s.RestartPolicy == "" {
		s.RestartPolicy = corev1.RestartPolicyAlways
	}
	if s.DNSPolicy == "" {
		s.DNSPolicy = corev1.DNSClusterFirst
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = ptr.To[int64](30)
	}
	for _, list := range [][]corev1.Container{s.InitContainers, s.Containers} {
		for i := range list {
			c := &list[i]
			c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
			c.ImagePullPolicy = corev1.PullIfNotPresent
			for j := range c.Ports {
				if c.Ports[j].Protocol == "" {
					c.Ports[j].Protocol = corev1.ProtocolTCP
				}
			}
			for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
				if p == nil {
					continue
				}
				if p.SuccessThreshold == 0 {
					p.SuccessThreshold = 1
				}
				if p.FailureThreshold == 0 {
					p.FailureThreshold = 3
				}
			}
		}
	}
}

func loadYAMLDocs(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(b, []byte("\n---\n"))
}

func TestSeedMySQLStatefulSet(t *testing.T) {
	var sts appsv1.StatefulSet
	if err := yaml.UnmarshalStrict(loadYAMLDocs(t, "testdata/seed-mysql-statefulset.yaml")[0], &sts); err != nil {
		t.Fatal(err)
	}
	sts.Namespace = "default"
	sts.Spec.PodManagementPolicy = appsv1.OrderedReadyPodManagement
	sts.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{
		Type: appsv1.RollingUpdateStatefulSetStrategyType, RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](0)},
	}
	defaultPodSpecForTest(&sts.Spec.Template.Spec)
	for i := range sts.Spec.VolumeClaimTemplates {
		sts.Spec.VolumeClaimTemplates[i].Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	}
	expectErrors(t, Validate(&sts))

	// kubectl apply of the same manifest with a new image is an update.
	upd := sts.DeepCopy()
	upd.ResourceVersion = "2"
	upd.Spec.Template.Spec.Containers[0].Image = "mysql:8.0"
	expectErrors(t, ValidateUpdate(upd, &sts))
}

func TestSeedMySQLServices(t *testing.T) {
	for _, doc := range loadYAMLDocs(t, "testdata/seed-mysql-services.yaml") {
		var svc corev1.Service
		if err := yaml.UnmarshalStrict(doc, &svc); err != nil {
			t.Fatal(err)
		}
		svc.Namespace = "default"
		svc.Spec.Type = corev1.ServiceTypeClusterIP
		svc.Spec.SessionAffinity = corev1.ServiceAffinityNone
		for i := range svc.Spec.Ports {
			svc.Spec.Ports[i].Protocol = corev1.ProtocolTCP
			svc.Spec.Ports[i].TargetPort = intstr.FromInt32(svc.Spec.Ports[i].Port)
		}
		t.Run(svc.Name, func(t *testing.T) { expectErrors(t, Validate(&svc)) })
	}
}
