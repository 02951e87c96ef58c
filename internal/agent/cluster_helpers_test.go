package agent_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"ordinal.dev/ordinal/internal/agent"
	"ordinal.dev/ordinal/internal/controller/nodeipam"
	"ordinal.dev/ordinal/internal/controlplane"
	"ordinal.dev/ordinal/internal/runtime"
	"ordinal.dev/ordinal/internal/runtime/sim"
)

// startCluster runs a control plane and the node IPAM controller. Pods are created bound
// to a node: no scheduler is needed.
func startCluster(t *testing.T) kubernetes.Interface {
	t.Helper()
	cp, err := controlplane.Start(context.Background(), controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	t.Cleanup(cp.Stop)
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)
	startIPAM(t, client)
	return client
}

func startIPAM(t *testing.T, client kubernetes.Interface) {
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(client, 0)
	ipam, err := nodeipam.New(client, factory.Core().V1().Nodes(), nodeipam.Options{})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); ipam.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })
}

// runningAgent is an agent under test; stop ends it the way a process exit would, leaving
// the runtime (and its pods) as they are.
type runningAgent struct {
	stop func()
}

// startAgent runs an agent for node name over rt, with the knobs turned down so tests do
// not wait on upstream's periods.
func startAgent(t *testing.T, client kubernetes.Interface, name string, index int, rt runtime.Runtime) *runningAgent {
	t.Helper()
	m := agent.SimMachine(name, index)
	a, err := agent.New(agent.Config{
		NodeName: name, Client: client, Runtime: rt, Machine: &m,
		RelistPeriod: 50 * time.Millisecond, BackOff: 200 * time.Millisecond, MaxBackOff: 2 * time.Second,
		NodeStatusUpdateFrequency: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	ra := &runningAgent{stop: func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("agent %s: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("agent %s did not stop", name)
		}
	}}
	t.Cleanup(ra.stop)
	return ra
}

// eventually polls cond until it holds or the deadline passes; cond explains what it saw.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; last seen: %s", what, last)
}

func newPod(name, node string, annotations map[string]string, containers ...string) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Annotations: annotations},
		Spec:       corev1.PodSpec{NodeName: node},
	}
	for _, c := range containers {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: c, Image: "nginx:1.27"})
	}
	return pod
}

func create(t *testing.T, client kubernetes.Interface, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	out, err := client.CoreV1().Pods(pod.Namespace).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating pod %s: %v", pod.Name, err)
	}
	return out
}

func getPod(t *testing.T, client kubernetes.Interface, name string) *corev1.Pod {
	t.Helper()
	pod, err := client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting pod %s: %v", name, err)
	}
	return pod
}

func podCondition(pod *corev1.Pod, t corev1.PodConditionType) corev1.ConditionStatus {
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

func describe(pod *corev1.Pod) string {
	var b strings.Builder
	fmt.Fprintf(&b, "phase=%s ip=%s ready=%s", pod.Status.Phase, pod.Status.PodIP, podCondition(pod, corev1.PodReady))
	for _, cs := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		fmt.Fprintf(&b, " [%s restarts=%d ready=%v", cs.Name, cs.RestartCount, cs.Ready)
		switch {
		case cs.State.Waiting != nil:
			fmt.Fprintf(&b, " waiting %s", cs.State.Waiting.Reason)
		case cs.State.Running != nil:
			b.WriteString(" running")
		case cs.State.Terminated != nil:
			fmt.Fprintf(&b, " terminated %d %s", cs.State.Terminated.ExitCode, cs.State.Terminated.Reason)
		}
		b.WriteString("]")
	}
	return b.String()
}

func waitRunningReady(t *testing.T, client kubernetes.Interface, name string) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	eventually(t, 10*time.Second, "pod "+name+" Running and Ready", func() (bool, string) {
		pod = getPod(t, client, name)
		return pod.Status.Phase == corev1.PodRunning && podCondition(pod, corev1.PodReady) == corev1.ConditionTrue, describe(pod)
	})
	return pod
}

// events returns the reasons and messages of the events about an object, oldest first.
func events(t *testing.T, client kubernetes.Interface, ns, name string) []string {
	t.Helper()
	list, err := client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", name).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Reason+": "+e.Message)
	}
	return out
}

func waitEvent(t *testing.T, client kubernetes.Interface, ns, name, want string) {
	t.Helper()
	eventually(t, 10*time.Second, "event "+want, func() (bool, string) {
		evs := events(t, client, ns, name)
		for _, e := range evs {
			if strings.Contains(e, want) {
				return true, ""
			}
		}
		return false, strings.Join(evs, "\n")
	})
}

func waitGone(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	eventually(t, 15*time.Second, "pod "+name+" gone", func() (bool, string) {
		pod, err := client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		return false, describe(pod)
	})
}

func waitRuntimeForgets(t *testing.T, rt *sim.Runtime, pod *corev1.Pod) {
	t.Helper()
	eventually(t, 10*time.Second, "the runtime to forget "+pod.Name, func() (bool, string) {
		_, err := rt.PodStatus(context.Background(), pod.UID)
		return errors.Is(err, runtime.ErrNotFound), fmt.Sprint(err)
	})
}

// watchUntilDeleted collects a pod's updates until it is deleted and returns the last
// state seen before the deletion.
func watchUntilDeleted(t *testing.T, client kubernetes.Interface, pod *corev1.Pod) (<-chan *corev1.Pod, func()) {
	t.Helper()
	w, err := client.CoreV1().Pods("default").Watch(context.Background(), metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", pod.Name).String(), ResourceVersion: pod.ResourceVersion,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan *corev1.Pod, 1)
	go func() {
		var last *corev1.Pod
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			if ev.Type == watch.Deleted {
				break
			}
			last = p
		}
		out <- last
	}()
	return out, w.Stop
}

// bindClaim plays the volume binder: a PV bound to the claim, and the claim Bound to it.
func bindClaim(t *testing.T, client kubernetes.Interface, claimName, pvName string, mode corev1.PersistentVolumeAccessMode) {
	t.Helper()
	ctx := context.Background()
	claim, err := client.CoreV1().PersistentVolumeClaims("default").Get(ctx, claimName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: pvName},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:            []corev1.PersistentVolumeAccessMode{mode},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp/" + pvName}},
			ClaimRef:               &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: "default", Name: claimName, UID: claim.UID},
		},
	}
	if _, err := client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		claim, err := client.CoreV1().PersistentVolumeClaims("default").Get(ctx, claimName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		claim.Spec.VolumeName = pvName
		if claim, err = client.CoreV1().PersistentVolumeClaims("default").Update(ctx, claim, metav1.UpdateOptions{}); err != nil {
			return err
		}
		claim.Status.Phase = corev1.ClaimBound
		_, err = client.CoreV1().PersistentVolumeClaims("default").UpdateStatus(ctx, claim, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func describeOrNil(p *corev1.Pod) string {
	if p == nil {
		return "<no update seen>"
	}
	return describe(p)
}

func ptrTo[T any](v T) *T { return &v }

func intOrString(port int) intstr.IntOrString { return intstr.FromInt32(int32(port)) }

func isTerminalPhase(p corev1.PodPhase) bool {
	return p == corev1.PodSucceeded || p == corev1.PodFailed
}
