package endpointslice_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/controller/endpoints"
	"ordinal.dev/ordinal/internal/controller/endpointslice"
	"ordinal.dev/ordinal/internal/controlplane"
)

type env struct {
	ctx    context.Context
	client kubernetes.Interface
	cp     *controlplane.ControlPlane
}

// start runs a control plane with the EndpointSlice, mirroring and Endpoints controllers
// (started here until controlplane runs them; the names disable the built-in ones then).
func start(t *testing.T) *env {
	t.Helper()
	cp, err := controlplane.Start(context.Background(), controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0",
		DisableControllers: []string{"endpointslice", "endpointslicemirroring", "endpoints"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cp.Stop)
	t.Cleanup(cancel) // runs first: the controllers stop before the apiserver
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)
	factory := informers.NewSharedInformerFactory(client, 0)
	esc, err := endpointslice.New(client, factory)
	if err != nil {
		t.Fatal(err)
	}
	mirror, err := endpointslice.NewMirroring(client, factory)
	if err != nil {
		t.Fatal(err)
	}
	epc, err := endpoints.New(client, factory)
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	go esc.Run(ctx, 5)
	go mirror.Run(ctx, 5)
	go epc.Run(ctx, 5)
	return &env{ctx: ctx, client: client, cp: cp}
}

func (e *env) eventually(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(e.ctx, 5*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		ok, err := cond()
		last = err
		return ok, nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v (last error: %v)", what, err, last)
	}
}

