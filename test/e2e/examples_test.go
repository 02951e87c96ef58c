package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The examples of issue 7 (examples/<name>/), run as a new user runs them: each test starts
// a cluster with real containers, imports the stand-in images the example needs, and runs
// the commands of the example's README, each of which must appear in the README exactly as
// run (relative -f paths are the example's files), then checks what the README and the
// seed it follows say the reader sees.

// exampleCommandTimeout bounds one command of an example; rollouts of the seeds'
// Deployment wait 20 s per step (minReadySeconds), and the machine may be busy.
const exampleCommandTimeout = 5 * time.Minute

// exampleImageNames are the stand-in images (directories of examples/images) the examples
// of this file use.
var exampleImageNames = []string{"go-myweb", "nginx", "random-generator", "mysql", "xtrabackup", "network-multitool"}

// errNoBuildScript means the repository has no examples/images/build.sh.
var errNoBuildScript = errors.New("examples/images/build.sh is missing: the stand-in images of the examples cannot be built")

// exampleImages runs examples/images/build.sh once per test process and returns each
// image's docker archive by name. The script caches archives (ORDINAL_IMAGE_CACHE, by
// default /var/cache/ordinal/images), so only the first run on a machine builds them.
var exampleImages = sync.OnceValues(func() (map[string]string, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(root, "examples", "images", "build.sh")
	if _, err := os.Stat(script); err != nil {
		return nil, errNoBuildScript
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, script, exampleImageNames...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", script, strings.Join(exampleImageNames, " "), err, stderr.String())
	}
	paths := strings.Fields(stdout.String())
	if len(paths) != len(exampleImageNames) {
		return nil, fmt.Errorf("%s printed %d archive paths for %d images:\n%s", script, len(paths), len(exampleImageNames), stdout.String())
	}
	archives := map[string]string{}
	for i, name := range exampleImageNames {
		archives[name] = paths[i]
	}
	fmt.Fprintf(os.Stderr, "e2e: stand-in images ready in %v\n", time.Since(start).Round(time.Millisecond))
	return archives, nil
})

// example is one example directory driven through its README on a cluster of its own.
type example struct {
	t        *testing.T
	c        *cluster
	k        *kubectl
	dir      string
	readme   string
	commands map[string]bool // the README's command lines
}

// startExample starts a cluster with real containers for examples/<name> and imports the
// named stand-in images into it.
func startExample(t *testing.T, name string, images ...string) *example {
	t.Helper()
	c, k := newSession(t, withProcessRuntime())
	archives, err := exampleImages()
	if errors.Is(err, errNoBuildScript) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, image := range images {
		c.importImage(archives[image])
	}
	t.Logf("imported %s in %v", strings.Join(images, ", "), time.Since(start).Round(time.Millisecond))
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "examples", name)
	readme := mustRead(t, filepath.Join(dir, "README.md"))
	return &example{t: t, c: c, k: k, dir: dir, readme: readme, commands: readmeCommands(readme)}
}

// readmeCommands returns the commands a README shows: the lines of its console blocks that
// start with the prompt "$ ", without the prompt and without a trailing comment (two
// spaces or more, then #).
func readmeCommands(text string) map[string]bool {
	comment := regexp.MustCompile(`\s{2,}#.*$`)
	commands := map[string]bool{}
	inConsole := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "```console"):
			inConsole = true
		case strings.HasPrefix(line, "```"):
			inConsole = false
		case inConsole && strings.HasPrefix(line, "$ "):
			commands[strings.TrimSpace(comment.ReplaceAllString(strings.TrimPrefix(line, "$ "), ""))] = true
		}
	}
	return commands
}

// argv checks that the README shows line and splits it into words as a shell would; a
// relative file after -f names a file of the example.
func (e *example) argv(line string) []string {
	e.t.Helper()
	if !e.commands[line] {
		e.t.Fatalf("the README does not show the command %q", line)
	}
	args, err := splitShellWords(line)
	if err != nil {
		e.t.Fatalf("%q: %v", line, err)
	}
	for i := 1; i < len(args); i++ {
		if (args[i-1] == "-f" || args[i-1] == "--filename") && args[i] != "-" && !filepath.IsAbs(args[i]) {
			args[i] = filepath.Join(e.dir, args[i])
		}
	}
	return args
}

// kubectlArgs is argv for a kubectl command, without the word kubectl.
func (e *example) kubectlArgs(line string) []string {
	e.t.Helper()
	args := e.argv(line)
	if args[0] != "kubectl" {
		e.t.Fatalf("%q is not a kubectl command", line)
	}
	return args[1:]
}

// try runs a README's kubectl command with stdin and returns what happened.
func (e *example) try(stdin, line string) result {
	e.t.Helper()
	return e.execKubectl(stdin, e.kubectlArgs(line))
}

func (e *example) execKubectl(stdin string, args []string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), exampleCommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlBinary, e.k.argv(args)...)
	cmd.Env = e.k.environ()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		e.t.Fatalf("no answer within %v\n%s", exampleCommandTimeout, r)
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		e.t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// run runs a README's kubectl command, which must succeed, and returns its stdout.
func (e *example) run(line string) string {
	e.t.Helper()
	r := e.try("", line)
	if r.code != 0 {
		e.t.Fatalf("command failed: %s", r)
	}
	return r.stdout
}

// watch starts a README's long-running kubectl command (get -w, port-forward) that the
// reader would stop with Ctrl-C; it is stopped when the test ends.
func (e *example) watch(line string) *stream {
	e.t.Helper()
	return e.k.start(e.kubectlArgs(line)...)
}

// inCluster runs a README's one-shot `kubectl run nettool ... --rm -i --restart=Never --
// CMD` and returns what CMD printed.
//
// A command as short as these (curl, host) has usually exited by the time kubectl
// attaches; the attach is then refused, as upstream, and kubectl prints the container's log
// instead (after a warning on stderr).
func (e *example) inCluster(line string) string {
	e.t.Helper()
	r := e.try("", line)
	if r.code != 0 {
		e.t.Fatalf("command failed: %s", r)
	}
	out := strings.TrimSpace(strings.ReplaceAll(r.stdout, `pod "nettool" deleted`, ""))
	if out == "" {
		e.t.Fatalf("%q printed nothing: %s", line, r)
	}
	return out
}

// interactive runs a README's `kubectl run ... -it --rm` and types the given commands into
// its shell, then exit. There is no terminal here, so -it becomes -i: the shell reads the
// commands from stdin, and waits for them, so none of their output can be missed.
func (e *example) interactive(line string, typed ...string) string {
	e.t.Helper()
	args := e.kubectlArgs(line)
	i := slices.Index(args, "-it")
	if i < 0 {
		e.t.Fatalf("%q has no -it", line)
	}
	args[i] = "-i"
	for _, command := range typed {
		if !strings.Contains(e.readme, "# "+command+"\n") {
			e.t.Fatalf("the README does not show %q typed at the shell's prompt", command)
		}
	}
	r := e.execKubectl(strings.Join(typed, "\n")+"\nexit\n", args)
	if r.code != 0 {
		e.t.Fatalf("command failed: %s", r)
	}
	// kubectl run --rm deletes the pod without waiting for it to go. A pod whose shell (PID
	// 1, which ignores SIGTERM) was started again by the Always restart policy can take its
	// grace period, and meanwhile the next `kubectl run nettool` fails with AlreadyExists,
	// on upstream Kubernetes too. It is usually gone at once; the test makes sure.
	pod := args[1]
	eventually(e.t, time.Minute, func() string {
		if r := e.k.try("get", "pod", pod); r.code == 0 {
			return "pod " + pod + " is still there"
		}
		return ""
	})
	return r.stdout
}

