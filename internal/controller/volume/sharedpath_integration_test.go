package volume_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"ordinal.dev/ordinal/internal/agent"
	volume "ordinal.dev/ordinal/internal/controller/volume"
	"ordinal.dev/ordinal/internal/runtime/sim"
	nodevolume "ordinal.dev/ordinal/internal/volume"
)

// startSimNodes runs simulated node agents named as `ordinal up --sim-nodes` names them, and
// waits for them to be Ready.
func (c *cluster) startSimNodes(n int) []string {
	c.t.Helper()
	var names []string
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("ordinal-sim-%d", i)
		m := agent.SimMachine(name, i)
		a, err := agent.New(agent.Config{NodeName: name, Client: c.client, Runtime: sim.New(sim.Options{}), Machine: &m,
			RelistPeriod: 50 * time.Millisecond, NodeStatusUpdateFrequency: 500 * time.Millisecond})
		if err != nil {
			c.t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(c.ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = a.Run(ctx) }()
		c.t.Cleanup(func() { cancel(); <-done })
		names = append(names, name)
	}
	for _, name := range names {
		c.eventually("node "+name+" Ready", func() (bool, string) {
			node, err := c.client.CoreV1().Nodes().Get(c.ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			for _, cond := range node.Status.Conditions {
				if cond.Type == corev1.NodeReady {
					return cond.Status == corev1.ConditionTrue, string(cond.Status)
				}
			}
			return false, "no Ready condition"
		})
	}
	return names
}

func (c *cluster) createClass(class *storagev1.StorageClass) {
	c.t.Helper()
	if _, err := c.client.StorageV1().StorageClasses().Create(c.ctx, class, metav1.CreateOptions{}); err != nil {
		c.t.Fatal(err)
	}
}

// podUsing is pod name, using claim, placed by the scheduler on node (nodeSelector) or, with
// bound set, bound to it directly as if the scheduler had done so.
func podUsing(name, claim, node string, bound bool) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "myapp", Image: "ghcr.io/c1t1d0s7/go-myweb:alpine",
				VolumeMounts: []corev1.VolumeMount{{Name: "myapp-data", MountPath: "/data"}}}},
			Volumes: []corev1.Volume{{Name: "myapp-data", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}},
		},
	}
	if bound {
		pod.Spec.NodeName = node
	} else {
		pod.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": node}
	}
	return pod
}

func (c *cluster) deletePodNow(name string) {
	c.t.Helper()
	if err := c.client.CoreV1().Pods("default").Delete(c.ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		c.t.Fatal(err)
	}
	c.waitGone("pod "+name, func() error {
		_, err := c.client.CoreV1().Pods("default").Get(c.ctx, name, metav1.GetOptions{})
		return err
	})
}

