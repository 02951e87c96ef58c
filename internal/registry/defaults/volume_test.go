package defaults

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// The legacy in-tree plugins keep their historical defaults, in pod volumes
// and in persistent volumes alike.
func TestLegacyVolumePluginDefaults(t *testing.T) {
	assertDefaulted[corev1.Pod](t, `
metadata: {name: p}
spec:
  containers:
  - {name: c, image: busybox:1.36}
  volumes:
  - name: rbd
    rbd: {monitors: [10.0.0.1], image: disk}
  - name: iscsi
    iscsi: {targetPortal: "10.0.0.1:3260", iqn: "iqn.2001-04.com.example:storage", lun: 0}
  - name: azure
    azureDisk: {diskName: d, diskURI: "https://example.com/d.vhd"}
  - name: scaleio
    scaleIO: {gateway: "https://gw", system: sys, secretRef: {name: s}}
`, `
metadata: {name: p}
spec:
  containers:
  - name: c
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    resources: {}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  volumes:
  - name: rbd
    rbd: {monitors: [10.0.0.1], image: disk, pool: rbd, user: admin, keyring: /etc/ceph/keyring}
  - name: iscsi
    iscsi: {targetPortal: "10.0.0.1:3260", iqn: "iqn.2001-04.com.example:storage", lun: 0, iscsiInterface: default}
  - name: azure
    azureDisk: {diskName: d, diskURI: "https://example.com/d.vhd", cachingMode: ReadWrite, fsType: ext4, readOnly: false, kind: Shared}
  - name: scaleio
    scaleIO: {gateway: "https://gw", system: sys, secretRef: {name: s}, storageMode: ThinProvisioned, fsType: xfs}
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  terminationGracePeriodSeconds: 30
status: {}
`)

	assertDefaulted[corev1.PersistentVolume](t, `
metadata: {name: pv}
spec:
  capacity: {storage: 1Gi}
  rbd: {monitors: [10.0.0.1], image: disk, pool: fast}
`, `
metadata: {name: pv}
spec:
  capacity: {storage: 1Gi}
  rbd: {monitors: [10.0.0.1], image: disk, pool: fast, user: admin, keyring: /etc/ceph/keyring}
  persistentVolumeReclaimPolicy: Retain
  volumeMode: Filesystem
status: {phase: Pending}
`)
	for _, source := range []string{
		`azureDisk: {diskName: d, diskURI: "https://example.com/d.vhd", cachingMode: None}`,
		`scaleIO: {gateway: "https://gw", system: sys, secretRef: {name: s}, fsType: ext4}`,
	} {
		pv := &corev1.PersistentVolume{}
		decodeInto(t, "spec: {"+source+"}", pv)
		Default(pv)
		if d := pv.Spec.AzureDisk; d != nil && (*d.CachingMode != corev1.AzureDataDiskCachingNone || *d.FSType != "ext4") {
			t.Errorf("azureDisk = %+v, want cachingMode None kept and fsType ext4", d)
		}
		if s := pv.Spec.ScaleIO; s != nil && (s.FSType != "ext4" || s.StorageMode != "ThinProvisioned") {
			t.Errorf("scaleIO = %+v, want fsType ext4 kept and storageMode ThinProvisioned", s)
		}
	}
}

// Resource quantities are rounded wherever a pod carries them: pod-level
// resources, overhead and the statuses the kubelet reports.
func TestPodQuantitiesAreRounded(t *testing.T) {
	pod := &corev1.Pod{}
	decodeInto(t, `
spec:
  overhead: {cpu: "0.00001"}
  resources:
    limits: {cpu: "0.0015"}
  containers:
  - {name: c, image: busybox:1.36}
status:
  containerStatuses:
  - name: c
    allocatedResources: {cpu: "0.0001"}
    resources:
      requests: {cpu: "0.0002"}
`, pod)
	Default(pod)
	for what, q := range map[string]string{
		"overhead":                pod.Spec.Overhead.Cpu().String(),
		"pod limits":              pod.Spec.Resources.Limits.Cpu().String(),
		"allocated resources":     pod.Status.ContainerStatuses[0].AllocatedResources.Cpu().String(),
		"status resource request": pod.Status.ContainerStatuses[0].Resources.Requests.Cpu().String(),
	} {
		want := "1m"
		if what == "pod limits" {
			want = "2m"
		}
		if q != want {
			t.Errorf("%s cpu = %s, want %s", what, q, want)
		}
	}
}
