package defaults

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestDefaultPod(t *testing.T) {
	runDefaultingCases[corev1.Pod](t, []defaultingCase{{
		name: "minimal pod",
		input: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: c, image: busybox}
`,
		want: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: busybox
    imagePullPolicy: Always
    resources: {}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  terminationGracePeriodSeconds: 30
status: {}
`,
	}, {
		name: "user values are kept",
		input: `
metadata: {name: p}
spec:
  containers:
  - name: c
    image: busybox
    imagePullPolicy: Never
    terminationMessagePath: /tmp/why
    terminationMessagePolicy: FallbackToLogsOnError
    ports:
    - {containerPort: 53, protocol: UDP}
    readinessProbe:
      httpGet: {path: /healthz, port: 8080, scheme: HTTPS}
      timeoutSeconds: 5
      periodSeconds: 2
      successThreshold: 2
      failureThreshold: 7
    env:
    - name: NODE
      valueFrom:
        fieldRef: {apiVersion: v1beta1, fieldPath: spec.nodeName}
  dnsPolicy: Default
  enableServiceLinks: false
  restartPolicy: Never
  schedulerName: my-scheduler
  securityContext: {runAsUser: 1000}
  terminationGracePeriodSeconds: 0
`,
		want: `
metadata: {name: p}
spec:
  containers:
  - name: c
    image: busybox
    imagePullPolicy: Never
    terminationMessagePath: /tmp/why
    terminationMessagePolicy: FallbackToLogsOnError
    ports:
    - {containerPort: 53, protocol: UDP}
    readinessProbe:
      httpGet: {path: /healthz, port: 8080, scheme: HTTPS}
      timeoutSeconds: 5
      periodSeconds: 2
      successThreshold: 2
      failureThreshold: 7
    env:
    - name: NODE
      valueFrom:
        fieldRef: {apiVersion: v1beta1, fieldPath: spec.nodeName}
    resources: {}
  dnsPolicy: Default
  enableServiceLinks: false
  restartPolicy: Never
  schedulerName: my-scheduler
  securityContext: {runAsUser: 1000}
  terminationGracePeriodSeconds: 0
status: {}
`,
	}, {
		name: "probes, lifecycle hooks, ports and downward API env",
		input: `
metadata: {name: p}
spec:
  containers:
  - name: c
    image: registry:5000/app:v2
    ports:
    - {name: http, containerPort: 8080}
    env:
    - name: POD_IP
      valueFrom:
        fieldRef: {fieldPath: status.podIP}
    - {name: PLAIN, value: x}
    livenessProbe:
      httpGet: {port: http}
    readinessProbe:
      grpc: {port: 9090}
    startupProbe:
      tcpSocket: {port: 8080}
      initialDelaySeconds: 3
    lifecycle:
      postStart:
        httpGet: {port: 8080}
      preStop:
        exec: {command: [sleep, "5"]}
`,
		want: `
metadata: {name: p}
spec:
  containers:
  - name: c
    image: registry:5000/app:v2
    imagePullPolicy: IfNotPresent
    ports:
    - {name: http, containerPort: 8080, protocol: TCP}
    env:
    - name: POD_IP
      valueFrom:
        fieldRef: {apiVersion: v1, fieldPath: status.podIP}
    - {name: PLAIN, value: x}
    livenessProbe:
      httpGet: {path: /, port: http, scheme: HTTP}
      timeoutSeconds: 1
      periodSeconds: 10
      successThreshold: 1
      failureThreshold: 3
    readinessProbe:
      grpc: {port: 9090, service: ""}
      timeoutSeconds: 1
      periodSeconds: 10
      successThreshold: 1
      failureThreshold: 3
    startupProbe:
      tcpSocket: {port: 8080}
      initialDelaySeconds: 3
      timeoutSeconds: 1
      periodSeconds: 10
      successThreshold: 1
      failureThreshold: 3
    lifecycle:
      postStart:
        httpGet: {path: /, port: 8080, scheme: HTTP}
      preStop:
        exec: {command: [sleep, "5"]}
    resources: {}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  terminationGracePeriodSeconds: 30
status: {}
`,
	}, {
		name: "requests come from limits and quantities are rounded to milli-units",
		input: `
metadata: {name: p}
spec:
  initContainers:
  - name: init
    image: busybox:1.36
    resources:
      limits: {cpu: 500m, memory: 64Mi}
  containers:
  - name: c
    image: busybox:1.36
    resources:
      limits: {cpu: "0.0001", memory: 128Mi}
      requests: {memory: 100Mi}
  - name: only-requests
    image: busybox:1.36
    resources:
      requests: {cpu: "0.5"}
`,
		want: `
metadata: {name: p}
spec:
  initContainers:
  - name: init
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    resources:
      limits: {cpu: 500m, memory: 64Mi}
      requests: {cpu: 500m, memory: 64Mi}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  containers:
  - name: c
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    resources:
      limits: {cpu: 1m, memory: 128Mi}
      requests: {cpu: 1m, memory: 100Mi}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  - name: only-requests
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    resources:
      requests: {cpu: 500m}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  terminationGracePeriodSeconds: 30
status: {}
`,
	}, {
		name: "volumes",
		input: `
metadata: {name: p}
spec:
  containers:
  - {name: c, image: busybox:1.36}
  volumes:
  - name: scratch
  - name: empty
    emptyDir: {}
  - name: config
    configMap: {name: cm}
  - name: creds
    secret: {secretName: s}
  - name: podinfo
    downwardAPI:
      items:
      - path: labels
        fieldRef: {fieldPath: metadata.labels}
  - name: all-in-one
    projected:
      sources:
      - serviceAccountToken: {path: token}
      - downwardAPI:
          items:
          - path: name
            fieldRef: {fieldPath: metadata.name}
      - configMap: {name: cm}
  - name: host
    hostPath: {path: /var/log}
  - name: data
    persistentVolumeClaim: {claimName: data}
  - name: cache
    ephemeral:
      volumeClaimTemplate:
        spec:
          accessModes: [ReadWriteOnce]
          resources:
            requests: {storage: 1Gi}
  - name: keep
    configMap: {name: cm, defaultMode: 0400}
`,
		want: `
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
  - name: scratch
    emptyDir: {}
  - name: empty
    emptyDir: {}
  - name: config
    configMap: {name: cm, defaultMode: 420}
  - name: creds
    secret: {secretName: s, defaultMode: 420}
  - name: podinfo
    downwardAPI:
      defaultMode: 420
      items:
      - path: labels
        fieldRef: {apiVersion: v1, fieldPath: metadata.labels}
  - name: all-in-one
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken: {path: token, expirationSeconds: 3600}
      - downwardAPI:
          items:
          - path: name
            fieldRef: {apiVersion: v1, fieldPath: metadata.name}
      - configMap: {name: cm}
  - name: host
    hostPath: {path: /var/log, type: ""}
  - name: data
    persistentVolumeClaim: {claimName: data}
  - name: cache
    ephemeral:
      volumeClaimTemplate:
        metadata: {}
        spec:
          accessModes: [ReadWriteOnce]
          resources:
            requests: {storage: 1Gi}
          volumeMode: Filesystem
  - name: keep
    configMap: {name: cm, defaultMode: 256}
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  terminationGracePeriodSeconds: 30
status: {}
`,
	}, {
		name: "host network pods publish their container ports on the node",
		input: `
metadata: {name: p}
spec:
  hostNetwork: true
  containers:
  - name: c
    image: busybox:1.36
    ports:
    - {containerPort: 8080}
    - {containerPort: 9090, hostPort: 9090}
`,
		want: `
metadata: {name: p}
spec:
  hostNetwork: true
  containers:
  - name: c
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    ports:
    - {containerPort: 8080, hostPort: 8080, protocol: TCP}
    - {containerPort: 9090, hostPort: 9090, protocol: TCP}
    resources: {}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  terminationGracePeriodSeconds: 30
status: {}
`,
	}, {
		name: "ephemeral containers get container defaults",
		input: `
metadata: {name: p}
spec:
  containers:
  - {name: c, image: busybox:1.36}
  ephemeralContainers:
  - {name: debugger, image: busybox, targetContainerName: c}
`,
		want: `
metadata: {name: p}
spec:
  containers:
  - name: c
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    resources: {}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  ephemeralContainers:
  - name: debugger
    image: busybox
    targetContainerName: c
    imagePullPolicy: Always
    resources: {}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  terminationGracePeriodSeconds: 30
status: {}
`,
	}})
}

// Pod templates get the PodSpec defaults but not the pod-only ones
// (enableServiceLinks, requests from limits, host ports): upstream keeps those
// off templates so that adding them never rewrote existing workloads.
func TestPodTemplatesDoNotGetPodOnlyDefaults(t *testing.T) {
	assertDefaulted[appsv1.ReplicaSet](t, `
metadata: {name: rs}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostNetwork: true
      containers:
      - name: c
        image: busybox:1.36
        ports:
        - {containerPort: 8080}
        resources:
          limits: {cpu: "1"}
`, `
metadata: {name: rs}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostNetwork: true
      containers:
      - name: c
        image: busybox:1.36
        imagePullPolicy: IfNotPresent
        ports:
        - {containerPort: 8080, protocol: TCP}
        resources:
          limits: {cpu: "1"}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
status: {replicas: 0}
`)
}
