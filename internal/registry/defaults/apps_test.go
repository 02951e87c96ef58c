package defaults

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// simpleTemplateWant is the defaulted spec of a one-container pod template
// (image busybox:1.36), indented for spec.template.
const simpleTemplateWant = `
    spec:
      containers:
      - name: c
        image: busybox:1.36
        imagePullPolicy: IfNotPresent
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
`

// simpleTemplate is the input matching simpleTemplateWant.
const simpleTemplate = `
    spec:
      containers:
      - {name: c, image: busybox:1.36}
`

func TestDefaultStatefulSet(t *testing.T) {
	runDefaultingCases[appsv1.StatefulSet](t, []defaultingCase{{
		name: "seed: myapp-sts-vol",
		input: `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: myapp-sts-vol
spec:
  selector:
    matchLabels:
      app: myapp-sts-vol
  serviceName: myapp-svc-headless
  replicas: 2
  template:
    metadata:
      labels:
        app: myapp-sts-vol
    spec:
      containers:
      - name: myapp
        image: ghcr.io/c1t1d0s7/go-myweb:alpine
        ports:
        - containerPort: 8080
        volumeMounts:
        - name: myapp-data
          mountPath: /data
  volumeClaimTemplates:
  - metadata:
      name: myapp-data
    spec:
      accessModes: ["ReadWriteOnce"]
      resources:
        requests:
          storage: 1Gi
      storageClassName: nfs-client
`,
		want: `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: myapp-sts-vol
spec:
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Retain
    whenScaled: Retain
  podManagementPolicy: OrderedReady
  replicas: 2
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app: myapp-sts-vol
  serviceName: myapp-svc-headless
  template:
    metadata:
      labels:
        app: myapp-sts-vol
    spec:
      containers:
      - name: myapp
        image: ghcr.io/c1t1d0s7/go-myweb:alpine
        imagePullPolicy: IfNotPresent
        ports:
        - containerPort: 8080
          protocol: TCP
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
        volumeMounts:
        - name: myapp-data
          mountPath: /data
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
  updateStrategy:
    rollingUpdate:
      partition: 0
    type: RollingUpdate
  volumeClaimTemplates:
  - apiVersion: v1
    kind: PersistentVolumeClaim
    metadata:
      name: myapp-data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Gi
      storageClassName: nfs-client
      volumeMode: Filesystem
    status:
      phase: Pending
status:
  availableReplicas: 0
  replicas: 0
`,
	}, {
		name: "seed: mydb (init containers, probes, configMap volume)",
		input: `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: mydb
spec:
  selector:
    matchLabels: {app: mydb, app.kubernetes.io/name: mydb}
  serviceName: mydb
  replicas: 2
  template:
    metadata:
      labels: {app: mydb, app.kubernetes.io/name: mydb}
    spec:
      initContainers:
      - name: init-mysql
        image: mysql:5.7
        command: [bash, "-c", "set -ex"]
        volumeMounts:
        - {name: conf, mountPath: /mnt/conf.d}
        - {name: config-map, mountPath: /mnt/config-map}
      - name: clone-mysql
        image: gcr.io/google-samples/xtrabackup:1.0
        command: [bash, "-c", "set -ex"]
        volumeMounts:
        - {name: data, mountPath: /var/lib/mysql, subPath: mysql}
        - {name: conf, mountPath: /etc/mysql/conf.d}
      containers:
      - name: mysql
        image: mysql:5.7
        env:
        - name: MYSQL_ALLOW_EMPTY_PASSWORD
          value: "1"
        ports:
        - name: mysql
          containerPort: 3306
        volumeMounts:
        - {name: data, mountPath: /var/lib/mysql, subPath: mysql}
        - {name: conf, mountPath: /etc/mysql/conf.d}
        livenessProbe:
          exec:
            command: ["mysqladmin", "ping"]
          initialDelaySeconds: 30
          periodSeconds: 10
          timeoutSeconds: 5
        readinessProbe:
          exec:
            command: ["mysql", "-h", "127.0.0.1", "-e", "SELECT 1"]
          initialDelaySeconds: 5
          periodSeconds: 2
          timeoutSeconds: 1
      - name: xtrabackup
        image: gcr.io/google-samples/xtrabackup:1.0
        ports:
        - name: xtrabackup
          containerPort: 3307
        command: [bash, "-c", "set -ex"]
        volumeMounts:
        - {name: data, mountPath: /var/lib/mysql, subPath: mysql}
        - {name: conf, mountPath: /etc/mysql/conf.d}
      volumes:
      - name: conf
        emptyDir: {}
      - name: config-map
        configMap:
          name: mydb-config
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: ["ReadWriteOnce"]
      resources:
        requests:
          storage: 1Gi
`,
		want: `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: mydb
spec:
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Retain}
  podManagementPolicy: OrderedReady
  replicas: 2
  revisionHistoryLimit: 10
  selector:
    matchLabels: {app: mydb, app.kubernetes.io/name: mydb}
  serviceName: mydb
  template:
    metadata:
      labels: {app: mydb, app.kubernetes.io/name: mydb}
    spec:
      initContainers:
      - name: init-mysql
        image: mysql:5.7
        imagePullPolicy: IfNotPresent
        command: [bash, "-c", "set -ex"]
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
        volumeMounts:
        - {name: conf, mountPath: /mnt/conf.d}
        - {name: config-map, mountPath: /mnt/config-map}
      - name: clone-mysql
        image: gcr.io/google-samples/xtrabackup:1.0
        imagePullPolicy: IfNotPresent
        command: [bash, "-c", "set -ex"]
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
        volumeMounts:
        - {name: data, mountPath: /var/lib/mysql, subPath: mysql}
        - {name: conf, mountPath: /etc/mysql/conf.d}
      containers:
      - name: mysql
        image: mysql:5.7
        imagePullPolicy: IfNotPresent
        env:
        - name: MYSQL_ALLOW_EMPTY_PASSWORD
          value: "1"
        ports:
        - {name: mysql, containerPort: 3306, protocol: TCP}
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
        volumeMounts:
        - {name: data, mountPath: /var/lib/mysql, subPath: mysql}
        - {name: conf, mountPath: /etc/mysql/conf.d}
        livenessProbe:
          exec:
            command: ["mysqladmin", "ping"]
          failureThreshold: 3
          initialDelaySeconds: 30
          periodSeconds: 10
          successThreshold: 1
          timeoutSeconds: 5
        readinessProbe:
          exec:
            command: ["mysql", "-h", "127.0.0.1", "-e", "SELECT 1"]
          failureThreshold: 3
          initialDelaySeconds: 5
          periodSeconds: 2
          successThreshold: 1
          timeoutSeconds: 1
      - name: xtrabackup
        image: gcr.io/google-samples/xtrabackup:1.0
        imagePullPolicy: IfNotPresent
        ports:
        - {name: xtrabackup, containerPort: 3307, protocol: TCP}
        command: [bash, "-c", "set -ex"]
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
        volumeMounts:
        - {name: data, mountPath: /var/lib/mysql, subPath: mysql}
        - {name: conf, mountPath: /etc/mysql/conf.d}
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
      volumes:
      - name: conf
        emptyDir: {}
      - name: config-map
        configMap: {name: mydb-config, defaultMode: 420}
  updateStrategy:
    rollingUpdate: {partition: 0}
    type: RollingUpdate
  volumeClaimTemplates:
  - apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 1Gi}
      volumeMode: Filesystem
    status: {phase: Pending}
status:
  availableReplicas: 0
  replicas: 0
`,
	}, {
		name: "user values are kept",
		input: `
metadata: {name: web}
spec:
  replicas: 0
  revisionHistoryLimit: 3
  podManagementPolicy: Parallel
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {partition: 2, maxUnavailable: 2}
  selector: {matchLabels: {app: web}}
  template:` + simpleTemplate + `
  volumeClaimTemplates:
  - apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: {name: www}
    spec:
      volumeMode: Block
      resources: {requests: {storage: 1Gi}}
`,
		want: `
metadata: {name: web}
spec:
  replicas: 0
  revisionHistoryLimit: 3
  podManagementPolicy: Parallel
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Retain}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {partition: 2, maxUnavailable: 2}
  selector: {matchLabels: {app: web}}
  serviceName: ""
  template:
    metadata: {}` + simpleTemplateWant + `
  volumeClaimTemplates:
  - apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: {name: www}
    spec:
      volumeMode: Block
      resources: {requests: {storage: 1Gi}}
    status: {phase: Pending}
status: {availableReplicas: 0, replicas: 0}
`,
	}, {
		// Upstream only creates rollingUpdate when it defaulted the type, so
		// an explicit RollingUpdate without parameters keeps none, and
		// maxUnavailable is never defaulted (MaxUnavailableStatefulSet is off).
		name: "explicit RollingUpdate type gets no rollingUpdate",
		input: `
metadata: {name: web}
spec:
  updateStrategy: {type: RollingUpdate}
  selector: {matchLabels: {app: web}}
  template:` + simpleTemplate,
		want: `
metadata: {name: web}
spec:
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Retain}
  podManagementPolicy: OrderedReady
  replicas: 1
  revisionHistoryLimit: 10
  updateStrategy: {type: RollingUpdate}
  selector: {matchLabels: {app: web}}
  serviceName: ""
  template:
    metadata: {}` + simpleTemplateWant + `
status: {availableReplicas: 0, replicas: 0}
`,
	}, {
		name: "rollingUpdate given without a partition gets partition 0",
		input: `
metadata: {name: web}
spec:
  updateStrategy:
    rollingUpdate: {maxUnavailable: 50%}
  selector: {matchLabels: {app: web}}
  template:` + simpleTemplate,
		want: `
metadata: {name: web}
spec:
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Retain}
  podManagementPolicy: OrderedReady
  replicas: 1
  revisionHistoryLimit: 10
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 50%, partition: 0}
  selector: {matchLabels: {app: web}}
  serviceName: ""
  template:
    metadata: {}` + simpleTemplateWant + `
status: {availableReplicas: 0, replicas: 0}
`,
	}, {
		name: "OnDelete gets no rollingUpdate",
		input: `
metadata: {name: web}
spec:
  updateStrategy: {type: OnDelete}
  selector: {matchLabels: {app: web}}
  template:` + simpleTemplate,
		want: `
metadata: {name: web}
spec:
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Retain}
  podManagementPolicy: OrderedReady
  replicas: 1
  revisionHistoryLimit: 10
  updateStrategy: {type: OnDelete}
  selector: {matchLabels: {app: web}}
  serviceName: ""
  template:
    metadata: {}` + simpleTemplateWant + `
status: {availableReplicas: 0, replicas: 0}
`,
	}})
}