func (e *env) slicesOf(t *testing.T, svc, managedBy string) []discovery.EndpointSlice {
	t.Helper()
	list, err := e.client.DiscoveryV1().EndpointSlices("default").List(e.ctx, metav1.ListOptions{
		LabelSelector: discovery.LabelServiceName + "=" + svc + "," + discovery.LabelManagedBy + "=" + managedBy})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func (e *env) createPod(t *testing.T, name, ip string, ready bool) {
	t.Helper()
	pod, err := e.client.CoreV1().Pods("default").Create(e.ctx, &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "nginx"}},
		Spec: v1.PodSpec{NodeName: "node-1", Hostname: name, Subdomain: "nginx",
			Containers: []v1.Container{{Name: "nginx", Image: "nginx", Ports: []v1.ContainerPort{{Name: "web", ContainerPort: 8080}}}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.setStatus(t, pod, ip, ready)
}

func (e *env) setStatus(t *testing.T, pod *v1.Pod, ip string, ready bool) {
	t.Helper()
	status := v1.ConditionFalse
	if ready {
		status = v1.ConditionTrue
	}
	pod.Status = v1.PodStatus{Phase: v1.PodRunning, PodIP: ip, PodIPs: []v1.PodIP{{IP: ip}},
		Conditions: []v1.PodCondition{{Type: v1.PodReady, Status: status, LastTransitionTime: metav1.Now()}}}
	if _, err := e.client.CoreV1().Pods("default").UpdateStatus(e.ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// readyIPs lists the addresses of ready endpoints, by hostname ("-" without).
func readyIPs(slices []discovery.EndpointSlice) map[string]string {
	out := map[string]string{}
	for _, s := range slices {
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
				h := "-"
				if ep.Hostname != nil {
					h = *ep.Hostname
				}
				out[ep.Addresses[0]] = h
			}
		}
	}
	return out
}

func TestEndpointsAndSlices(t *testing.T) {
	e := start(t)
	if _, err := e.client.CoreV1().Nodes().Create(e.ctx, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1",
		Labels: map[string]string{v1.LabelTopologyZone: "zone-a"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc, err := e.client.CoreV1().Services("default").Create(e.ctx, &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx", Labels: map[string]string{"app": "nginx"}},
		Spec: v1.ServiceSpec{ClusterIP: v1.ClusterIPNone, Selector: map[string]string{"app": "nginx"},
			Ports: []v1.ServicePort{{Name: "web", Port: 80, TargetPort: intstr.FromString("web")}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// No pods yet: a placeholder slice and an empty Endpoints.
	e.eventually(t, "a placeholder slice", func() (bool, error) {
		s := e.slicesOf(t, "nginx", endpointslice.ControllerName)
		return len(s) == 1 && len(s[0].Endpoints) == 0, nil
	})

	e.createPod(t, "web-0", "10.42.0.10", true)
	e.createPod(t, "web-1", "10.42.0.11", false)
	var sliceName string
	e.eventually(t, "one slice with both pods", func() (bool, error) {
		s := e.slicesOf(t, "nginx", endpointslice.ControllerName)
		if len(s) != 1 || len(s[0].Endpoints) != 2 {
			return false, nil
		}
		sliceName = s[0].Name
		return true, nil
	})
	slice, err := e.client.DiscoveryV1().EndpointSlices("default").Get(e.ctx, sliceName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(slice.Name, "nginx-") || !metav1.IsControlledBy(slice, svc) || slice.AddressType != discovery.AddressTypeIPv4 {
		t.Errorf("slice meta: name %s owners %v type %s", slice.Name, slice.OwnerReferences, slice.AddressType)
	}
	if _, ok := slice.Labels[v1.IsHeadlessService]; !ok || slice.Labels["app"] != "nginx" {
		t.Errorf("slice labels %v", slice.Labels)
	}
	if len(slice.Ports) != 1 || *slice.Ports[0].Port != 8080 || *slice.Ports[0].Name != "web" {
		t.Errorf("slice ports %+v", slice.Ports)
	}
	for _, ep := range slice.Endpoints {
		if ep.Zone == nil || *ep.Zone != "zone-a" || ep.NodeName == nil || *ep.NodeName != "node-1" || ep.Hostname == nil || ep.TargetRef == nil {
			t.Errorf("endpoint %+v", ep)
		}
	}
	if got := readyIPs([]discovery.EndpointSlice{*slice}); len(got) != 1 || got["10.42.0.10"] != "web-0" {
		t.Errorf("ready endpoints %v", got)
	}
	e.eventually(t, "Endpoints with one ready and one not-ready address", func() (bool, error) {
		ep, err := e.client.CoreV1().Endpoints("default").Get(e.ctx, "nginx", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return len(ep.Subsets) == 1 && len(ep.Subsets[0].Addresses) == 1 && len(ep.Subsets[0].NotReadyAddresses) == 1 &&
			ep.Subsets[0].Addresses[0].Hostname == "web-0" && ep.Subsets[0].Ports[0].Port == 8080, nil
	})

	// web-1 turns ready: the same slice is updated in place.
	pod, err := e.client.CoreV1().Pods("default").Get(e.ctx, "web-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.setStatus(t, pod, "10.42.0.11", true)
	e.eventually(t, "web-1 ready in the same slice", func() (bool, error) {
		s := e.slicesOf(t, "nginx", endpointslice.ControllerName)
		return len(s) == 1 && s[0].Name == sliceName && len(readyIPs(s)) == 2, nil
	})

	// web-0 is deleted (gracefully: it has a node): terminating, no longer ready.
	if err := e.client.CoreV1().Pods("default").Delete(e.ctx, "web-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "web-0 terminating", func() (bool, error) {
		s := e.slicesOf(t, "nginx", endpointslice.ControllerName)
		for _, ep := range s[0].Endpoints {
			if ep.Addresses[0] == "10.42.0.10" {
				return *ep.Conditions.Terminating && *ep.Conditions.Serving && !*ep.Conditions.Ready, nil
			}
		}
		return false, nil
	})
	e.eventually(t, "web-0 gone from Endpoints", func() (bool, error) {
		ep, err := e.client.CoreV1().Endpoints("default").Get(e.ctx, "nginx", metav1.GetOptions{})
		return err == nil && len(ep.Subsets) == 1 && len(ep.Subsets[0].Addresses) == 1 && len(ep.Subsets[0].NotReadyAddresses) == 0, err
	})

	// A Service without selector and hand-made Endpoints: mirrored, not overwritten.
	if _, err := e.client.CoreV1().Services("default").Create(e.ctx, &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "external"},
		Spec:       v1.ServiceSpec{Ports: []v1.ServicePort{{Name: "pg", Port: 5432}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CoreV1().Endpoints("default").Create(e.ctx, &v1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "external"},
		Subsets:    []v1.EndpointSubset{{Addresses: []v1.EndpointAddress{{IP: "192.0.2.7"}}, Ports: []v1.EndpointPort{{Name: "pg", Port: 5432}}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "the mirrored slice", func() (bool, error) {
		s := e.slicesOf(t, "external", endpointslice.MirroringControllerName)
		return len(s) == 1 && readyIPs(s)["192.0.2.7"] == "-", nil
	})
	if s := e.slicesOf(t, "external", endpointslice.ControllerName); len(s) != 0 {
		t.Errorf("the EndpointSlice controller made slices for a Service without selector: %v", s)
	}
	if ep, err := e.client.CoreV1().Endpoints("default").Get(e.ctx, "external", metav1.GetOptions{}); err != nil || ep.Subsets[0].Addresses[0].IP != "192.0.2.7" {
		t.Errorf("hand-made Endpoints changed: %v %v", ep, err)
	}

	// What kubectl shows.
	if _, err := exec.LookPath("kubectl"); err == nil {
		for args, want := range map[string][]string{
			"get ep":             {"nginx", "10.42.0.11:8080", "external", "192.0.2.7:5432"},
			"get endpointslices": {"nginx-", "IPv4", "8080", "10.42.0.10,10.42.0.11", "external-", "192.0.2.7"},
		} {
			out, err := exec.CommandContext(e.ctx, "kubectl", append([]string{"--kubeconfig", e.cp.Kubeconfig}, strings.Fields(args)...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("kubectl %s: %v\n%s", args, err, out)
			}
			for _, w := range want {
				if !strings.Contains(string(out), w) {
					t.Errorf("kubectl %s lacks %q:\n%s", args, w, out)
				}
			}
		}
	}

	// The Service goes: its Endpoints go with it (its slices go through the garbage
	// collector, by owner reference).
	if err := e.client.CoreV1().Services("default").Delete(e.ctx, "nginx", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "the Endpoints to be deleted", func() (bool, error) {
		_, err := e.client.CoreV1().Endpoints("default").Get(e.ctx, "nginx", metav1.GetOptions{})
		return err != nil && strings.Contains(err.Error(), "not found"), nil
	})
}
