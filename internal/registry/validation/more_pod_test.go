package validation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestPodLifecycleAndSecurity(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*corev1.Pod)
		want   []string
	}{
		{"preStop sleep longer than grace period", func(p *corev1.Pod) {
			p.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 60}}}
		}, []string{"spec.containers[0].lifecycle.preStop.sleep: Invalid value: 60: must be greater than 0 and less than terminationGracePeriodSeconds (30)"}},
		{"postStart without handler", func(p *corev1.Pod) {
			p.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{}}
		}, []string{"spec.containers[0].lifecycle.postStart: Required value: must specify a handler type"}},
		{"exec without command", func(p *corev1.Pod) {
			p.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{}}}
		}, []string{"spec.containers[0].lifecycle.preStop.exec.command: Required value"}},
		{"httpGet scheme and header", func(p *corev1.Pod) {
			p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
				ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(80), Scheme: "FTP",
					HTTPHeaders: []corev1.HTTPHeader{{Name: "X Bad", Value: "v"}}}},
				TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
			}
		}, []string{
			`spec.containers[0].readinessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"`,
			`spec.containers[0].readinessProbe.httpGet.httpHeaders: Invalid value: "X Bad": a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')`,
		}},
		{"readiness probe grace period", func(p *corev1.Pod) {
			p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
				ProbeHandler:   corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}},
				TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
				TerminationGracePeriodSeconds: ptr.To[int64](10),
			}
		}, []string{"spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: must not be set for readinessProbes"}},
		{"privilege escalation contradiction", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true), AllowPrivilegeEscalation: ptr.To(false)}
		}, nil /* value is a struct dump; checked by field below */},
		{"seccomp localhost without profile", func(p *corev1.Pod) {
			p.Spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost}
		}, []string{"spec.securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost"}},
		{"fsGroupChangePolicy", func(p *corev1.Pod) {
			p.Spec.SecurityContext.FSGroupChangePolicy = ptr.To(corev1.PodFSGroupChangePolicy("Sometimes"))
		}, []string{`spec.securityContext.fsGroupChangePolicy: Unsupported value: "Sometimes": supported values: "Always", "OnRootMismatch"`}},
		{"sysctl name", func(p *corev1.Pod) {
			p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "net.core.somaxconn", Value: "1024"}, {Name: ""}}
		}, []string{"spec.securityContext.sysctls[1].name: Required value"}},
		{"hostAliases", func(p *corev1.Pod) {
			p.Spec.HostAliases = []corev1.HostAlias{{IP: "not-an-ip", Hostnames: []string{"db.local"}}}
		}, []string{`spec.hostAliases[0].ip: Invalid value: "not-an-ip": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`}},
		{"block device from emptyDir", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			p.Spec.Containers[0].VolumeDevices = []corev1.VolumeDevice{{Name: "scratch", DevicePath: "/dev/xvda"}}
		}, []string{`spec.containers[0].volumeDevices[0].name: Invalid value: "scratch": can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode`}},
		{"match fields key", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.labels", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}}},
			}}}
		}, []string{`spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key: Invalid value: "metadata.labels": not a valid field selector key`}},
		{"projected service account token without account", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				DefaultMode: ptr.To[int32](0644),
				Sources: []corev1.VolumeProjection{
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: ptr.To[int64](3607), Path: "token"}},
					{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{
						Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
					}}}},
				},
			}}}}
		}, []string{"spec.volumes[0].projected.sources[0].serviceAccountToken: Forbidden: must not be specified when serviceAccountName is not set"}},
		{"downwardAPI volume", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "info", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
				Items: []corev1.DownwardAPIVolumeFile{
					{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels"}},
					{Path: "cpu", ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.gpu"}},
				},
			}}}}
		}, []string{
			"spec.volumes[0].downwardAPI.items[1].resourceFieldRef.containerName: Required value",
			`spec.volumes[0].downwardAPI.items[1].resourceFieldRef.resource: Unsupported value: "limits.gpu": supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"`,
		}},
		{"ephemeral volume", func(p *corev1.Pod) {
			spec := validPVCSpec()
			spec.Resources.Requests = nil
			p.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{
				VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{Spec: spec},
			}}}}
		}, []string{"spec.volumes[0].ephemeral.volumeClaimTemplate.spec.resources[storage]: Required value"}},
		{"nfs", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "share", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nas", Path: "exports"}}}}
		}, []string{`spec.volumes[0].nfs.path: Invalid value: "exports": must be an absolute path`}},
		{"hugepages without cpu or memory", func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{"hugepages-2Mi": resource.MustParse("4Mi")},
				Requests: corev1.ResourceList{"hugepages-2Mi": resource.MustParse("4Mi")},
			}
		}, []string{"spec.containers[0].resources: Forbidden: HugePages require cpu or memory"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := validPod()
			tc.mutate(p)
			errs := Validate(p)
			if tc.name == "privilege escalation contradiction" {
				if len(errs) != 1 || errs[0].Field != "spec.containers[0].securityContext" ||
					errs[0].Detail != "cannot set `allowPrivilegeEscalation` to false and `privileged` to true" {
					t.Fatalf("got %v", errs)
				}
				return
			}
			expectErrors(t, errs, tc.want...)
		})
	}
}

func TestGatedPodMayGainNodeSelector(t *testing.T) {
	old := validPod()
	old.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/quota"}}
	old.Spec.NodeSelector = map[string]string{"zone": "a"}
	p := old.DeepCopy()
	p.Spec.NodeSelector["disk"] = "ssd"
	expectErrors(t, ValidateUpdate(p, old))

	p = old.DeepCopy()
	p.Spec.NodeSelector["zone"] = "b"
	expectErrors(t, ValidateUpdate(p, old),
		`spec.nodeSelector[zone]: Invalid value: "b": only additions to spec.nodeSelector are allowed (no mutations or deletions)`)
}

func TestPodTemplateUpdate(t *testing.T) {
	old := &corev1.PodTemplate{Template: validTemplate(webLabels)}
	old.Name, old.Namespace = "tmpl", "default"
	pt := old.DeepCopy()
	pt.Template.Spec.Containers[0].Image = "other"
	pt.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	expectErrors(t, ValidateUpdate(pt, old))
}