func TestDefaultDeployment(t *testing.T) {
	runDefaultingCases[appsv1.Deployment](t, []defaultingCase{{
		name: "seed: myapp-deploy keeps its rolling update parameters",
		input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: myapp-deploy
  labels:
    app: myapp-deploy
spec:
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 1
      maxSurge: 1
  minReadySeconds: 20
  replicas: 3
  selector:
    matchLabels:
      app: myapp-deploy
  template:
    metadata:
      labels:
        app: myapp-deploy
    spec:
      containers:
      - image: ghcr.io/c1t1d0s7/go-myweb:v1.0
        name: myapp
        ports:
        - containerPort: 8080
`,
		want: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: myapp-deploy
  labels:
    app: myapp-deploy
spec:
  minReadySeconds: 20
  progressDeadlineSeconds: 600
  replicas: 3
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app: myapp-deploy
  strategy:
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 1
    type: RollingUpdate
  template:
    metadata:
      labels:
        app: myapp-deploy
    spec:
      containers:
      - image: ghcr.io/c1t1d0s7/go-myweb:v1.0
        imagePullPolicy: IfNotPresent
        name: myapp
        ports:
        - containerPort: 8080
          protocol: TCP
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
status: {}
`,
	}, {
		name: "minimal deployment",
		input: `
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:` + simpleTemplate,
		want: `
metadata: {name: web}
spec:
  progressDeadlineSeconds: 600
  replicas: 1
  revisionHistoryLimit: 10
  selector: {matchLabels: {app: web}}
  strategy:
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
    type: RollingUpdate
  template:
    metadata: {}` + simpleTemplateWant + `
status: {}
`,
	}, {
		name: "a partial rolling update is completed",
		input: `
metadata: {name: web}
spec:
  strategy:
    rollingUpdate: {maxSurge: 0}
  selector: {matchLabels: {app: web}}
  template:` + simpleTemplate,
		want: `
metadata: {name: web}
spec:
  progressDeadlineSeconds: 600
  replicas: 1
  revisionHistoryLimit: 10
  selector: {matchLabels: {app: web}}
  strategy:
    rollingUpdate: {maxSurge: 0, maxUnavailable: 25%}
    type: RollingUpdate
  template:
    metadata: {}` + simpleTemplateWant + `
status: {}
`,
	}, {
		name: "Recreate gets no rolling update parameters",
		input: `
metadata: {name: web}
spec:
  replicas: 0
  revisionHistoryLimit: 0
  progressDeadlineSeconds: 30
  strategy: {type: Recreate}
  selector: {matchLabels: {app: web}}
  template:` + simpleTemplate,
		want: `
metadata: {name: web}
spec:
  progressDeadlineSeconds: 30
  replicas: 0
  revisionHistoryLimit: 0
  selector: {matchLabels: {app: web}}
  strategy: {type: Recreate}
  template:
    metadata: {}` + simpleTemplateWant + `
status: {}
`,
	}})
}