// onNode runs a README's command that is not kubectl (curl) on the node, in the cluster's
// network namespace, where 127.0.0.1 is the node's loopback as for a reader on the machine
// that runs `ordinal up`.
func (e *example) onNode(line string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := e.c.netns.command(ctx, e.argv(line)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", line, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// startOnNode starts a README's long-running kubectl command on the node (port-forward, whose
// local port is then the node's) and returns its output lines as they come; it is stopped
// when the test ends.
func (e *example) startOnNode(line string) <-chan string {
	e.t.Helper()
	args := e.argv(line)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := e.c.netns.command(ctx, append([]string{kubectlBinary}, e.k.argv(args[1:])...)...)
	cmd.Env = e.k.environ()
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("%s: %v", line, err)
	}
	e.t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}

// waitLines reads a stream's lines until cond, given all lines so far, reports true; it
// fails the test after timeout.
func waitLines(t *testing.T, s *stream, timeout time.Duration, what string, cond func(lines []string) bool) []string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		seen := slices.Clone(s.seen)
		s.mu.Unlock()
		if cond(seen) {
			return seen
		}
		select {
		case line, ok := <-s.lines:
			if !ok {
				t.Fatalf("kubectl %s ended before %s\noutput:\n%s\nstderr:\n%s", strings.Join(s.cmd.Args[2:], " "), what, s.output(), s.stderr.String())
			}
			s.mu.Lock()
			s.seen = append(s.seen, line)
			s.mu.Unlock()
		case <-deadline:
			t.Fatalf("kubectl %s: no %s within %v\noutput:\n%s\nstderr:\n%s", strings.Join(s.cmd.Args[2:], " "), what, timeout, s.output(), s.stderr.String())
		}
	}
}

// podLine is one line of `kubectl get pods -w`: NAME READY STATUS RESTARTS AGE.
type podLine struct{ name, ready, status string }

func parsePodLines(lines []string) []podLine {
	var out []podLine
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 3 || f[0] == "NAME" {
			continue
		}
		out = append(out, podLine{name: f[0], ready: f[1], status: f[2]})
	}
	return out
}

// firstIndex is the index of the first line for which match is true, or -1.
func firstIndex(lines []podLine, match func(podLine) bool) int {
	return slices.IndexFunc(lines, match)
}

// lastIndex is the index of the last line for which match is true, or -1.
func lastIndex(lines []podLine, match func(podLine) bool) int {
	for i := len(lines) - 1; i >= 0; i-- {
		if match(lines[i]) {
			return i
		}
	}
	return -1
}

func named(name string) func(podLine) bool { return func(l podLine) bool { return l.name == name } }

func readyPod(name string) func(podLine) bool {
	return func(l podLine) bool { return l.name == name && l.ready == "1/1" && l.status == "Running" }
}

func terminating(name string) func(podLine) bool {
	return func(l podLine) bool { return l.name == name && l.status == "Terminating" }
}

// wantOrderedStart checks, in `kubectl get pods -w` output, that each pod of names shows
// up only after the one before it was Running and Ready (OrderedReady).
func wantOrderedStart(t *testing.T, lines []string, names ...string) {
	t.Helper()
	pods := parsePodLines(lines)
	for i := 1; i < len(names); i++ {
		ready, created := firstIndex(pods, readyPod(names[i-1])), firstIndex(pods, named(names[i]))
		if ready < 0 || created < 0 || created < ready {
			t.Errorf("%s appeared (line %d) before %s was Running and Ready (line %d):\n%s",
				names[i], created, names[i-1], ready, strings.Join(lines, "\n"))
		}
	}
}

// wantParallelStart checks that every pod of names showed up before any of them was Ready.
func wantParallelStart(t *testing.T, lines []string, names ...string) {
	t.Helper()
	pods := parsePodLines(lines)
	firstReady := len(pods)
	for _, n := range names {
		if i := firstIndex(pods, readyPod(n)); i >= 0 && i < firstReady {
			firstReady = i
		}
	}
	for _, n := range names {
		if i := firstIndex(pods, named(n)); i < 0 || i > firstReady {
			t.Errorf("%s appeared (line %d) only after a pod was Ready (line %d); Parallel creates them all at once:\n%s",
				n, i, firstReady, strings.Join(lines, "\n"))
		}
	}
}

// wantOrderedStop checks that each pod of names (highest ordinal first) was gone, its last
// line printed, before the next one started terminating.
func wantOrderedStop(t *testing.T, lines []string, names ...string) {
	t.Helper()
	pods := parsePodLines(lines)
	for i := 1; i < len(names); i++ {
		gone, stopping := lastIndex(pods, named(names[i-1])), firstIndex(pods, terminating(names[i]))
		if stopping < 0 || gone > stopping {
			t.Errorf("%s started terminating (line %d) before %s was gone (line %d):\n%s",
				names[i], stopping, names[i-1], gone, strings.Join(lines, "\n"))
		}
	}
}

// volumesByClaim maps each claim to its volume, from `kubectl get pvc`.
func volumesByClaim(t *testing.T, k *kubectl, args ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	tab := k.table(append([]string{"pvc"}, args...)...)
	for _, row := range tab.rows {
		out[row["NAME"]] = row["VOLUME"]
	}
	return out
}

// waitPodReplaced waits until pod (namespace ns) is a new object (UID other than old) that
// is Ready.
func waitPodReplaced(t *testing.T, k *kubectl, ns, pod, oldUID string) {
	t.Helper()
	eventually(t, 2*time.Minute, func() string {
		r := k.try("get", "pod", pod, "-n", ns, "-o", `jsonpath={.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}`)
		if r.code != 0 {
			return fmt.Sprintf("%s: %s", pod, r.stderr)
		}
		f := strings.Fields(r.stdout)
		if len(f) != 2 || f[0] == oldUID || f[1] != "True" {
			return fmt.Sprintf("%s is %q, want a new pod (not %s) that is Ready", pod, r.stdout, oldUID)
		}
		return ""
	})
}

// splitShellWords splits a command line into words as sh does for what the READMEs use:
// blanks separate words, '...' is literal, "..." is literal except for \" and \\.
func splitShellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == ' ' || ch == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated '")
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\') {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i == len(line) {
				return nil, errors.New(`unterminated "`)
			}
			inWord = true
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// nodeAddr is the address through which the test reaches a port of the node.
func (e *example) nodeAddr(port string) string { return net.JoinHostPort(e.c.netns.nsIP, port) }

// watchPods starts a README's `kubectl get pods -w ...` and returns once it is watching:
// a pod with the given label that is never scheduled (so nothing acts on it) is created,
// seen in the output and deleted again. Lines about it are ignored by the checks, which
// look at named pods.
func (e *example) watchPods(line, label string) *stream {
	e.t.Helper()
	s := e.watch(line)
	const marker = "watch-marker"
	e.k.run("run", marker, "--image=busybox", "--restart=Never", "--labels="+label, stayPending)
	waitLines(e.t, s, time.Minute, "a line for the pod "+marker, func(l []string) bool {
		return firstIndex(parsePodLines(l), named(marker)) >= 0
	})
	e.k.run("delete", "pod", marker)
	return s
}

// waitNoPods waits until no pod matches the selector in the namespace.
func waitNoPods(t *testing.T, k *kubectl, selector string, args ...string) {
	t.Helper()
	eventually(t, 2*time.Minute, func() string {
		if out := k.run(append([]string{"get", "pods", "-l", selector, "-o", "name"}, args...)...); out != "" {
			return "pods left: " + out
		}
		return ""
	})
}

// waitPodsReady waits until exactly the named pods match the selector, each Running and
// Ready.
func waitPodsReady(t *testing.T, k *kubectl, selector string, names ...string) {
	t.Helper()
	want := slices.Clone(names)
	slices.Sort(want)
	eventually(t, 3*time.Minute, func() string {
		out := k.run("get", "pods", "-l", selector, "-o",
			`jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`)
		var ready []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[1] == "Running" && f[2] == "True" {
				ready = append(ready, f[0])
			}
		}
		slices.Sort(ready)
		if !slices.Equal(ready, want) {
			return fmt.Sprintf("pods %s: %q, want %v Running and Ready", selector, out, want)
		}
		return ""
	})
}

