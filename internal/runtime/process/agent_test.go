package process

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/agent"
	"ordinal.dev/ordinal/internal/controlplane"
	"ordinal.dev/ordinal/internal/image"
	"ordinal.dev/ordinal/internal/image/busybox"
)

// TestAgentRunsARealPod drives the node agent over the process runtime, as `ordinal up`
// will: an init container derives its ordinal from $HOSTNAME and writes a config file the
// main container reads, env comes from a config map and the downward API, an exec
// readiness probe gates Ready, and a graceful delete stops the container with SIGTERM.
// The agent is restarted in the middle and must keep the pod running.
func TestAgentRunsARealPod(t *testing.T) {
	requireHost(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The control plane's node IPAM gives the node a /24 of a range no other test uses.
	cp, err := controlplane.Start(ctx, controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", ClusterCIDR: "10.42.192.0/20"})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Stop()
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)

	dir := t.TempDir()
	store, err := image.Open(filepath.Join(dir, "images"), image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "busybox.tar")
	if err := busybox.WriteArchive(archive, busybox.Binary, busybox.Ref); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(ctx, archive, image.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	opts := Options{DataDir: dir, Images: store, Shim: testShim, Bridge: "ordtagent"}
	defer exec.Command("ip", "link", "del", "ordtagent").Run()
	startAgent := func() (stop func()) {
		rt, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		m := agent.SimMachine("node-a", 1)
		a, err := agent.New(agent.Config{NodeName: "node-a", Client: client, Runtime: rt, Machine: &m, RelistPeriod: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		actx, acancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); a.Run(actx) }()
		return func() { acancel(); <-done }
	}
	stop := startAgent()

	_, err = client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings"}, Data: map[string]string{"greeting": "hello"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	grace := int64(10)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "db-2", Namespace: "default"},
		Spec: corev1.PodSpec{
			NodeName: "node-a", TerminationGracePeriodSeconds: &grace,
			Volumes: []corev1.Volume{{Name: "conf", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			InitContainers: []corev1.Container{{
				Name: "init", Image: "busybox", ImagePullPolicy: corev1.PullIfNotPresent,
				Command:      []string{"sh", "-c", `ordinal=${HOSTNAME##*-}; echo "server-id=$((100 + ordinal))" > /conf/server.cnf`},
				VolumeMounts: []corev1.VolumeMount{{Name: "conf", MountPath: "/conf"}},
			}},
			Containers: []corev1.Container{{
				Name: "main", Image: "busybox", ImagePullPolicy: corev1.PullIfNotPresent,
				Command: []string{"sh", "-c", `cat /conf/server.cnf; echo "$GREETING from $POD_NAME"; trap 'echo bye; exit 0' TERM; touch /tmp/ready; while true; do sleep 0.1; done`},
				Env: []corev1.EnvVar{
					{Name: "GREETING", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "greeting"}}},
					{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				},
				VolumeMounts:   []corev1.VolumeMount{{Name: "conf", MountPath: "/conf"}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"cat", "/tmp/ready"}}}, PeriodSeconds: 1},
			}},
		},
	}
	created, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ready := func(p *corev1.Pod) bool {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return true
			}
		}
		return false
	}
	got := waitPod(t, client, "db-2", 30*time.Second, ready)
	if !strings.HasPrefix(got.Status.PodIP, "10.42.19") || !strings.HasPrefix(got.Status.ContainerStatuses[0].ContainerID, "runc://") {
		t.Fatalf("status: podIP %q, containerID %q", got.Status.PodIP, got.Status.ContainerStatuses[0].ContainerID)
	}
	log := LogPath(dir, created.UID, "main", 0)
	if text := readLog(log); !strings.Contains(text, "server-id=102") || !strings.Contains(text, "hello from db-2") {
		t.Fatalf("main container's log:\n%s", text)
	}

	// An agent restart leaves the container running and the pod Ready.
	stop()
	stop = startAgent()
	defer func() { stop() }()
	// For a while (several relists of the new agent) the pod must stay as it was.
	id := got.Status.ContainerStatuses[0].ContainerID
	for until := time.Now().Add(time.Second); time.Now().Before(until); time.Sleep(100 * time.Millisecond) {
		got = waitPod(t, client, "db-2", 10*time.Second, ready)
		if cs := got.Status.ContainerStatuses[0]; cs.ContainerID != id || cs.RestartCount != 0 || cs.State.Running == nil {
			t.Fatalf("after the agent restart: %+v", cs)
		}
	}

	if err := client.CoreV1().Pods("default").Delete(ctx, "db-2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := client.CoreV1().Pods("default").Get(ctx, "db-2", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pod not deleted")
		}
		time.Sleep(50 * time.Millisecond)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		rt, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		pods, _ := rt.ListPods(ctx)
		if len(pods) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("runtime still has %d pods after the delete", len(pods))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitPod(t *testing.T, client kubernetes.Interface, name string, within time.Duration, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		p, err := client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if err == nil && cond(p) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod %s: condition not met after %s: %+v (%v)", name, within, p.Status, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func readLog(path string) string {
	raw, _ := exec.Command("cat", path).Output()
	return string(raw)
}