func TestDefaultReplicaSet(t *testing.T) {
	assertDefaulted[appsv1.ReplicaSet](t, `
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:`+simpleTemplate, `
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {}`+simpleTemplateWant+`
status: {replicas: 0}
`)
}

func TestDefaultDaemonSet(t *testing.T) {
	runDefaultingCases[appsv1.DaemonSet](t, []defaultingCase{{
		name: "minimal daemon set",
		input: `
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:` + simpleTemplate,
		want: `
metadata: {name: agent}
spec:
  revisionHistoryLimit: 10
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {}` + simpleTemplateWant + `
  updateStrategy:
    rollingUpdate: {maxSurge: 0, maxUnavailable: 1}
    type: RollingUpdate
status: {currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0}
`,
	}, {
		name: "user values are kept",
		input: `
metadata: {name: agent}
spec:
  revisionHistoryLimit: 1
  updateStrategy:
    rollingUpdate: {maxUnavailable: 10%}
  selector: {matchLabels: {app: agent}}
  template:` + simpleTemplate,
		want: `
metadata: {name: agent}
spec:
  revisionHistoryLimit: 1
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {}` + simpleTemplateWant + `
  updateStrategy:
    rollingUpdate: {maxSurge: 0, maxUnavailable: 10%}
    type: RollingUpdate
status: {currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0}
`,
	}, {
		name: "OnDelete gets no rolling update parameters",
		input: `
metadata: {name: agent}
spec:
  updateStrategy: {type: OnDelete}
  selector: {matchLabels: {app: agent}}
  template:` + simpleTemplate,
		want: `
metadata: {name: agent}
spec:
  revisionHistoryLimit: 10
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {}` + simpleTemplateWant + `
  updateStrategy: {type: OnDelete}
status: {currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0}
`,
	}})
}