// podIPs returns the IP of each named pod.
func podIPs(t *testing.T, k *kubectl, names ...string) map[string]string {
	t.Helper()
	ips := map[string]string{}
	for _, n := range names {
		ips[n] = k.jsonpath("{.status.podIP}", "pod", n)
		if net.ParseIP(ips[n]) == nil {
			t.Fatalf("pod %s has no IP: %q", n, ips[n])
		}
	}
	return ips
}

// TestExampleWebStatefulSet follows examples/web-statefulset/README.md (seeds 002 and 004).
func TestExampleWebStatefulSet(t *testing.T) {
	e := startExample(t, "web-statefulset", "nginx", "network-multitool")
	k := e.k

	// 1. Three pods of a ReplicationController share one claim; on one node all of them run.
	wantLines(t, e.run("kubectl apply -f helloweb-rc.yaml"),
		"persistentvolumeclaim/helloweb-disk created", "replicationcontroller/nginx created")
	eventually(t, 3*time.Minute, func() string {
		out := k.run("get", "pods", "-l", "app=nginx", "-o", "jsonpath={.items[*].status.phase}")
		if out != "Running Running Running" {
			return "RC pods: " + out
		}
		return ""
	})
	tabs := tables(t, e.run("kubectl get pods,pvc"))
	if len(tabs) != 2 || len(tabs[0].rows) != 3 || len(tabs[1].rows) != 1 {
		t.Fatalf("want 3 pods and 1 claim:\n%s", tabs[0].text)
	}
	tabs[1].wantCells(t, "persistentvolumeclaim/helloweb-disk", "STATUS", "Bound", "CAPACITY", "30Gi", "ACCESS MODES", "RWO")
	e.run("kubectl delete -f helloweb-rc.yaml")
	waitNoPods(t, k, "app=nginx")

	// 2. The StatefulSet starts its pods in order, each with its own claim.
	e.run("kubectl apply -f storageclass-standard.yaml")
	w := e.watchPods("kubectl get pods -w -l app=nginx", "app=nginx")
	wantLines(t, e.run("kubectl apply -f nginx-svc-headless.yaml -f nginx-sts.yaml"),
		"service/nginx created", "statefulset.apps/nginx created")
	lines := waitLines(t, w, 3*time.Minute, "nginx-2 Running and Ready", func(l []string) bool {
		return firstIndex(parsePodLines(l), readyPod("nginx-2")) >= 0
	})
	w.stop()
	wantOrderedStart(t, lines, "nginx-0", "nginx-1", "nginx-2")
	pvc := parseTable(t, e.run("kubectl get pvc"))
	if len(pvc.rows) != 3 {
		t.Errorf("want 3 claims:\n%s", pvc.text)
	}
	for _, n := range []string{"www-nginx-0", "www-nginx-1", "www-nginx-2"} {
		pvc.wantCells(t, n, "STATUS", "Bound", "CAPACITY", "1Gi", "STORAGECLASS", "standard")
	}
	pv := parseTable(t, e.run("kubectl get pv"))
	for _, n := range []string{"www-nginx-0", "www-nginx-1", "www-nginx-2"} {
		pv.rowWhere(t, "CLAIM", "default/"+n)
	}
	volumes := volumesByClaim(t, k)

	// 3. The headless Service's name lists the pods; each pod has a name of its own.
	ip := podIPs(t, k, "nginx-0", "nginx-1", "nginx-2")
	out := e.interactive("kubectl run nettool --image ghcr.io/c1t1d0s7/network-multitool -it --rm",
		"nslookup nginx", "nslookup nginx-0.nginx.default.svc.cluster.local")
	for _, p := range []string{"nginx-0", "nginx-1", "nginx-2"} {
		wantContains(t, out, "Address: "+ip[p])
	}
	if !regexp.MustCompile(`nginx-0\.nginx\.default\.svc\.cluster\.local\s+Address: ` + regexp.QuoteMeta(ip["nginx-0"])).MatchString(out) {
		t.Errorf("nslookup nginx-0.nginx.default.svc.cluster.local does not answer %s:\n%s", ip["nginx-0"], out)
	}
	out = e.inCluster("kubectl run nettool --image ghcr.io/c1t1d0s7/network-multitool --rm -i --restart=Never -- nslookup nginx-1.nginx.default.svc.cluster.local")
	wantContains(t, out, "Address: "+ip["nginx-1"])

	// 4. A page written into each pod's volume stays with the pod's name.
	for _, p := range []string{"nginx-0", "nginx-1", "nginx-2"} {
		e.run(`kubectl exec ` + p + ` -- sh -c 'echo "hello from $(hostname)" > /usr/share/nginx/html/index.html'`)
	}
	const curlNginx1 = "kubectl run nettool --image ghcr.io/c1t1d0s7/network-multitool --rm -i --restart=Never -- curl -s nginx-1.nginx"
	if got := e.inCluster(curlNginx1); got != "hello from nginx-1" {
		t.Errorf("nginx-1.nginx answered %q", got)
	}
	uid := k.jsonpath("{.metadata.uid}", "pod", "nginx-1")
	e.run("kubectl delete pod nginx-1")
	waitPodReplaced(t, k, "default", "nginx-1", uid)
	if got := e.inCluster(curlNginx1); got != "hello from nginx-1" {
		t.Errorf("after the pod was replaced, nginx-1.nginx answered %q", got)
	}

	w = e.watchPods("kubectl get pods -w -l app=nginx", "app=nginx")
	wantLines(t, e.run("kubectl scale sts nginx --replicas 1"), "statefulset.apps/nginx scaled")
	waitPodsReady(t, k, "app=nginx", "nginx-0")
	stopped := func(name string) func(podLine) bool {
		return func(l podLine) bool { return l.name == name && (l.status == "Completed" || l.status == "Error") }
	}
	lines = waitLines(t, w, time.Minute, "nginx-1 and nginx-2 stopped", func(l []string) bool {
		pods := parsePodLines(l)
		return firstIndex(pods, stopped("nginx-1")) >= 0 && firstIndex(pods, stopped("nginx-2")) >= 0
	})
	w.stop()
	wantOrderedStop(t, lines, "nginx-2", "nginx-1")
	tabs = tables(t, e.run("kubectl get pods,pvc"))
	if len(tabs) != 2 || len(tabs[1].rows) != 3 {
		t.Errorf("after scaling to 1, want all 3 claims kept:\n%s", tabs[len(tabs)-1].text)
	}
	e.run("kubectl scale sts nginx --replicas 3")
	wantContains(t, e.run("kubectl rollout status sts nginx"), "partitioned roll out complete: 3 new pods have been updated...")
	if got := e.inCluster(curlNginx1); got != "hello from nginx-1" {
		t.Errorf("after scaling 3→1→3, nginx-1.nginx answered %q", got)
	}
	e.run("kubectl get pv")
	if got := volumesByClaim(t, k); !maps.Equal(got, volumes) {
		t.Errorf("after scaling 3→1→3 the claims have other volumes: %v, before %v", got, volumes)
	}

	// 5. Parallel: recreated with the other policy, all pods start at once, on their claims.
	wantLines(t, e.run("kubectl delete sts nginx"), `statefulset.apps "nginx" deleted`)
	e.run("kubectl wait --for=delete pod -l app=nginx --timeout=60s")
	waitNoPods(t, k, "app=nginx")
	w = e.watchPods("kubectl get pods -w -l app=nginx", "app=nginx")
	e.run("kubectl apply -f nginx-sts-parallel.yaml")
	lines = waitLines(t, w, 3*time.Minute, "all three pods Running and Ready", func(l []string) bool {
		pods := parsePodLines(l)
		return firstIndex(pods, readyPod("nginx-0")) >= 0 && firstIndex(pods, readyPod("nginx-1")) >= 0 && firstIndex(pods, readyPod("nginx-2")) >= 0
	})
	w.stop()
	wantParallelStart(t, lines, "nginx-0", "nginx-1", "nginx-2")
	if got := strings.TrimSpace(e.run("kubectl exec nginx-1 -- cat /usr/share/nginx/html/index.html")); got != "hello from nginx-1" {
		t.Errorf("the recreated nginx-1 reads %q from its claim", got)
	}
	if got := volumesByClaim(t, k); !maps.Equal(got, volumes) {
		t.Errorf("the recreated StatefulSet's claims have other volumes: %v, before %v", got, volumes)
	}

	// Clean up as the README does: the claims carry the StatefulSet's selector labels.
	e.run("kubectl delete -f nginx-sts-parallel.yaml -f nginx-svc-headless.yaml")
	e.run("kubectl delete pvc -l app=nginx")
	eventually(t, 2*time.Minute, func() string {
		if out := k.run("get", "pvc,pv", "-o", "name"); out != "" {
			return "left: " + out
		}
		return ""
	})
	e.run("kubectl delete -f storageclass-standard.yaml")
}

