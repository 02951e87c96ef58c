package deployment_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/controller/deployment"
	"ordinal.dev/ordinal/internal/controller/replicaset/testkubelet"
	"ordinal.dev/ordinal/internal/controlplane"
)

type env struct {
	ctx        context.Context
	client     kubernetes.Interface
	kubelet    *testkubelet.Kubelet
	kubeconfig string
}

func start(t *testing.T) *env {
	t.Helper()
	cp, err := controlplane.Start(context.Background(), controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cp.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)
	return &env{ctx: ctx, client: client, kubelet: testkubelet.Start(ctx, client, "node-1"), kubeconfig: cp.Kubeconfig}
}

func (e *env) eventually(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	var last error
	if err := wait.PollUntilContextCancel(ctx, 10*time.Millisecond, true, func(context.Context) (bool, error) {
		ok, err := cond()
		last = err
		return ok, nil
	}); err != nil {
		t.Fatalf("waiting for %s: %v (last error: %v)", what, err, last)
	}
}

func newDeployment(name string, replicas int32, surge, unavailable intstr.IntOrString) *apps.Deployment {
	sel := map[string]string{"app": name}
	return &apps.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: apps.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Strategy: apps.DeploymentStrategy{Type: apps.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &apps.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable}},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec:       v1.PodSpec{Containers: []v1.Container{{Name: "app", Image: "app:v1"}}},
			},
		},
	}
}

func (e *env) create(t *testing.T, d *apps.Deployment) {
	t.Helper()
	if _, err := e.client.AppsV1().Deployments("default").Create(e.ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) get(t *testing.T, name string) *apps.Deployment {
	t.Helper()
	d, err := e.client.AppsV1().Deployments("default").Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rolledOut waits for what kubectl rollout status waits for, and for the rollout to be
// complete (no old replicas, Progressing NewReplicaSetAvailable when a deadline is set).
func (e *env) rolledOut(t *testing.T, name string) *apps.Deployment {
	t.Helper()
	var d *apps.Deployment
	e.eventually(t, name+" to roll out", func() (bool, error) {
		var err error
		if d, err = e.client.AppsV1().Deployments("default").Get(e.ctx, name, metav1.GetOptions{}); err != nil {
			return false, err
		}
		st, n := d.Status, *d.Spec.Replicas
		if d.Generation > st.ObservedGeneration || st.UpdatedReplicas != n || st.Replicas != n || st.AvailableReplicas != n {
			return false, fmt.Errorf("status %+v", st)
		}
		for _, c := range st.Conditions {
			if c.Type == apps.DeploymentProgressing && c.Reason != deployment.NewRSAvailableReason {
				return false, fmt.Errorf("progressing %+v", c)
			}
		}
		return true, nil
	})
	return d
}

func (e *env) replicaSets(t *testing.T, name string) []apps.ReplicaSet {
	t.Helper()
	list, err := e.client.AppsV1().ReplicaSets("default").List(e.ctx, metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func (e *env) setImage(t *testing.T, name, image string) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"app","image":%q}]}}}}`, image)
	if _, err := e.client.AppsV1().Deployments("default").Patch(e.ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// sizeRecorder records spec.replicas of the ReplicaSet named old and of any other
// ReplicaSet of the Deployment, as "old,new", each time the pair changes.
type sizeRecorder struct {
	mu    sync.Mutex
	sizes []string
}

func (e *env) recordSizes(t *testing.T, name, old string) *sizeRecorder {
	t.Helper()
	w, err := e.client.AppsV1().ReplicaSets("default").Watch(e.ctx, metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	r := &sizeRecorder{}
	go func() {
		current := map[string]int32{}
		for ev := range w.ResultChan() {
			rs, ok := ev.Object.(*apps.ReplicaSet)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			current[rs.Name] = *rs.Spec.Replicas
			if len(current) < 2 {
				continue
			}
			var newSize int32
			for n, v := range current {
				if n != old {
					newSize = v
				}
			}
			pair := fmt.Sprintf("%d,%d", current[old], newSize)
			r.mu.Lock()
			if len(r.sizes) == 0 || r.sizes[len(r.sizes)-1] != pair {
				r.sizes = append(r.sizes, pair)
			}
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *sizeRecorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sizes)
}

func (e *env) waitSizes(t *testing.T, r *sizeRecorder, last string) {
	t.Helper()
	e.eventually(t, "sizes "+last, func() (bool, error) {
		got := r.get()
		return len(got) > 0 && got[len(got)-1] == last, fmt.Errorf("sizes %v", got)
	})
}
