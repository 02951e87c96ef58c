package streaming_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"ordinal.dev/ordinal/internal/runtime/sim"
)

// The real kubectl against a control plane and one simulated node: what a user types,
// over both protocols kubectl 1.32 speaks (websocket first, SPDY when told not to).
var protocols = []struct {
	name string
	env  []string
}{
	{"websocket", nil},
	{"spdy", []string{"KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false", "KUBECTL_PORT_FORWARD_WEBSOCKETS=false"}},
}

func TestKubectlLogs(t *testing.T) {
	c := startCluster(t, "logs-node")
	k := c.kubectl()
	pod := c.createPod(simplePod("web"))

	out := k.run("", "logs", "web")
	if want := `sim: container "web" started (image docker.io/library/busybox:latest, attempt 0)`; strings.TrimSpace(out) != want {
		t.Fatalf("kubectl logs printed %q, want %q", out, want)
	}
	for i := 1; i <= 3; i++ {
		if err := c.rt.AppendLog(pod.UID, "web", fmt.Sprintf("line %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if out := k.run("", "logs", "web", "--tail=2"); out != "line 2\nline 3\n" {
		t.Errorf("--tail=2 printed %q", out)
	}
	if out := k.run("", "logs", "web", "--limit-bytes=8"); out != "sim: con" {
		t.Errorf("--limit-bytes=8 printed %q", out)
	}
	stamped := k.run("", "logs", "web", "--timestamps", "--tail=1")
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line 3\n$`).MatchString(stamped) {
		t.Errorf("--timestamps printed %q", stamped)
	}
	if out := k.run("", "logs", "web", "--since=1h"); !strings.HasSuffix(out, "line 3\n") || strings.Count(out, "\n") != 4 {
		t.Errorf("--since=1h printed %q", out)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if out := k.run("", "logs", "web", "--since-time="+future); out != "" {
		t.Errorf("--since-time in the future printed %q", out)
	}
	// Through a workload: kubectl picks a pod by the selector.
	k.run("", "create", "deployment", "dep", "--image=busybox")
	eventually(t, 30*time.Second, "logs of deploy/dep", func() (bool, string) {
		r := k.exec("", "logs", "deploy/dep")
		return r.code == 0 && strings.Contains(r.stdout, `sim: container "busybox" started`), r.String()
	})
	if out := k.run("", "logs", "-l", "app=web", "--prefix"); !strings.HasPrefix(out, "[pod/web/web] sim: container") {
		t.Errorf("logs -l app=web --prefix printed %q", out)
	}
}

func TestKubectlLogsFollow(t *testing.T) {
	c := startCluster(t, "follow-node")
	k := c.kubectl()
	pod := c.createPod(simplePod("tailed"))
	f := k.start("logs", "-f", "tailed")
	if line := f.next(10 * time.Second); !strings.Contains(line, "started") {
		t.Fatalf("first line %q", line)
	}
	for i := 1; i <= 2; i++ {
		want := fmt.Sprintf("new line %d", i)
		if err := c.rt.AppendLog(pod.UID, "tailed", want); err != nil {
			t.Fatal(err)
		}
		if line := f.next(10 * time.Second); line != want {
			t.Fatalf("followed line %q, want %q", line, want)
		}
	}
	// The follow ends with the container.
	if err := c.rt.ExitContainer(pod.UID, "tailed", 0); err != nil {
		t.Fatal(err)
	}
	if line := f.next(10 * time.Second); line != `sim: container "tailed" exited with code 0 (Completed)` {
		t.Fatalf("last line %q", line)
	}
	if code := f.wait(10 * time.Second); code != 0 {
		t.Fatalf("kubectl logs -f exited %d; stderr: %s", code, f.stderr.String())
	}
}

func TestKubectlLogsErrors(t *testing.T) {
	c := startCluster(t, "logerr-node")
	k := c.kubectl()
	c.createPod(simplePod("two", "a", "b"))
	r := k.exec("", "logs", "two", "-c", "nope")
	if r.code == 0 || !strings.Contains(r.stderr, "container nope is not valid for pod two") {
		t.Errorf("logs -c nope: %s", r)
	}
	r = k.exec("", "logs", "two", "-c", "b", "--previous")
	if r.code == 0 || !strings.Contains(r.stderr, `previous terminated container "b" in pod "two" not found`) {
		t.Errorf("logs --previous: %s", r)
	}

	// A container that takes its time to start.
	slow := simplePod("slow")
	slow.Namespace, slow.Spec.NodeName = "default", c.node
	slow.Annotations = map[string]string{sim.AnnotationStartDelay: "1h"}
	if _, err := c.client.CoreV1().Pods("default").Create(context.Background(), slow, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.waitPod("default", "slow", "waiting in ContainerCreating", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Waiting != nil
	})
	r = k.exec("", "logs", "slow")
	if r.code == 0 || !strings.Contains(r.stderr, `container "slow" in pod "slow" is waiting to start: ContainerCreating`) {
		t.Errorf("logs of a waiting container: %s", r)
	}

	// --previous after a restart shows how the last instance ended.
	crash := c.createPod(simplePod("restarts"))
	if err := c.rt.ExitContainer(crash.UID, "restarts", 2); err != nil {
		t.Fatal(err)
	}
	c.waitPod("default", "restarts", "restarted", func(p *corev1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].RestartCount == 1 && cs[0].State.Running != nil
	})
	prev := k.run("", "logs", "restarts", "--previous")
	if !strings.Contains(prev, "attempt 0") || !strings.HasSuffix(prev, `exited with code 2 (Error)`+"\n") {
		t.Errorf("logs --previous printed %q", prev)
	}
	if cur := k.run("", "logs", "restarts"); !strings.Contains(cur, "attempt 1") {
		t.Errorf("logs after a restart printed %q", cur)
	}
}

func TestKubectlExec(t *testing.T) {
	c := startCluster(t, "exec-node")
	c.createPod(simplePod("box"))
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			k := c.kubectl(p.env...)
			if out := k.run("", "exec", "box", "--", "echo", "hi"); out != "hi\n" {
				t.Errorf("exec echo hi printed %q", out)
			}
			r := k.exec("", "exec", "box", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
			if r.code != 3 || !strings.Contains(r.stderr, "command terminated with exit code 3") {
				t.Errorf("exec exit 3: %s", r)
			}
			if out := k.run("", "exec", "box", "--", "cat", "/etc/hostname"); out != "box\n" {
				t.Errorf("exec cat /etc/hostname printed %q", out)
			}
			if out := k.run("piped\ninput\n", "exec", "-i", "box", "--", "cat"); out != "piped\ninput\n" {
				t.Errorf("exec -i cat printed %q", out)
			}
			if out := k.run("echo one; hostname\nexit 0\n", "exec", "-i", "box", "--", "sh"); out != "one\nbox\n" {
				t.Errorf("exec -i sh printed %q", out)
			}
			r = k.exec("", "exec", "box", "-c", "nope", "--", "true")
			if r.code == 0 || !strings.Contains(r.stderr, "container nope is not valid for pod box") {
				t.Errorf("exec -c nope: %s", r)
			}
		})
	}
}

func TestKubectlAttachAndRunRemove(t *testing.T) {
	c := startCluster(t, "attach-node")
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			k := c.kubectl(p.env...)
			name := "shell-" + p.name
			out := k.run("echo hi\nhostname\n", "run", "-i", "--rm", name, "--image=busybox", "--restart=Never", "--", "sh")
			if want := "hi\n" + name + "\npod \"" + name + "\" deleted\n"; out != want {
				t.Errorf("kubectl run -i --rm printed %q, want %q", out, want)
			}
			eventually(t, 30*time.Second, "pod "+name+" gone", func() (bool, string) {
				_, err := c.client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
				return err != nil, fmt.Sprint(err)
			})

			// An exit code from the attached shell ends the pod with it.
			failing := "fails-" + p.name
			r := k.exec("exit 4\n", "run", "-i", failing, "--image=busybox", "--restart=Never", "--", "sh")
			if r.code != 4 {
				t.Errorf("kubectl run -i with exit 4: %s", r)
			}

			// kubectl attach to a running pod with stdin that is not stdinOnce: the end of
			// stdin leaves the container running, and kubectl attached to its output, as
			// upstream, until interrupted.
			att := "attached-" + p.name
			pod := simplePod(att)
			pod.Spec.Containers[0].Stdin = true
			c.createPod(pod)
			a := k.startStdin("echo from attach\n", "attach", "-i", att)
			if line := a.next(10 * time.Second); line != "from attach" {
				t.Errorf("kubectl attach printed %q", line)
			}
			a.stop()
			if p := c.waitPod("default", att, "still there", func(*corev1.Pod) bool { return true }); p.Status.Phase != corev1.PodRunning {
				t.Errorf("pod %s is %s after a detach, want Running", att, p.Status.Phase)
			}
		})
	}
}

func TestKubectlPortForward(t *testing.T) {
	c := startCluster(t, "pf-node")
	c.createPod(simplePod("srv"))
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "srv", Namespace: "default"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "srv"},
			Ports:    []corev1.ServicePort{{Port: 8080, TargetPort: intstr.FromString("http")}},
		},
	}
	if _, err := c.client.CoreV1().Services("default").Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			k := c.kubectl(p.env...)
			for _, target := range []string{"pod/srv", "svc/srv"} {
				remote := "80"
				if target == "svc/srv" {
					remote = "8080"
				}
				pf := k.start("port-forward", target, ":"+remote)
				addr := forwardedAddress(t, pf)
				resp, err := http.Get("http://" + addr + "/hello")
				if err != nil {
					t.Fatalf("%s: GET through port-forward: %v; stderr: %s", target, err, pf.stderr.String())
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if want := "sim pod default/srv port 80: GET /hello\n"; string(body) != want {
					t.Errorf("%s: body %q, want %q", target, body, want)
				}
				// Plain TCP: the responder echoes.
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(conn, "ping\n")
				echo := make([]byte, 5)
				conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.ReadFull(conn, echo); err != nil || string(echo) != "ping\n" {
					t.Errorf("%s: echo %q, %v", target, echo, err)
				}
				conn.Close()
				pf.stop()
			}
		})
	}
}

// forwardedAddress reads kubectl port-forward's "Forwarding from 127.0.0.1:N -> P" line.
func forwardedAddress(t *testing.T, pf *background) string {
	t.Helper()
	for {
		line := pf.next(30 * time.Second)
		if m := regexp.MustCompile(`^Forwarding from (127\.0\.0\.1:\d+) ->`).FindStringSubmatch(line); m != nil {
			return m[1]
		}
	}
}