// TestExampleMyappSts follows examples/myapp-sts/README.md (seed 001).
func TestExampleMyappSts(t *testing.T) {
	e := startExample(t, "myapp-sts", "go-myweb", "network-multitool")
	k := e.k

	// 1. The StatefulSet and its headless Service.
	wantLines(t, e.run("kubectl create -f myapp-sts.yaml -f myapp-svc-headless.yaml"),
		"statefulset.apps/myapp-sts created", "service/myapp-svc-headless created")
	waitPodsReady(t, k, "app=myapp-sts", "myapp-sts-0", "myapp-sts-1")
	ip := podIPs(t, k, "myapp-sts-0", "myapp-sts-1")
	var tabs []table
	eventually(t, time.Minute, func() string {
		tabs = tables(t, e.run("kubectl get sts,svc,ep"))
		if len(tabs) != 3 {
			return fmt.Sprintf("want tables of statefulsets, services and endpoints, got %d", len(tabs))
		}
		if got := tabs[0].row(t, "statefulset.apps/myapp-sts")["READY"]; got != "2/2" {
			return "READY " + got
		}
		if got, want := tabs[2].row(t, "endpoints/myapp-svc-headless")["ENDPOINTS"], ip["myapp-sts-0"]+":80,"+ip["myapp-sts-1"]+":80"; got != want {
			return fmt.Sprintf("ENDPOINTS %s, want %s", got, want)
		}
		return ""
	})
	tabs[1].wantCells(t, "service/myapp-svc-headless", "TYPE", "ClusterIP", "CLUSTER-IP", "None", "PORT(S)", "80/TCP")
	wide := parseTable(t, e.run("kubectl get pod -o wide"))
	wide.wantCells(t, "myapp-sts-0", "READY", "1/1", "STATUS", "Running", "IP", ip["myapp-sts-0"])
	wide.wantCells(t, "myapp-sts-1", "READY", "1/1", "STATUS", "Running", "IP", ip["myapp-sts-1"])

	// 2. Pod names in the cluster DNS, interactively and one question at a time.
	out := e.interactive("kubectl run nettool --image ghcr.io/c1t1d0s7/network-multitool -it --rm",
		"host myapp-svc-headless", "host myapp-sts-0.myapp-svc-headless", "host myapp-sts-1.myapp-svc-headless")
	wantContains(t, out,
		"myapp-svc-headless.default.svc.cluster.local has address "+ip["myapp-sts-0"],
		"myapp-svc-headless.default.svc.cluster.local has address "+ip["myapp-sts-1"],
		"myapp-sts-0.myapp-svc-headless.default.svc.cluster.local has address "+ip["myapp-sts-0"],
		"myapp-sts-1.myapp-svc-headless.default.svc.cluster.local has address "+ip["myapp-sts-1"])
	const hostSts0 = "kubectl run nettool --image ghcr.io/c1t1d0s7/network-multitool --rm -i --restart=Never -- host myapp-sts-0.myapp-svc-headless"
	if got, want := e.inCluster(hostSts0), "myapp-sts-0.myapp-svc-headless.default.svc.cluster.local has address "+ip["myapp-sts-0"]; got != want {
		t.Errorf("host myapp-sts-0.myapp-svc-headless printed %q, want %q", got, want)
	}
	uid := k.jsonpath("{.metadata.uid}", "pod", "myapp-sts-0")
	wantLines(t, e.run("kubectl delete pod myapp-sts-0"), `pod "myapp-sts-0" deleted`)
	waitPodReplaced(t, k, "default", "myapp-sts-0", uid)
	e.run("kubectl get pod -o wide")
	newIP := podIPs(t, k, "myapp-sts-0")["myapp-sts-0"]
	// The record follows the new pod once the endpoints do, a moment after it is Ready.
	eventually(t, time.Minute, func() string {
		r := e.try("", hostSts0)
		if want := "myapp-sts-0.myapp-svc-headless.default.svc.cluster.local has address " + newIP; !strings.Contains(r.stdout, want) {
			return fmt.Sprintf("host myapp-sts-0.myapp-svc-headless: %s\nwant %q", r, want)
		}
		return ""
	})

	// 3. A claim per pod, kept when the StatefulSet scales down.
	e.run("kubectl create -f storageclass-nfs-client.yaml")
	r := e.try("", "kubectl get pv,pvc")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "No resources found") {
		t.Errorf("before myapp-sts-vol there should be no volumes or claims: %s", r)
	}
	wantLines(t, e.run("kubectl create -f myapp-sts-vol.yaml"), "statefulset.apps/myapp-sts-vol created")
	waitPodsReady(t, k, "app=myapp-sts-vol", "myapp-sts-vol-0", "myapp-sts-vol-1")
	e.run("kubectl get po,svc")
	wantClaims := func(n int) map[string]string {
		t.Helper()
		tabs := tables(t, e.run("kubectl get pv,pvc"))
		if len(tabs) != 2 || len(tabs[0].rows) != n || len(tabs[1].rows) != n {
			t.Fatalf("want %d volumes and %d claims:\n%s", n, n, strings.Join([]string{tabs[0].text}, ""))
		}
		volumes := map[string]string{}
		for i := 0; i < n; i++ {
			claim := fmt.Sprintf("myapp-data-myapp-sts-vol-%d", i)
			row := tabs[1].row(t, "persistentvolumeclaim/"+claim)
			if row["STATUS"] != "Bound" || row["STORAGECLASS"] != "nfs-client" || row["CAPACITY"] != "1Gi" {
				t.Errorf("claim %s: %v", claim, row)
			}
			volumes[claim] = row["VOLUME"]
			tabs[0].rowWhere(t, "CLAIM", "default/"+claim)
		}
		return volumes
	}
	wantClaims(2)
	e.run(`kubectl exec myapp-sts-vol-1 -- sh -c 'echo "written by $(hostname)" > /data/hello'`)
	wantLines(t, e.run("kubectl scale sts myapp-sts-vol --replicas 4"), "statefulset.apps/myapp-sts-vol scaled")
	waitPodsReady(t, k, "app=myapp-sts-vol", "myapp-sts-vol-0", "myapp-sts-vol-1", "myapp-sts-vol-2", "myapp-sts-vol-3")
	volumes := wantClaims(4)
	e.run("kubectl get po,sts")
	e.run("kubectl scale sts myapp-sts-vol --replicas 2")
	waitPodsReady(t, k, "app=myapp-sts-vol", "myapp-sts-vol-0", "myapp-sts-vol-1")
	if got := wantClaims(4); !maps.Equal(got, volumes) {
		t.Errorf("after scaling 4→2 the claims have other volumes: %v, before %v", got, volumes)
	}
	sts := tables(t, e.run("kubectl get po,sts"))
	sts[len(sts)-1].wantCells(t, "statefulset.apps/myapp-sts-vol", "READY", "2/2")

	// 4. Deleted and created again, the StatefulSet finds its claims and their data.
	wantLines(t, e.run("kubectl delete sts myapp-sts-vol"), `statefulset.apps "myapp-sts-vol" deleted`)
	if got := volumesByClaim(t, k); !maps.Equal(got, volumes) {
		t.Errorf("after deleting the StatefulSet the claims are %v, want %v", got, volumes)
	}
	parseTable(t, e.run("kubectl get pvc")).wantCells(t, "myapp-data-myapp-sts-vol-3", "STATUS", "Bound")
	waitNoPods(t, k, "app=myapp-sts-vol")
	e.run("kubectl create -f myapp-sts-vol.yaml")
	wantContains(t, e.run("kubectl rollout status sts myapp-sts-vol"), "partitioned roll out complete: 2 new pods have been updated...")
	if got := strings.TrimSpace(e.run("kubectl exec myapp-sts-vol-1 -- cat /data/hello")); got != "written by myapp-sts-vol-1" {
		t.Errorf("the recreated myapp-sts-vol-1 reads %q from its claim", got)
	}
	e.run("kubectl scale sts myapp-sts-vol --replicas 4")
	waitPodsReady(t, k, "app=myapp-sts-vol", "myapp-sts-vol-0", "myapp-sts-vol-1", "myapp-sts-vol-2", "myapp-sts-vol-3")
	if got := wantClaims(4); !maps.Equal(got, volumes) {
		t.Errorf("the recreated StatefulSet's claims have other volumes: %v, before %v", got, volumes)
	}

	// Clean up as the README does.
	e.run("kubectl delete sts myapp-sts myapp-sts-vol")
	e.run("kubectl delete svc myapp-svc-headless")
	e.run("kubectl delete pvc -l app=myapp-sts-vol")
	eventually(t, 2*time.Minute, func() string {
		if out := k.run("get", "pvc,pv", "-o", "name"); out != "" {
			return "left: " + out
		}
		return ""
	})
	e.run("kubectl delete -f storageclass-nfs-client.yaml")
}

