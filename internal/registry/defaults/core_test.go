package defaults

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
)

// rcTemplateWant is the defaulted spec of a pod template with one container
// running nginx:1.7.9 on port 8090 (the RC seed's template), indented for a
// template at the second level.
const rcTemplateWant = `
    spec:
      containers:
      - name: nginx
        image: nginx:1.7.9
        imagePullPolicy: IfNotPresent
        ports:
        - {containerPort: 8090, protocol: TCP}
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
`

func TestDefaultReplicationController(t *testing.T) {
	runDefaultingCases[corev1.ReplicationController](t, []defaultingCase{{
		name: "selector and labels come from the template",
		input: `
metadata: {name: nginx}
spec:
  template:
    metadata:
      labels: {app: nginx}
    spec:
      containers:
      - name: nginx
        image: nginx:1.7.9
        ports:
        - containerPort: 8090
`,
		want: `
metadata:
  name: nginx
  labels: {app: nginx}
spec:
  replicas: 1
  selector: {app: nginx}
  template:
    metadata:
      labels: {app: nginx}` + rcTemplateWant + `
status: {replicas: 0}
`,
	}, {
		name: "seed: selector and labels that are set are kept",
		input: `
apiVersion: v1
kind: ReplicationController
metadata:
  name: nginx
  labels: {tier: web}
spec:
  replicas: 3
  selector:
    app: nginx
  template:
    metadata:
      name: nginx
      labels:
        app: nginx
        version: "1"
    spec:
      containers:
      - name: nginx
        image: nginx:1.7.9
        ports:
        - containerPort: 8090
`,
		want: `
apiVersion: v1
kind: ReplicationController
metadata:
  name: nginx
  labels: {tier: web}
spec:
  replicas: 3
  selector: {app: nginx}
  template:
    metadata:
      name: nginx
      labels: {app: nginx, version: "1"}` + rcTemplateWant + `
status: {replicas: 0}
`,
	}})
}

func TestDefaultPersistentVolumeClaim(t *testing.T) {
	runDefaultingCases[corev1.PersistentVolumeClaim](t, []defaultingCase{{
		name: "seed: helloweb-disk",
		input: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: helloweb-disk
spec:
  accessModes:
  - ReadWriteOnce
  resources:
    requests:
      storage: 30Gi
`,
		want: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: helloweb-disk
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 30Gi}
  volumeMode: Filesystem
status:
  phase: Pending
`,
	}, {
		name: "user values are kept",
		input: `
metadata: {name: raw}
spec:
  accessModes: [ReadWriteOncePod]
  volumeMode: Block
  storageClassName: ""
  resources:
    requests: {storage: 1Gi}
status:
  phase: Bound
`,
		want: `
metadata: {name: raw}
spec:
  accessModes: [ReadWriteOncePod]
  volumeMode: Block
  storageClassName: ""
  resources:
    requests: {storage: 1Gi}
status:
  phase: Bound
`,
	}})
}

func TestDefaultPersistentVolume(t *testing.T) {
	runDefaultingCases[corev1.PersistentVolume](t, []defaultingCase{{
		name: "hand-made volumes are retained",
		input: `
metadata: {name: pv1}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /srv/pv1}
`,
		want: `
metadata: {name: pv1}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /srv/pv1, type: ""}
  persistentVolumeReclaimPolicy: Retain
  volumeMode: Filesystem
status:
  phase: Pending
`,
	}, {
		name: "user values are kept",
		input: `
metadata: {name: pv2}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  local: {path: /mnt/disks/ssd1}
  persistentVolumeReclaimPolicy: Delete
  volumeMode: Block
status:
  phase: Available
`,
		want: `
metadata: {name: pv2}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  local: {path: /mnt/disks/ssd1}
  persistentVolumeReclaimPolicy: Delete
  volumeMode: Block
status:
  phase: Available
`,
	}})
}

func TestDefaultNamespace(t *testing.T) {
	runDefaultingCases[corev1.Namespace](t, []defaultingCase{{
		name: "named namespaces are labelled with their name",
		input: `
metadata:
  name: team-a
  labels: {env: prod}
`,
		want: `
metadata:
  name: team-a
  labels: {env: prod, kubernetes.io/metadata.name: team-a}
spec: {}
status: {phase: Active}
`,
	}, {
		name:  "namespaces without labels get the name label",
		input: `{metadata: {name: team-b}}`,
		want: `
metadata:
  name: team-b
  labels: {kubernetes.io/metadata.name: team-b}
spec: {}
status: {phase: Active}
`,
	}, {
		name: "generated names are labelled later",
		input: `
metadata: {generateName: tmp-}
status: {phase: Terminating}
`,
		want: `
metadata: {generateName: tmp-}
spec: {}
status: {phase: Terminating}
`,
	}})
}

