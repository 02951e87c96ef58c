package defaults

import (
	"testing"

	storagev1 "k8s.io/api/storage/v1"
)

func TestDefaultStorageClass(t *testing.T) {
	runDefaultingCases[storagev1.StorageClass](t, []defaultingCase{{
		name:  "minimal class",
		input: `{metadata: {name: local-path}, provisioner: ordinal.dev/local-path}`,
		want: `
metadata: {name: local-path}
provisioner: ordinal.dev/local-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
`,
	}, {
		name: "user values are kept",
		input: `
metadata: {name: local-path}
provisioner: ordinal.dev/local-path
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
`,
		want: `
metadata: {name: local-path}
provisioner: ordinal.dev/local-path
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
`,
	}})
}

func TestDefaultCSIDriver(t *testing.T) {
	runDefaultingCases[storagev1.CSIDriver](t, []defaultingCase{{
		name:  "minimal driver",
		input: `{metadata: {name: hostpath.csi.k8s.io}}`,
		want: `
metadata: {name: hostpath.csi.k8s.io}
spec:
  attachRequired: true
  fsGroupPolicy: ReadWriteOnceWithFSType
  podInfoOnMount: false
  requiresRepublish: false
  seLinuxMount: false
  storageCapacity: false
  volumeLifecycleModes: [Persistent]
`,
	}, {
		name: "user values are kept",
		input: `
metadata: {name: hostpath.csi.k8s.io}
spec:
  attachRequired: false
  fsGroupPolicy: File
  podInfoOnMount: true
  requiresRepublish: true
  seLinuxMount: true
  storageCapacity: true
  volumeLifecycleModes: [Persistent, Ephemeral]
`,
		want: `
metadata: {name: hostpath.csi.k8s.io}
spec:
  attachRequired: false
  fsGroupPolicy: File
  podInfoOnMount: true
  requiresRepublish: true
  seLinuxMount: true
  storageCapacity: true
  volumeLifecycleModes: [Persistent, Ephemeral]
`,
	}})
}

func TestDefaultVolumeAttachment(t *testing.T) {
	assertDefaulted[storagev1.VolumeAttachment](t, `
metadata: {name: csi-123}
spec:
  attacher: ebs.csi.aws.com
  nodeName: node-1
  source:
    inlineVolumeSpec:
      capacity: {storage: "0.5"}
      iscsi: {targetPortal: "10.0.0.1:3260", iqn: "iqn.2001-04.com.example:storage", lun: 0}
`, `
metadata: {name: csi-123}
spec:
  attacher: ebs.csi.aws.com
  nodeName: node-1
  source:
    inlineVolumeSpec:
      capacity: {storage: 500m}
      iscsi: {targetPortal: "10.0.0.1:3260", iqn: "iqn.2001-04.com.example:storage", lun: 0, iscsiInterface: default}
status: {attached: false}
`)
}