// randomAnswer is what random-generator answers on GET /.
type randomAnswer struct {
	Random   int    `json:"random"`
	Hostname string `json:"hostname"`
	Version  string `json:"version"`
}

// randomAnswers parses one JSON answer per line.
func randomAnswers(t *testing.T, out string) []randomAnswer {
	t.Helper()
	var answers []randomAnswer
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var a randomAnswer
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("random-generator answered %q, not JSON: %v", line, err)
		}
		answers = append(answers, a)
	}
	return answers
}

// TestExampleRandomGenerator follows examples/random-generator/README.md (seed 000).
func TestExampleRandomGenerator(t *testing.T) {
	e := startExample(t, "random-generator", "random-generator", "network-multitool")
	k := e.k
	const watchRG = "kubectl get pods -w -l app=random-generator"
	untilReady := func(names ...string) func([]string) bool {
		return func(l []string) bool {
			pods := parsePodLines(l)
			for _, n := range names {
				if firstIndex(pods, readyPod(n)) < 0 {
					return false
				}
			}
			return true
		}
	}

	// 1. Storage and identity: rg-0, then rg-1, each with its own claim.
	w := e.watchPods(watchRG, "app=random-generator")
	wantLines(t, e.run("kubectl apply -f random-generator-svc.yaml -f rg-statefulset.yaml"),
		"service/random-generator created", "statefulset.apps/rg created")
	lines := waitLines(t, w, 3*time.Minute, "rg-1 Running and Ready", untilReady("rg-1"))
	w.stop()
	wantOrderedStart(t, lines, "rg-0", "rg-1")
	pvc := parseTable(t, e.run("kubectl get pvc"))
	for _, n := range []string{"logs-rg-0", "logs-rg-1"} {
		pvc.wantCells(t, n, "STATUS", "Bound", "CAPACITY", "10Mi", "ACCESS MODES", "RWO", "STORAGECLASS", "local-path")
	}

	// 2. Per-pod A records and SRV records of the headless Service.
	ip := podIPs(t, k, "rg-0", "rg-1")
	srv := e.inCluster("kubectl run nettool --image ghcr.io/c1t1d0s7/network-multitool --rm -i --restart=Never -- dig SRV random-generator.default.svc.cluster.local")
	for _, p := range []string{"rg-0", "rg-1"} {
		srvRecord := regexp.MustCompile(`(?m)^random-generator\.default\.svc\.cluster\.local\.\s+\d+\s+IN\s+SRV\s+0 \d+ 8080 ` + p + `\.random-generator\.default\.svc\.cluster\.local\.$`)
		if !srvRecord.MatchString(srv) {
			t.Errorf("dig SRV has no SRV record for %s on port 8080:\n%s", p, srv)
		}
		aRecord := regexp.MustCompile(`(?m)^` + p + `\.random-generator\.default\.svc\.cluster\.local\.\s+\d+\s+IN\s+A\s+` + regexp.QuoteMeta(ip[p]) + `$`)
		if !aRecord.MatchString(srv) {
			t.Errorf("dig SRV has no A record %s for %s:\n%s", ip[p], p, srv)
		}
	}
	if got := e.inCluster("kubectl run nettool --image ghcr.io/c1t1d0s7/network-multitool --rm -i --restart=Never -- dig +short rg-0.random-generator.default.svc.cluster.local"); got != ip["rg-0"] {
		t.Errorf("dig +short rg-0.random-generator.default.svc.cluster.local = %q, want %s", got, ip["rg-0"])
	}
	body := e.inCluster("kubectl run nettool --image ghcr.io/c1t1d0s7/network-multitool --rm -i --restart=Never -- curl -s rg-0.random-generator.default.svc.cluster.local:8080")
	if a := randomAnswers(t, body); len(a) != 1 || a[0].Hostname != "rg-0" || a[0].Version != "1.0" {
		t.Errorf("rg-0 answered %q, want its hostname and version 1.0", body)
	}
	wantContains(t, e.run("kubectl exec rg-0 -- cat /opt/logs/random.log"), body)

	// 3. Scale out in order.
	w = e.watchPods(watchRG, "app=random-generator")
	e.run("kubectl scale sts rg --replicas 5")
	wantContains(t, e.run("kubectl rollout status sts rg"), "partitioned roll out complete: 5 new pods have been updated...")
	lines = waitLines(t, w, 3*time.Minute, "rg-4 Running and Ready", untilReady("rg-4"))
	w.stop()
	wantOrderedStart(t, lines, "rg-1", "rg-2", "rg-3", "rg-4")

	// 4. The canary: with partition 2 only rg-2, rg-3 and rg-4 get the new version.
	wantLines(t, e.run(`kubectl patch sts rg -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}'`), "statefulset.apps/rg patched")
	wantLines(t, e.run("kubectl set image sts rg random-generator=k8spatterns/random-generator:2.0"), "statefulset.apps/rg image updated")
	wantContains(t, e.run("kubectl rollout status sts rg"), "partitioned roll out complete: 3 new pods have been updated...")
	wantImages := func(want map[string]string) {
		t.Helper()
		tab := parseTable(t, e.run("kubectl get pods -l app=random-generator -o custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image"))
		for pod, image := range want {
			tab.wantCells(t, pod, "IMAGE", image)
		}
	}
	const v1, v2 = "k8spatterns/random-generator:1.0", "k8spatterns/random-generator:2.0"
	wantImages(map[string]string{"rg-0": v1, "rg-1": v1, "rg-2": v2, "rg-3": v2, "rg-4": v2})
	sts := k.object("sts", "rg")
	current, update := sts.value("status.currentRevision"), sts.value("status.updateRevision")
	if current == update {
		t.Errorf("during the canary the current and update revisions are both %s", current)
	}
	sts.want("status.updatedReplicas", "3", "status.currentReplicas", "2", "status.readyReplicas", "5")
	for pod, rev := range map[string]string{"rg-0": current, "rg-1": current, "rg-2": update, "rg-3": update, "rg-4": update} {
		if got := k.jsonpath(`{.metadata.labels.controller-revision-hash}`, "pod", pod); got != rev {
			t.Errorf("%s is at revision %s, want %s", pod, got, rev)
		}
	}
	out := e.inCluster(`kubectl run nettool --image ghcr.io/c1t1d0s7/network-multitool --rm -i --restart=Never -- sh -c 'for i in 0 1 2 3 4; do curl -s rg-$i.random-generator:8080; done'`)
	answers := randomAnswers(t, out)
	versions := map[string]string{}
	var rg3 string
	for i, a := range answers {
		versions[a.Hostname] = a.Version
		if a.Hostname == "rg-3" {
			rg3 = strings.Split(strings.TrimSpace(out), "\n")[i]
		}
	}
	if rg3 == "" {
		t.Errorf("rg-3 did not answer:\n%s", out)
	}
	if want := map[string]string{"rg-0": "1.0", "rg-1": "1.0", "rg-2": "2.0", "rg-3": "2.0", "rg-4": "2.0"}; !maps.Equal(versions, want) {
		t.Errorf("the pods answer versions %v, want %v:\n%s", versions, want, out)
	}
	e.run(`kubectl patch sts rg -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}'`)
	wantContains(t, e.run("kubectl rollout status sts rg"), "partitioned roll out complete: 5 new pods have been updated...")
	wantImages(map[string]string{"rg-0": v2, "rg-1": v2, "rg-2": v2, "rg-3": v2, "rg-4": v2})

	// Scale in from the highest ordinal down, one pod at a time; the claims stay.
	w = e.watchPods(watchRG, "app=random-generator")
	e.run("kubectl scale sts rg --replicas 2")
	waitPodsReady(t, k, "app=random-generator", "rg-0", "rg-1")
	lines = waitLines(t, w, time.Minute, "rg-2 stopped", func(l []string) bool {
		return firstIndex(parsePodLines(l), func(p podLine) bool {
			return p.name == "rg-2" && (p.status == "Completed" || p.status == "Error")
		}) >= 0
	})
	w.stop()
	wantOrderedStop(t, lines, "rg-4", "rg-3", "rg-2")
	volumes := volumesByClaim(t, k)
	if len(volumes) != 5 {
		t.Errorf("after scaling 5→2 want the 5 claims kept, got %v", volumes)
	}

	// 5. Parallel: all five pods at once, each on its old claim.
	e.run("kubectl delete sts rg")
	e.run("kubectl wait --for=delete pod -l app=random-generator --timeout=60s")
	waitNoPods(t, k, "app=random-generator")
	w = e.watchPods(watchRG, "app=random-generator")
	e.run("kubectl apply -f rg-statefulset-parallel.yaml")
	lines = waitLines(t, w, 3*time.Minute, "all five pods Running and Ready", untilReady("rg-0", "rg-1", "rg-2", "rg-3", "rg-4"))
	w.stop()
	wantParallelStart(t, lines, "rg-0", "rg-1", "rg-2", "rg-3", "rg-4")
	if got := volumesByClaim(t, k); !maps.Equal(got, volumes) {
		t.Errorf("the recreated StatefulSet's claims have other volumes: %v, before %v", got, volumes)
	}
	wantContains(t, e.run("kubectl exec rg-3 -- cat /opt/logs/random.log"), rg3)

	e.run("kubectl delete -f rg-statefulset-parallel.yaml -f random-generator-svc.yaml")
	e.run("kubectl delete pvc -l app=random-generator")
	eventually(t, 2*time.Minute, func() string {
		if out := k.run("get", "pvc,pv", "-o", "name"); out != "" {
			return "left: " + out
		}
		return ""
	})
}