// sharedEntries lists the shared directory.
func (c *cluster) sharedEntries() []string {
	c.t.Helper()
	entries, err := os.ReadDir(c.shared)
	if err != nil {
		c.t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// TestSharedPathVolumeFollowsItsPod is issue 8's StatefulSet failover: the claim of seed
// 001's myapp-sts-vol, on the nfs-client class ordinal creates, is bound at once to a volume
// any node can mount; its pod, recreated on one node after another, is scheduled and runs on
// each, finding the same directory. Deleting the claim archives the directory exactly once,
// even with a second controller (a server whose lease has not run out) running beside.
func TestSharedPathVolumeFollowsItsPod(t *testing.T) {
	c := startCluster(t)
	c.createClass(volume.SharedPathStorageClass("nfs-client", c.shared))
	nodes := c.startSimNodes(3)
	created := c.createClaim("myapp-data-myapp-sts-vol-0", "1Gi", ptr.To("nfs-client"), nil)

	claim := c.waitClaimBound(created.Name)
	name := "pvc-" + string(created.UID)
	if claim.Spec.VolumeName != name || claim.Annotations[volume.AnnStorageProvisioner] != volume.SharedPathProvisioner {
		t.Fatalf("bound to %q with annotations %v", claim.Spec.VolumeName, claim.Annotations)
	}
	if msg := c.waitEvent(created, "ProvisioningSucceeded"); msg != "Successfully provisioned volume "+name {
		t.Errorf("ProvisioningSucceeded message %q", msg)
	}
	pv := c.waitVolumePhase(name, corev1.VolumeBound)
	dirName := "default-" + created.Name + "-" + name
	dir := filepath.Join(c.shared, dirName)
	if pv.Spec.NodeAffinity != nil {
		t.Errorf("node affinity %+v: a shared-path volume must be reachable from every node", pv.Spec.NodeAffinity)
	}
	if hp := pv.Spec.HostPath; hp == nil || hp.Path != dir || hp.Type == nil || *hp.Type != corev1.HostPathDirectory {
		t.Errorf("hostPath %+v, want %s Directory", hp, dir)
	}
	if pv.Annotations[volume.AnnProvisionedBy] != volume.SharedPathProvisioner || pv.Spec.StorageClassName != "nfs-client" ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		t.Errorf("annotations %v class %q policy %q", pv.Annotations, pv.Spec.StorageClassName, pv.Spec.PersistentVolumeReclaimPolicy)
	}
	// The provisioner made the directory on the share, writable by any container user.
	if info, err := os.Stat(dir); err != nil || !info.IsDir() || info.Mode().Perm() != 0o777 {
		t.Fatalf("directory %s: %v, %v", dir, info, err)
	}

	for _, node := range nodes {
		if _, err := c.client.CoreV1().Pods("default").Create(c.ctx, podUsing("myapp-sts-vol-0", created.Name, node, false), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		c.eventually("myapp-sts-vol-0 running on "+node, func() (bool, string) {
			pod, err := c.client.CoreV1().Pods("default").Get(c.ctx, "myapp-sts-vol-0", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			return pod.Spec.NodeName == node && pod.Status.Phase == corev1.PodRunning, fmt.Sprintf("node %q phase %q", pod.Spec.NodeName, pod.Status.Phase)
		})
		// What the node's runtime does before mounting it: the same directory on every node.
		path, err := nodevolume.PrepareLocalVolume("/var/lib/ordinal-"+node+"/volumes", pv)
		if err != nil || path != dir {
			t.Fatalf("on %s: PrepareLocalVolume = %q, %v", node, path, err)
		}
		if err := os.WriteFile(filepath.Join(path, "written-on-"+node), []byte(node), 0o644); err != nil {
			t.Fatal(err)
		}
		c.deletePodNow("myapp-sts-vol-0")
	}

	c.runController()
	c.deleteClaim(created.Name)
	c.waitGone("volume "+name, func() error { _, err := c.pv(name); return err })
	archive := filepath.Join(c.shared, "archived-"+dirName)
	for _, node := range nodes {
		if !exists(filepath.Join(archive, "written-on-"+node)) {
			t.Errorf("the archive lacks what was written on %s", node)
		}
	}
	if got := c.sharedEntries(); !slices.Equal(got, []string{"archived-" + dirName}) {
		t.Errorf("shared directory holds %v, want only the one archive", got)
	}
}

// TestSharedPathDirectoryOutlivesItsUsers deletes a volume's object and its claim while a pod
// still uses the claim: the directory stays until the pod is gone, then (archiveOnDelete
// false) is removed.
func TestSharedPathDirectoryOutlivesItsUsers(t *testing.T) {
	c := startCluster(t)
	c.createClass(&storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{Name: "scratch"}, Provisioner: volume.SharedPathProvisioner,
		Parameters: map[string]string{"path": c.shared, "archiveOnDelete": "false"},
	})
	c.createClaim("data", "1Gi", ptr.To("scratch"), nil)
	name := c.waitClaimBound("data").Spec.VolumeName
	dir := filepath.Join(c.shared, "default-data-"+name)
	if err := os.WriteFile(filepath.Join(dir, "data"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	pod, err := c.client.CoreV1().Pods("default").Create(c.ctx, podUsing("user", "data", "node-a", true), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.Phase = corev1.PodRunning
	if _, err := c.client.CoreV1().Pods("default").UpdateStatus(c.ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	// kubectl delete pv, then pvc: both wait on their protection finalizers.
	if err := c.client.CoreV1().PersistentVolumes().Delete(c.ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	c.deleteClaim("data")
	c.consistently("the directory staying while a pod uses the claim", 2*time.Second, func() (bool, string) {
		if !exists(filepath.Join(dir, "data")) {
			return false, "the data is gone"
		}
		claim, err := c.claim("data")
		if err != nil {
			return false, "claim: " + err.Error()
		}
		pv, err := c.pv(name)
		if err != nil {
			return false, "volume: " + err.Error()
		}
		return claim.DeletionTimestamp != nil && pv.DeletionTimestamp != nil, "not terminating"
	})

	c.deletePodNow("user")
	c.waitGone("claim data", func() error { _, err := c.claim("data"); return err })
	c.waitGone("volume "+name, func() error { _, err := c.pv(name); return err })
	if exists(dir) {
		t.Errorf("directory %s still there", dir)
	}
	if got := c.sharedEntries(); len(got) != 0 {
		t.Errorf("shared directory holds %v, want nothing (no archive)", got)
	}
}

// TestSharedPathKeepsADirectoryAnotherVolumeUses gives two claims one directory through a
// pathPattern (upstream allows it): deleting one claim keeps the directory, deleting the
// second removes it. A class whose path is not below a shared volume directory of the control
// plane fails its claims, in an event signed by the provisioner.
func TestSharedPathKeepsADirectoryAnotherVolumeUses(t *testing.T) {
	c := startCluster(t)
	c.createClass(&storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{Name: "by-app"}, Provisioner: volume.SharedPathProvisioner,
		Parameters: map[string]string{"path": c.shared, "pathPattern": "${.PVC.namespace}/${.PVC.labels.app}", "onDelete": "delete"},
	})
	var names []string
	for _, name := range []string{"one", "two"} {
		claim := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "web"}},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
				Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
				StorageClassName: ptr.To("by-app"),
			},
		}
		if _, err := c.client.CoreV1().PersistentVolumeClaims("default").Create(c.ctx, claim, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		names = append(names, c.waitClaimBound(name).Spec.VolumeName)
	}
	dir := filepath.Join(c.shared, "default", "web")
	for _, name := range names {
		if pv, err := c.pv(name); err != nil || pv.Spec.HostPath.Path != dir {
			t.Fatalf("volume %s: %v, %v; want both in %s", name, pv, err, dir)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "data"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	c.deleteClaim("one")
	c.waitGone("volume "+names[0], func() error { _, err := c.pv(names[0]); return err })
	if !exists(filepath.Join(dir, "data")) {
		t.Fatal("removed a directory another volume uses")
	}
	c.eventually("a VolumeDirectoryKept event", func() (bool, string) {
		events, err := c.client.CoreV1().Events("").List(c.ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, e := range events.Items {
			if e.InvolvedObject.Name == names[0] && e.Reason == "VolumeDirectoryKept" {
				want := fmt.Sprintf("directory %s kept: volume(s) %s use it", dir, names[1])
				return e.Message == want && e.Source.Component == volume.SharedPathProvisioner, e.Message + " from " + e.Source.Component
			}
		}
		return false, "none"
	})
	c.deleteClaim("two")
	c.waitGone("volume "+names[1], func() error { _, err := c.pv(names[1]); return err })
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory %s still there: %v", dir, err)
	}

	c.createClass(volume.SharedPathStorageClass("elsewhere", "/etc"))
	bad := c.createClaim("bad", "1Gi", ptr.To("elsewhere"), nil)
	// The controller may see the claim before the class and say the class is not found
	// first (as upstream's, which retries); the message that matters comes with the class.
	want := `failed to provision volume with StorageClass "elsewhere": parameter "path" is /etc, which is not below a shared volume directory of this control plane (` + c.shared + ")"
	c.eventually("a ProvisioningFailed event for the class's path", func() (bool, string) {
		events, err := c.client.CoreV1().Events("default").List(c.ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range events.Items {
			if e.InvolvedObject.UID == bad.UID && e.Reason == "ProvisioningFailed" {
				if e.Message == want {
					return true, ""
				}
				seen = append(seen, e.Message)
			}
		}
		return false, fmt.Sprintf("messages %q, want %q", seen, want)
	})
	if made := filepath.Join("/etc", "default-bad-pvc-"+string(bad.UID)); exists(made) {
		_ = os.Remove(made)
		t.Errorf("made %s for a claim that failed", made)
	}
}