func TestDefaultNode(t *testing.T) {
	node := &corev1.Node{Status: corev1.NodeStatus{Capacity: corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("8Gi"),
	}}}
	Default(node)
	if !apiequality.Semantic.DeepEqual(node.Status.Allocatable, node.Status.Capacity) {
		t.Errorf("allocatable = %v, want the capacity %v", node.Status.Allocatable, node.Status.Capacity)
	}
	node.Status.Allocatable[corev1.ResourceCPU] = resource.MustParse("3")
	if got := node.Status.Capacity[corev1.ResourceCPU]; got.String() != "4" {
		t.Errorf("changing allocatable changed capacity to %s: the two share a map", got.String())
	}

	reported := &corev1.Node{Status: corev1.NodeStatus{
		Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")},
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3900m")},
	}}
	Default(reported)
	if got := reported.Status.Allocatable[corev1.ResourceCPU]; got.String() != "3900m" {
		t.Errorf("reported allocatable cpu = %s, want it kept at 3900m", got.String())
	}
}

func TestDefaultSecret(t *testing.T) {
	runDefaultingCases[corev1.Secret](t, []defaultingCase{{
		name:  "untyped secrets are opaque",
		input: `{metadata: {name: s}, stringData: {password: hunter2}}`,
		want:  `{metadata: {name: s}, stringData: {password: hunter2}, type: Opaque}`,
	}, {
		name:  "typed secrets are kept",
		input: `{metadata: {name: s}, type: kubernetes.io/tls}`,
		want:  `{metadata: {name: s}, type: kubernetes.io/tls}`,
	}})
}

func TestDefaultConfigMap(t *testing.T) {
	cm := &corev1.ConfigMap{}
	Default(cm)
	if cm.Data == nil {
		t.Error("ConfigMap.Data is nil after defaulting, want an empty map")
	}
	// The empty map never shows on the wire.
	assertDefaulted[corev1.ConfigMap](t, `{metadata: {name: cm}}`, `{metadata: {name: cm}}`)
}

func TestDefaultLimitRange(t *testing.T) {
	assertDefaulted[corev1.LimitRange](t, `
metadata: {name: limits}
spec:
  limits:
  - type: Container
    max: {cpu: "2", memory: 1Gi}
    min: {cpu: 50m, memory: 16Mi, ephemeral-storage: 1Gi}
    default: {memory: 512Mi}
  - type: Container
    default: {cpu: 500m}
    defaultRequest: {cpu: 100m}
  - type: Container
    max: {memory: 2Gi}
  - type: Pod
    max: {cpu: "4"}
`, `
metadata: {name: limits}
spec:
  limits:
  - type: Container
    max: {cpu: "2", memory: 1Gi}
    min: {cpu: 50m, memory: 16Mi, ephemeral-storage: 1Gi}
    default: {cpu: "2", memory: 512Mi}
    defaultRequest: {cpu: "2", memory: 512Mi, ephemeral-storage: 1Gi}
  - type: Container
    default: {cpu: 500m}
    defaultRequest: {cpu: 100m}
  - type: Container
    max: {memory: 2Gi}
    default: {memory: 2Gi}
    defaultRequest: {memory: 2Gi}
  - type: Pod
    max: {cpu: "4"}
`)
}

func TestDefaultResourceQuota(t *testing.T) {
	assertDefaulted[corev1.ResourceQuota](t, `
metadata: {name: quota}
spec:
  hard: {requests.cpu: "0.0005", pods: "10"}
`, `
metadata: {name: quota}
spec:
  hard: {requests.cpu: 1m, pods: "10"}
status: {}
`)
}

func TestDefaultPodTemplate(t *testing.T) {
	assertDefaulted[corev1.PodTemplate](t, `
metadata: {name: pt}
template:
  spec:
    containers:
    - name: nginx
      image: nginx:1.7.9
      ports:
      - containerPort: 8090
`, `
metadata: {name: pt}
template:
    metadata: {}`+rcTemplateWant)
}