// myWebVersion is the version go-myweb reports in its answer.
func myWebVersion(answer string) string {
	m := regexp.MustCompile(`(?m)^Version: (\S+)$`).FindStringSubmatch(answer)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestExampleDeploymentRollout follows examples/deployment-rollout/README.md (seed 001).
func TestExampleDeploymentRollout(t *testing.T) {
	e := startExample(t, "deployment-rollout", "go-myweb")
	k := e.k

	// 1. The Deployment, its ReplicaSet and pods.
	e.argv("kubectl api-resources | grep deployments") // a pipe: kubectl's part is run below
	var deployments []string
	for _, l := range strings.Split(k.run("api-resources"), "\n") {
		if strings.Contains(l, "deployments") {
			deployments = append(deployments, strings.Join(strings.Fields(l), " "))
		}
	}
	if !slices.Equal(deployments, []string{"deployments deploy apps/v1 true Deployment"}) {
		t.Errorf("kubectl api-resources | grep deployments printed %q", deployments)
	}
	wantContains(t, e.run("kubectl explain deploy.spec"), "FIELD: spec <DeploymentSpec>", "strategy", "minReadySeconds")
	wantLines(t, e.run("kubectl create -f myapp-deploy-v1.yaml"), "deployment.apps/myapp-deploy created")
	e.run("kubectl get deploy")
	wantContains(t, e.run("kubectl rollout status deployment myapp-deploy"), `deployment "myapp-deploy" successfully rolled out`)
	parseTable(t, e.run("kubectl get deploy")).wantCells(t, "myapp-deploy", "READY", "3/3", "UP-TO-DATE", "3", "AVAILABLE", "3")
	rs := parseTable(t, e.run("kubectl get rs"))
	if len(rs.rows) != 1 {
		t.Fatalf("want one ReplicaSet:\n%s", rs.text)
	}
	rsV1 := rs.rows[0]["NAME"]
	rs.wantCells(t, rsV1, "DESIRED", "3", "CURRENT", "3", "READY", "3")
	pods := parseTable(t, e.run("kubectl get pods"))
	for _, name := range pods.column("NAME") {
		if !strings.HasPrefix(name, rsV1+"-") {
			t.Errorf("pod %s is not named after its ReplicaSet %s", name, rsV1)
		}
	}
	const askVersion = "kubectl exec deploy/myapp-deploy -- wget -qO- localhost:8080"
	if got := e.run(askVersion); myWebVersion(got) != "v1.0" || !strings.HasPrefix(got, "Hello World!\n") {
		t.Errorf("myapp-deploy answered %q, want Hello World! from v1.0", got)
	}

	// 2. v1 → v2 with kubectl set image: the ReplicaSets trade pods within maxSurge.
	w := e.watch("kubectl get rs -w -l app=myapp-deploy")
	waitLines(t, w, time.Minute, "the ReplicaSet listed", func(l []string) bool {
		return slices.ContainsFunc(l, func(s string) bool { return strings.HasPrefix(s, rsV1+" ") })
	})
	wantLines(t, e.run("kubectl set image deployment myapp-deploy myapp=ghcr.io/c1t1d0s7/go-myweb:v2.0"),
		"deployment.apps/myapp-deploy image updated")
	wantContains(t, e.run("kubectl rollout status deployment myapp-deploy"), `deployment "myapp-deploy" successfully rolled out`)
	rsV2 := k.jsonpath(`{.items[?(@.spec.replicas==3)].metadata.name}`, "rs", "-l", "app=myapp-deploy")
	rsAt := func(name, desired string) func(string) bool {
		return func(l string) bool {
			f := strings.Fields(l)
			return len(f) >= 4 && f[0] == name && f[1] == desired && f[3] == desired
		}
	}
	lines := waitLines(t, w, time.Minute, "the new ReplicaSet at 3 and the old one at 0", func(l []string) bool {
		return slices.ContainsFunc(l, rsAt(rsV2, "3")) && slices.ContainsFunc(l, rsAt(rsV1, "0"))
	})
	w.stop()
	wantRollingUpdate(t, lines, rsV1, rsV2, 3, 1)
	history := e.run("kubectl rollout history deployment myapp-deploy")
	wantHistory(t, history, "1", "<none>", "2", "<none>")
	if got := e.run(askVersion); myWebVersion(got) != "v2.0" {
		t.Errorf("after set image, myapp-deploy answered %q", got)
	}

	// v2 → v3 with the seed's manifest, which records a change-cause.
	r := e.try("", "kubectl apply -f myapp-deploy-v3.yaml")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "deployment.apps/myapp-deploy configured" {
		t.Fatalf("apply v3: %s", r)
	}
	wantContains(t, r.stderr, "Warning: resource deployments/myapp-deploy is missing the kubectl.kubernetes.io/last-applied-configuration annotation")
	wantContains(t, e.run("kubectl rollout status deploy myapp-deploy"), `deployment "myapp-deploy" successfully rolled out`)
	wantHistory(t, e.run("kubectl rollout history deploy myapp-deploy"), "1", "<none>", "2", "<none>", "3", "My Golang Web App Version 3")
	if got := e.run(askVersion); myWebVersion(got) != "v3.0" {
		t.Errorf("after applying v3, myapp-deploy answered %q", got)
	}

	// Undo to revision 2: it comes back as revision 4, without v3's change-cause.
	wantLines(t, e.run("kubectl rollout undo deployment myapp-deploy --to-revision 2"), "deployment.apps/myapp-deploy rolled back")
	wantContains(t, e.run("kubectl rollout status deploy myapp-deploy"), `deployment "myapp-deploy" successfully rolled out`)
	wantHistory(t, e.run("kubectl rollout history deploy myapp-deploy"), "1", "<none>", "3", "My Golang Web App Version 3", "4", "<none>")
	if got := e.run(askVersion); myWebVersion(got) != "v2.0" {
		t.Errorf("after the undo, myapp-deploy answered %q", got)
	}
	k.object("rs", rsV2).want("metadata.annotations.deployment\\.kubernetes\\.io/revision", "4",
		"metadata.annotations.deployment\\.kubernetes\\.io/revision-history", "2", "spec.replicas", "3")

	// 3. Recreate: every old pod has stopped before the first new one exists.
	wantContains(t, e.run("kubectl explain deploy.spec.strategy"), "Recreate", "RollingUpdate")
	e.run("kubectl apply -f myapp-deploy-recreate.yaml")
	wantContains(t, e.run("kubectl rollout status deploy myapp-deploy-recreate"), "successfully rolled out")
	old := strings.Fields(k.run("get", "pods", "-l", "app=myapp-deploy-recreate", "-o", "jsonpath={.items[*].metadata.name}"))
	if len(old) != 3 {
		t.Fatalf("want 3 pods of myapp-deploy-recreate, got %q", old)
	}
	w = e.watchPods("kubectl get pods -l app=myapp-deploy-recreate -w", "app=myapp-deploy-recreate")
	e.run("kubectl set image deployment myapp-deploy-recreate myapp=ghcr.io/c1t1d0s7/go-myweb:v2.0")
	wantContains(t, e.run("kubectl rollout status deploy myapp-deploy-recreate"), "successfully rolled out")
	isNew := func(l podLine) bool { return l.name != "watch-marker" && !slices.Contains(old, l.name) }
	lines = waitLines(t, w, time.Minute, "three new pods Running and Ready", func(l []string) bool {
		n := map[string]bool{}
		for _, p := range parsePodLines(l) {
			if isNew(p) && p.ready == "1/1" && p.status == "Running" {
				n[p.name] = true
			}
		}
		return len(n) == 3
	})
	w.stop()
	podLines := parsePodLines(lines)
	firstNew := firstIndex(podLines, isNew)
	for _, p := range old {
		if i := firstIndex(podLines, func(l podLine) bool {
			return l.name == p && l.ready == "0/1" && (l.status == "Completed" || l.status == "Error")
		}); i < 0 || i > firstNew {
			t.Errorf("Recreate: old pod %s had not stopped (line %d) when the first new pod appeared (line %d):\n%s",
				p, i, firstNew, strings.Join(lines, "\n"))
		}
	}

	// 4. A DaemonSet: one pod on the node, rolled to a new image.
	wantContains(t, e.run("kubectl explain ds.spec.updateStrategy"), "OnDelete", "RollingUpdate")
	wantContains(t, e.run("kubectl explain statefulset.spec.updateStrategy"), "OnDelete", "RollingUpdate")
	wantLines(t, e.run("kubectl apply -f myapp-ds.yaml"), "daemonset.apps/myapp-ds created")
	wantContains(t, e.run("kubectl rollout status ds myapp-ds"), `daemon set "myapp-ds" successfully rolled out`)
	parseTable(t, e.run("kubectl get ds")).wantCells(t, "myapp-ds", "DESIRED", "1", "CURRENT", "1", "READY", "1", "UP-TO-DATE", "1", "AVAILABLE", "1")
	node := k.jsonpath("{.items[0].metadata.name}", "nodes")
	dsPods := parseTable(t, e.run("kubectl get pods -l app=myapp-ds -o wide"))
	if len(dsPods.rows) != 1 || dsPods.rows[0]["NODE"] != node || dsPods.rows[0]["STATUS"] != "Running" {
		t.Errorf("want one Running pod of myapp-ds on node %s:\n%s", node, dsPods.text)
	}
	e.run("kubectl set image ds myapp-ds myapp=ghcr.io/c1t1d0s7/go-myweb:v2.0")
	wantContains(t, e.run("kubectl rollout status ds myapp-ds"), `daemon set "myapp-ds" successfully rolled out`)
	wantHistory(t, e.run("kubectl rollout history ds myapp-ds"), "1", "<none>", "2", "<none>")
	eventually(t, time.Minute, func() string {
		if got := k.run("get", "pods", "-l", "app=myapp-ds", "-o", "jsonpath={.items[*].spec.containers[0].image}"); got != "ghcr.io/c1t1d0s7/go-myweb:v2.0" {
			return "myapp-ds pods run " + got
		}
		return ""
	})

	e.run("kubectl delete -f myapp-deploy-v3.yaml -f myapp-deploy-recreate.yaml -f myapp-ds.yaml")
	waitNoPods(t, k, "app in (myapp-deploy,myapp-deploy-recreate,myapp-ds)")
}

// wantHistory checks `kubectl rollout history` output: pairs of revision and change-cause.
func wantHistory(t *testing.T, out string, revisionsAndCauses ...string) {
	t.Helper()
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && regexp.MustCompile(`^[0-9]+$`).MatchString(f[0]) {
			got = append(got, f[0], strings.Join(f[1:], " "))
		}
	}
	if !slices.Equal(got, revisionsAndCauses) {
		t.Errorf("rollout history = %q, want %q:\n%s", got, revisionsAndCauses, out)
	}
}

