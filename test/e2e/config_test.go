package e2e

import (
	"testing"
)

// TestConfigMapsSecretsAndServiceAccounts covers the configuration kinds: seed 001's MySQL
// ConfigMap, configmaps and secrets made by kubectl, and service accounts.
func TestConfigMapsSecretsAndServiceAccounts(t *testing.T) {
	_, k := newSession(t)

	wantLines(t, k.run("create", "-f", "testdata/mydb/mydb-cm-mysql.yaml"), "configmap/mydb-config created")
	k.object("cm", "mydb-config").want(
		"metadata.labels.app\\.kubernetes\\.io/name", "mydb",
		"data.primary\\.cnf", "[mysqld]\nlog-bin    \n",
		"data.replica\\.cnf", "[mysqld]\nsuper-read-only \n",
	)

	wantLines(t, k.run("create", "configmap", "game", "--from-literal=lives=3", "--from-literal=name=pacman"), "configmap/game created")
	cm := k.table("cm")
	cm.wantHeader(t, "NAME", "DATA", "AGE")
	cm.wantCells(t, "game", "DATA", "2")
	cm.wantCells(t, "mydb-config", "DATA", "2")

	editor := editorScript(t, `s|lives: "3"|lives: "5"|`)
	wantLines(t, k.withEnv("KUBE_EDITOR="+editor).run("edit", "cm", "game"), "configmap/game edited")
	k.object("cm", "game").want("data.lives", "5")
	k.run("patch", "cm", "game", "--type", "merge", "-p", `{"data":{"level":"1"}}`)
	k.table("cm", "game").wantCells(t, "game", "DATA", "3")
	k.run("patch", "cm", "game", "--type", "json", "-p", `[{"op":"remove","path":"/data/name"}]`)
	game := k.object("cm", "game")
	game.want("data.lives", "5", "data.level", "1")
	game.wantAbsent("data.name")
	k.run("patch", "cm", "game", "-p", `{"data":{"name":"ms-pacman"}}`)
	k.object("cm", "game").want("data.name", "ms-pacman")

	// An immutable configmap keeps its data.
	wantLines(t, k.apply(`
apiVersion: v1
kind: ConfigMap
metadata:
  name: frozen
immutable: true
data:
  key: value
`), "configmap/frozen created")
	out := k.fails("patch", "cm", "frozen", "--type", "merge", "-p", `{"data":{"key":"other"}}`)
	wantContains(t, out, `The ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `+"`immutable`"+` is set`)

	// Secrets: data is base64 on the wire, stringData is folded into it.
	wantLines(t, k.run("create", "secret", "generic", "db-pass", "--from-literal=user=root", "--from-literal=password=s3cret"),
		"secret/db-pass created")
	secrets := k.table("secrets")
	secrets.wantHeader(t, "NAME", "TYPE", "DATA", "AGE")
	secrets.wantCells(t, "db-pass", "TYPE", "Opaque", "DATA", "2")
	k.object("secret", "db-pass").want("type", "Opaque", "data.user", "cm9vdA==", "data.password", "czNjcmV0")
	wantLines(t, k.apply(`
apiVersion: v1
kind: Secret
metadata:
  name: api-token
type: Opaque
stringData:
  token: hunter2
`), "secret/api-token created")
	token := k.object("secret", "api-token")
	token.want("data.token", "aHVudGVyMg==")
	token.wantAbsent("stringData")
	wantDescribe(t, k.run("describe", "secret", "api-token"), "Type", "Opaque", "token", "7 bytes")

	// A typed secret must carry its keys.
	out = k.failsStdin(`
apiVersion: v1
kind: Secret
metadata:
  name: half-tls
type: kubernetes.io/tls
data:
  tls.crt: Y2VydA==
`, "apply", "-f", "-")
	wantContains(t, out, `The Secret "half-tls" is invalid: data[tls.key]: Required value`)

	wantLines(t, k.run("create", "serviceaccount", "build-bot"), "serviceaccount/build-bot created")
	sa := k.table("sa", "build-bot")
	sa.wantHeader(t, "NAME", "SECRETS", "AGE")
	sa.wantCells(t, "build-bot", "SECRETS", "0")
	k.run("patch", "sa", "build-bot", "-p", `{"imagePullSecrets":[{"name":"registry"}]}`)
	k.object("sa", "build-bot").want("imagePullSecrets.0.name", "registry")
	// kubectl looks the secret up, and there is none.
	wantDescribe(t, k.run("describe", "sa", "build-bot"), "Name", "build-bot", "Image pull secrets", "registry (not found)")

	wantLines(t, k.run("delete", "cm", "game", "frozen"), `configmap "game" deleted`, `configmap "frozen" deleted`)
	wantLines(t, k.run("delete", "secret", "db-pass"), `secret "db-pass" deleted`)
	wantLines(t, k.run("delete", "sa", "build-bot"), `serviceaccount "build-bot" deleted`)
}

