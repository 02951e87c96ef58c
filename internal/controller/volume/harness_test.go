package volume_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	volume "ordinal.dev/ordinal/internal/controller/volume"
	"ordinal.dev/ordinal/internal/controlplane"
)

// cluster is a control plane with the volume controller running, as the lead wires it.
type cluster struct {
	t      *testing.T
	ctx    context.Context
	client kubernetes.Interface
	root   string // the local-path volume directory
	shared string // the shared volume directory, as if mounted on every node
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	// The control plane's own volume controller is off: each test runs its own, with
	// volume directories of its own.
	cp, err := controlplane.Start(ctx, controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", DisableControllers: []string{"volume"}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cp.Stop()
	})
	c := &cluster{t: t, ctx: ctx, client: kubernetes.NewForConfigOrDie(cp.RestConfig),
		root: filepath.Join(t.TempDir(), "volumes"), shared: filepath.Join(t.TempDir(), "shared")}
	if err := os.Mkdir(c.shared, 0o755); err != nil {
		t.Fatal(err)
	}
	c.runController()
	return c
}

// runController runs a volume controller on the cluster's volume directories until the test
// ends. A second one plays a server whose lease has not yet run out while another leads.
func (c *cluster) runController() {
	c.t.Helper()
	ctx, cancel := context.WithCancel(c.ctx)
	factory := informers.NewSharedInformerFactory(c.client, 0)
	ctrl := volume.New(c.client, factory, volume.Options{LocalPathRoot: c.root, SharedVolumeDirs: []string{c.shared}})
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctrl.Run(ctx)
	}()
	c.t.Cleanup(func() {
		cancel()
		<-done
		factory.Shutdown()
	})
}

// eventually polls cond until it holds or the deadline passes; cond says what it saw.
func (c *cluster) eventually(what string, cond func() (bool, string)) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var seen string
	for time.Now().Before(deadline) {
		ok, s := cond()
		if ok {
			return
		}
		seen = s
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("timed out waiting for %s; last seen: %s", what, seen)
}

// consistently checks that cond holds for the whole of d: used only to show that something
// does not happen (a protected claim is not removed).
func (c *cluster) consistently(what string, d time.Duration, cond func() (bool, string)) {
	c.t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if ok, s := cond(); !ok {
			c.t.Fatalf("%s stopped holding: %s", what, s)
		}
	}
}

func (c *cluster) createPV(name, size string, policy corev1.PersistentVolumeReclaimPolicy, opts ...func(*corev1.PersistentVolume)) {
	c.t.Helper()
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/srv/" + name}},
			PersistentVolumeReclaimPolicy: policy,
		},
	}
	for _, o := range opts {
		o(pv)
	}
	if _, err := c.client.CoreV1().PersistentVolumes().Create(c.ctx, pv, metav1.CreateOptions{}); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) createClaim(name, size string, class *string, annotations map[string]string) *corev1.PersistentVolumeClaim {
	c.t.Helper()
	claim := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Annotations: annotations},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
			StorageClassName: class,
		},
	}
	created, err := c.client.CoreV1().PersistentVolumeClaims("default").Create(c.ctx, claim, metav1.CreateOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	return created
}

func (c *cluster) claim(name string) (*corev1.PersistentVolumeClaim, error) {
	return c.client.CoreV1().PersistentVolumeClaims("default").Get(c.ctx, name, metav1.GetOptions{})
}

func (c *cluster) pv(name string) (*corev1.PersistentVolume, error) {
	return c.client.CoreV1().PersistentVolumes().Get(c.ctx, name, metav1.GetOptions{})
}

func (c *cluster) waitClaimBound(name string) *corev1.PersistentVolumeClaim {
	c.t.Helper()
	var claim *corev1.PersistentVolumeClaim
	c.eventually("claim "+name+" Bound", func() (bool, string) {
		var err error
		claim, err = c.claim(name)
		if err != nil {
			return false, err.Error()
		}
		return claim.Status.Phase == corev1.ClaimBound, fmt.Sprintf("phase %q volume %q", claim.Status.Phase, claim.Spec.VolumeName)
	})
	return claim
}

func (c *cluster) waitVolumePhase(name string, phase corev1.PersistentVolumePhase) *corev1.PersistentVolume {
	c.t.Helper()
	var pv *corev1.PersistentVolume
	c.eventually("volume "+name+" "+string(phase), func() (bool, string) {
		var err error
		pv, err = c.pv(name)
		if err != nil {
			return false, err.Error()
		}
		return pv.Status.Phase == phase, fmt.Sprintf("phase %q", pv.Status.Phase)
	})
	return pv
}

func (c *cluster) waitGone(what string, get func() error) {
	c.t.Helper()
	c.eventually(what+" gone", func() (bool, string) {
		err := get()
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		return false, fmt.Sprintf("get: %v", err)
	})
}

func (c *cluster) deleteClaim(name string) {
	c.t.Helper()
	if err := c.client.CoreV1().PersistentVolumeClaims("default").Delete(c.ctx, name, metav1.DeleteOptions{}); err != nil {
		c.t.Fatal(err)
	}
}

// waitEvent waits for an event with reason on the claim and returns its message.
func (c *cluster) waitEvent(claim *corev1.PersistentVolumeClaim, reason string) string {
	c.t.Helper()
	var message string
	c.eventually(reason+" event on "+claim.Name, func() (bool, string) {
		events, err := c.client.CoreV1().Events("default").List(c.ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range events.Items {
			if e.InvolvedObject.UID != claim.UID {
				continue
			}
			seen = append(seen, e.Reason)
			if e.Reason == reason {
				message = e.Message
				return true, ""
			}
		}
		return false, fmt.Sprintf("events %v", seen)
	})
	return message
}

func (c *cluster) createNode(name string) {
	c.t.Helper()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
	}}}
	if _, err := c.client.CoreV1().Nodes().Create(c.ctx, node, metav1.CreateOptions{}); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) setDefault(class string, isDefault bool) {
	c.t.Helper()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"%t"}}}`, isDefault)
	if _, err := c.client.StorageV1().StorageClasses().Patch(c.ctx, class, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		c.t.Fatal(err)
	}
}
