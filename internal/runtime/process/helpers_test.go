package process

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"

	"ordinal.dev/ordinal/internal/image"
	"ordinal.dev/ordinal/internal/image/busybox"
	"ordinal.dev/ordinal/internal/runtime"
	"ordinal.dev/ordinal/internal/runtime/process/shim"
)

// testShim is the shim command tests run: the small binary when it builds, else this
// test binary re-executed (TestMain dispatches).
var testShim []string

const shimArg = "__ordinal_shim__"

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == shimArg {
		os.Exit(shim.Main(os.Args[2:]))
	}
	dir, err := os.MkdirTemp("", "ordinal-shim-")
	// ORDINAL_TEST_SHIM=reexec measures the shim as `ordinal shim` would run: a big binary.
	if err == nil && os.Getenv("ORDINAL_TEST_SHIM") != "reexec" {
		bin := filepath.Join(dir, "ordinal-shim")
		if out, err := exec.Command("go", "build", "-o", bin, "ordinal.dev/ordinal/internal/runtime/process/ordinal-shim").CombinedOutput(); err == nil {
			testShim = []string{bin}
		} else {
			fmt.Fprintf(os.Stderr, "building ordinal-shim: %v: %s (re-executing the test binary instead)\n", err, out)
		}
	}
	if testShim == nil {
		testShim = []string{os.Args[0], shimArg}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireHost skips (or, in CI, fails) a test that needs root, runc, CNI plugins and the
// rest Check asks for.
func requireHost(t testing.TB) {
	t.Helper()
	if err := Check(t.TempDir()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must be able to run the process runtime: %v", err)
		}
		t.Skipf("process runtime unavailable: %v", err)
	}
}

var testNet atomic.Int32

// fixture is a process runtime over a temporary data dir with busybox imported, its own
// bridge and a /24 of its own. Everything is removed at the end of the test.
type fixture struct {
	t      testing.TB
	rt     *Runtime
	opts   Options
	cidr   string
	bridge string
	ctx    context.Context
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	requireHost(t)
	n := 200 + int(testNet.Add(1))%50
	dir := t.TempDir()
	store, err := image.Open(filepath.Join(dir, "images"), image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "busybox.tar")
	if err := busybox.WriteArchive(archive, busybox.Binary, busybox.Ref); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := store.Import(ctx, archive, image.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		t: t, ctx: ctx, cidr: fmt.Sprintf("10.42.%d.0/24", n), bridge: fmt.Sprintf("ordt%d", n),
		opts: Options{DataDir: dir, Images: store, Shim: testShim, Bridge: fmt.Sprintf("ordt%d", n)},
	}
	exec.Command("ip", "link", "del", f.bridge).Run()
	f.rt = f.newRuntime()
	if err := f.rt.UpdatePodCIDR(ctx, f.cidr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pods, _ := f.rt.ListPods(ctx)
		for _, p := range pods {
			if err := f.rt.RemovePodSandbox(ctx, p.UID); err != nil {
				t.Errorf("removing pod %s: %v", p.Name, err)
			}
		}
		exec.Command("ip", "link", "del", f.bridge).Run()
	})
	return f
}

// newRuntime opens another Runtime over the fixture's data dir, as a restarted agent does.
func (f *fixture) newRuntime() *Runtime {
	rt, err := New(f.opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return rt
}

// gateway is the bridge's address, the host as pods see it.
func (f *fixture) gateway() string {
	return strings.TrimSuffix(f.cidr, "0/24") + "1"
}

func testPod(name string, containers ...corev1.Container) *corev1.Pod {
	for i := range containers {
		if containers[i].Image == "" {
			containers[i].Image = "busybox"
		}
		if containers[i].ImagePullPolicy == "" {
			containers[i].ImagePullPolicy = corev1.PullIfNotPresent
		}
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: uuid.NewUUID()},
		Spec:       corev1.PodSpec{Containers: containers, DNSPolicy: corev1.DNSClusterFirst, RestartPolicy: corev1.RestartPolicyAlways},
	}
}

func sh(name, script string) corev1.Container {
	return corev1.Container{Name: name, Command: []string{"sh", "-c", script}}
}

func (f *fixture) runSandbox(pod *corev1.Pod, config *runtime.SandboxConfig) {
	f.t.Helper()
	if config == nil {
		config = &runtime.SandboxConfig{}
	}
	config.Pod = pod
	if err := f.rt.RunPodSandbox(f.ctx, config); err != nil {
		f.t.Fatal(err)
	}
}

// start creates and starts the pod's container i (attempt given).
func (f *fixture) start(pod *corev1.Pod, i int, attempt uint32) string {
	f.t.Helper()
	c := &pod.Spec.Containers[i]
	if _, err := f.rt.EnsureImage(f.ctx, c.Image, c.ImagePullPolicy, nil); err != nil {
		f.t.Fatal(err)
	}
	id, err := f.rt.CreateContainer(f.ctx, pod.UID, &runtime.ContainerConfig{Pod: pod, Container: c, Attempt: attempt})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.rt.StartContainer(f.ctx, id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// waitExit polls until the container has exited and returns its status.
func (f *fixture) waitExit(uid types.UID, id string, within time.Duration) runtime.ContainerStatus {
	f.t.Helper()
	deadline := time.Now().Add(within)
	for {
		st := f.status(uid, id)
		if st.State == runtime.ContainerExited {
			return st
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("container %s still %s after %s", st.Name, st.State, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fixture) status(uid types.UID, id string) runtime.ContainerStatus {
	f.t.Helper()
	ps, err := f.rt.PodStatus(f.ctx, uid)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, c := range ps.Containers {
		if c.ID == id {
			return c
		}
	}
	f.t.Fatalf("no container %s in pod %s", id, uid)
	return runtime.ContainerStatus{}
}

// logText is the text of a container's log (the CRI prefixes removed).
func (f *fixture) logText(uid types.UID, name string, attempt uint32) string {
	raw, _ := os.ReadFile(LogPath(f.opts.DataDir, uid, name, attempt))
	return string(criText(bytes.Split(bytes.TrimRight(raw, "\n"), []byte("\n"))))
}

// waitLog polls a container's log until it contains want.
func (f *fixture) waitLog(uid types.UID, name string, attempt uint32, want string, within time.Duration) string {
	f.t.Helper()
	deadline := time.Now().Add(within)
	for {
		text := f.logText(uid, name, attempt)
		if strings.Contains(text, want) {
			return text
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("log of %s does not contain %q after %s:\n%s", name, want, within, text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