// TestStorage covers StorageClass (with seed 004's commands for switching the default
// class), PersistentVolumeClaim and PersistentVolume.
func TestStorage(t *testing.T) {
	_, k := newSession(t)

	// Two classes, as on the seed's minikube: standard is the default.
	out := k.apply(`
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: k8s.io/minikube-hostpath
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: csi-hostpath-sc
provisioner: hostpath.csi.k8s.io
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
`)
	wantLines(t, out, "storageclass.storage.k8s.io/standard created", "storageclass.storage.k8s.io/csi-hostpath-sc created")
	sc := k.table("storageclass")
	sc.wantHeader(t, "NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE")
	sc.wantCells(t, "standard (default)", "PROVISIONER", "k8s.io/minikube-hostpath", "RECLAIMPOLICY", "Delete",
		"VOLUMEBINDINGMODE", "Immediate", "ALLOWVOLUMEEXPANSION", "false")
	sc.wantCells(t, "csi-hostpath-sc", "PROVISIONER", "hostpath.csi.k8s.io", "RECLAIMPOLICY", "Delete",
		"VOLUMEBINDINGMODE", "WaitForFirstConsumer", "ALLOWVOLUMEEXPANSION", "true")
	k.object("sc", "standard").want("reclaimPolicy", "Delete", "volumeBindingMode", "Immediate")

	// The seed's two commands, verbatim.
	wantLines(t, k.run("patch", "storageclass", "csi-hostpath-sc", "-p",
		`{"metadata": {"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}`),
		"storageclass.storage.k8s.io/csi-hostpath-sc patched")
	wantLines(t, k.run("patch", "storageclass", "standard", "-p",
		`{"metadata": {"annotations":{"storageclass.kubernetes.io/is-default-class":"false"}}}`),
		"storageclass.storage.k8s.io/standard patched")
	sc = k.table("storageclass")
	sc.row(t, "csi-hostpath-sc (default)")
	sc.row(t, "standard")

	// A provisioner is fixed once set.
	wantContains(t, k.fails("patch", "sc", "standard", "--type", "merge", "-p", `{"provisioner":"other"}`),
		"provisioner: Forbidden: updates to provisioner are forbidden.")

	// A claim that names no class gets the default one, as the seed's mydb example expects.
	wantLines(t, k.apply(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
`), "persistentvolumeclaim/data created")
	pvc := k.table("pvc", "-o", "wide")
	pvc.wantHeader(t, "NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE", "VOLUMEMODE")
	pvc.wantCells(t, "data", "STATUS", "Pending", "STORAGECLASS", "csi-hostpath-sc", "VOLUMEMODE", "Filesystem")
	k.object("pvc", "data").want(
		"spec.storageClassName", "csi-hostpath-sc",
		"spec.volumeMode", "Filesystem",
		"status.phase", "Pending",
	)
	// An unbound claim's spec is fixed.
	out = k.fails("patch", "pvc", "data", "--type", "merge", "-p", `{"spec":{"accessModes":["ReadWriteMany"]}}`)
	wantContains(t, out, `The PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation`)

	wantLines(t, k.apply(`
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv0001
spec:
  capacity:
    storage: 5Gi
  accessModes:
  - ReadWriteOnce
  persistentVolumeReclaimPolicy: Recycle
  storageClassName: standard
  hostPath:
    path: /tmp/pv0001
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv0002
spec:
  capacity:
    storage: 10Gi
  accessModes:
  - ReadWriteMany
  - ReadOnlyMany
  hostPath:
    path: /tmp/pv0002
`), "persistentvolume/pv0001 created", "persistentvolume/pv0002 created")
	pv := k.table("pv")
	pv.wantHeader(t, "NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS",
		"VOLUMEATTRIBUTESCLASS", "REASON", "AGE")
	pv.wantCells(t, "pv0001", "CAPACITY", "5Gi", "ACCESS MODES", "RWO", "RECLAIM POLICY", "Recycle", "STORAGECLASS", "standard")
	// A volume made by hand is Retained unless it says otherwise.
	pv.wantCells(t, "pv0002", "CAPACITY", "10Gi", "ACCESS MODES", "ROX,RWX", "RECLAIM POLICY", "Retain")
	k.object("pv", "pv0002").want("spec.persistentVolumeReclaimPolicy", "Retain", "spec.volumeMode", "Filesystem")

	// The claim of seed 002 (no class named) also lands on the default class.
	k.run("create", "-f", "testdata/helloweb-rc.yaml")
	k.table("pvc", "helloweb-disk").wantCells(t, "helloweb-disk", "STATUS", "Pending", "STORAGECLASS", "csi-hostpath-sc")

	// A claim in use by a scheduled pod stays until the pod is gone (pvc-protection), so
	// the ReplicationController and its pod go first.
	k.run("delete", "rc", "nginx", "--cascade=foreground")
	wantLines(t, k.run("delete", "pvc", "data", "helloweb-disk"),
		`persistentvolumeclaim "data" deleted`, `persistentvolumeclaim "helloweb-disk" deleted`)
	wantLines(t, k.run("delete", "pv", "pv0001", "pv0002"), `persistentvolume "pv0001" deleted`, `persistentvolume "pv0002" deleted`)
	wantLines(t, k.run("delete", "sc", "standard"), `storageclass.storage.k8s.io "standard" deleted`)
}