// wantRollingUpdate checks `kubectl get rs -w` lines (NAME DESIRED CURRENT READY AGE) of a
// rolling update from oldRS to newRS: the old one only shrinks, the new one only grows, and
// together they never want more than replicas+maxSurge pods.
func wantRollingUpdate(t *testing.T, lines []string, oldRS, newRS string, replicas, maxSurge int) {
	t.Helper()
	desired := map[string]int{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 4 || (f[0] != oldRS && f[0] != newRS) {
			continue
		}
		var n int
		fmt.Sscan(f[1], &n)
		prev, seen := desired[f[0]]
		switch {
		case f[0] == oldRS && seen && n > prev:
			t.Errorf("the old ReplicaSet grew from %d to %d:\n%s", prev, n, strings.Join(lines, "\n"))
		case f[0] == newRS && seen && n < prev:
			t.Errorf("the new ReplicaSet shrank from %d to %d:\n%s", prev, n, strings.Join(lines, "\n"))
		}
		desired[f[0]] = n
		if sum := desired[oldRS] + desired[newRS]; sum > replicas+maxSurge {
			t.Errorf("the ReplicaSets wanted %d pods at once, more than %d+%d:\n%s", sum, replicas, maxSurge, strings.Join(lines, "\n"))
		}
	}
	if desired[oldRS] != 0 || desired[newRS] != replicas {
		t.Errorf("at the end the old ReplicaSet wants %d pods and the new one %d:\n%s", desired[oldRS], desired[newRS], strings.Join(lines, "\n"))
	}
}

// TestExampleStatefulAppIngress follows examples/stateful-app-ingress/README.md (seed 004).
func TestExampleStatefulAppIngress(t *testing.T) {
	e := startExample(t, "stateful-app-ingress", "go-myweb", "mysql")
	k := e.k
	const (
		makeRetainDefault = `kubectl patch storageclass local-path-retain -p '{"metadata": {"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}'`
		unmarkLocalPath   = `kubectl patch storageclass local-path -p '{"metadata": {"annotations":{"storageclass.kubernetes.io/is-default-class":"false"}}}'`
		makeLocalDefault  = `kubectl patch storageclass local-path -p '{"metadata": {"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}'`
		unmarkRetain      = `kubectl patch storageclass local-path-retain -p '{"metadata": {"annotations":{"storageclass.kubernetes.io/is-default-class":"false"}}}'`
	)
	classes := func() []string {
		return parseTable(t, e.run("kubectl get storageclass")).column("NAME")
	}

	// 1. Another default StorageClass.
	if got := classes(); !slices.Equal(got, []string{"local-path (default)"}) {
		t.Errorf("storage classes at start: %q", got)
	}
	wantLines(t, e.run("kubectl apply -f storageclass-local-path-retain.yaml"), "storageclass.storage.k8s.io/local-path-retain created")
	wantLines(t, e.run(makeRetainDefault), "storageclass.storage.k8s.io/local-path-retain patched")
	wantLines(t, e.run(unmarkLocalPath), "storageclass.storage.k8s.io/local-path patched")
	if got := classes(); !slices.Equal(got, []string{"local-path", "local-path-retain (default)"}) {
		t.Errorf("storage classes after the switch: %q", got)
	}

	// 2. The app in its namespace.
	if slices.Contains(parseTable(t, e.run("kubectl get namespace")).column("NAME"), "myapp") {
		t.Errorf("namespace myapp exists before the example created it")
	}
	wantLines(t, e.run("kubectl create -f myapp-stateful-demo.yaml"),
		"namespace/myapp created", "deployment.apps/web created", "service/web created",
		"statefulset.apps/mysql created", "service/mysql created")
	parseTable(t, e.run("kubectl get namespace")).wantCells(t, "myapp", "STATUS", "Active")
	wantContains(t, e.run("kubectl rollout status sts mysql -n myapp"), "partitioned roll out complete: 1 new pods have been updated...")
	eventually(t, 2*time.Minute, func() string {
		if got := k.jsonpath("{.status.availableReplicas}", "deploy", "web", "-n", "myapp"); got != "2" {
			return "web available replicas: " + got
		}
		return ""
	})
	var names []string
	all := tables(t, e.run("kubectl get all -n myapp"))
	for _, tab := range all {
		names = append(names, tab.column("NAME")...)
	}
	for _, want := range []string{"pod/mysql-0", "service/mysql", "service/web", "deployment.apps/web", "statefulset.apps/mysql"} {
		if !slices.Contains(names, want) {
			t.Errorf("kubectl get all -n myapp does not list %s: %q", want, names)
		}
	}
	if n := len(slices.DeleteFunc(slices.Clone(names), func(s string) bool { return !strings.HasPrefix(s, "pod/web-") })); n != 2 {
		t.Errorf("kubectl get all -n myapp lists %d web pods, want 2: %q", n, names)
	}
	for _, tab := range all {
		if slices.Contains(tab.header, "CLUSTER-IP") {
			tab.wantCells(t, "service/mysql", "CLUSTER-IP", "None", "PORT(S)", "3306/TCP")
			tab.wantCells(t, "service/web", "TYPE", "ClusterIP", "PORT(S)", "80/TCP")
		}
	}
	pv := parseTable(t, e.run("kubectl get pv"))
	pv.wantHeader(t, "NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "REASON", "AGE")
	volume := pv.rowWhere(t, "CLAIM", "myapp/data-mysql-0")
	if volume["RECLAIM POLICY"] != "Retain" || volume["STATUS"] != "Bound" || volume["STORAGECLASS"] != "local-path-retain" {
		t.Errorf("the database's volume: %v", volume)
	}
	parseTable(t, e.run("kubectl get pvc -n myapp")).wantCells(t, "data-mysql-0",
		"STATUS", "Bound", "VOLUME", volume["NAME"], "STORAGECLASS", "local-path-retain")

	// 3. The front end through port-forward, the data through a database pod's deletion.
	forward := e.startOnNode("kubectl port-forward svc/web 9090:80 -n myapp")
	deadline := time.After(time.Minute)
	for forwarding := false; !forwarding; {
		select {
		case line, ok := <-forward:
			if !ok {
				t.Fatal("kubectl port-forward svc/web 9090:80 -n myapp ended")
			}
			forwarding = strings.HasPrefix(line, "Forwarding from 127.0.0.1:9090 -> 8080")
		case <-deadline:
			t.Fatal("kubectl port-forward svc/web 9090:80 -n myapp printed no Forwarding line within a minute")
		}
	}
	if got := e.onNode("curl localhost:9090"); !strings.HasPrefix(got, "Hello World!\nHostname: web-") || myWebVersion(got) != "v1.0" {
		t.Errorf("curl localhost:9090 through port-forward: %q", got)
	}
	e.run(`kubectl exec -n myapp mysql-0 -- mysql -e "CREATE DATABASE scores; CREATE TABLE scores.highscores (name VARCHAR(20), score INT); INSERT INTO scores.highscores VALUES ('ordinal', 3333360);"`)
	const selectScores = `kubectl exec -n myapp mysql-0 -- mysql -e "SELECT * FROM scores.highscores"`
	wantLines(t, e.run(selectScores), "name\tscore", "ordinal\t3333360")
	uid := k.jsonpath("{.metadata.uid}", "pod", "mysql-0", "-n", "myapp")
	wantLines(t, e.run("kubectl delete pod mysql-0 -n myapp"), `pod "mysql-0" deleted`)
	waitPodReplaced(t, k, "myapp", "mysql-0", uid)
	wantLines(t, e.run(selectScores), "name\tscore", "ordinal\t3333360")
	wantLines(t, e.run("kubectl scale deployment web --replicas=10 -n myapp"), "deployment.apps/web scaled")
	eventually(t, 3*time.Minute, func() string {
		row := parseTable(t, e.run("kubectl get deployment web -n myapp")).row(t, "web")
		if row["READY"] != "10/10" || row["AVAILABLE"] != "10" {
			return fmt.Sprintf("web: %v", row)
		}
		return ""
	})

	// 4. The Ingress routes the host myapp.example to the front end.
	parseTable(t, e.run("kubectl get ingressclass")).wantCells(t, "ordinal", "CONTROLLER", "ordinal.dev/ingress")
	wantLines(t, e.run("kubectl create -f myapp-ingress.yaml"), "ingress.networking.k8s.io/web created")
	parseTable(t, e.run("kubectl get ingress -n myapp")).wantCells(t, "web", "CLASS", "ordinal", "HOSTS", "myapp.example", "PORTS", "80")
	const curlIngress = "curl -H 'Host: myapp.example' http://127.0.0.1:8080/"
	eventually(t, 30*time.Second, func() string {
		if got := e.onNode(curlIngress); !strings.HasPrefix(got, "Hello World!\nHostname: web-") {
			return "through the ingress: " + got
		}
		return ""
	})
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		// From the test, through the node's address, as from another machine.
		got := httpGet(t, "http://"+e.nodeAddr("8080")+"/", "myapp.example")
		seen[strings.SplitN(got, "\n", 3)[1]] = true
	}
	if len(seen) < 2 {
		t.Errorf("20 requests through the ingress reached only %v; want them spread over the pods", seen)
	}
	if status, body := httpStatus("http://"+e.nodeAddr("8080")+"/", "elsewhere.example"); status != 404 {
		t.Errorf("a request for another host answered %d %q, want 404", status, body)
	}

	// 5. The default class back, and the namespace gone; the volume stays, Released.
	e.run(makeLocalDefault)
	e.run(unmarkRetain)
	if got := classes(); !slices.Equal(got, []string{"local-path (default)", "local-path-retain"}) {
		t.Errorf("storage classes after switching back: %q", got)
	}
	wantLines(t, e.run("kubectl delete namespace myapp"), `namespace "myapp" deleted`)
	eventually(t, 2*time.Minute, func() string {
		row := parseTable(t, e.run("kubectl get pv")).row(t, volume["NAME"])
		if row["STATUS"] != "Released" || row["CLAIM"] != "myapp/data-mysql-0" {
			return fmt.Sprintf("volume %s: %v", volume["NAME"], row)
		}
		return ""
	})
}
