// Command bench measures ordinal's performance goals against the built binary and prints a
// Markdown report for docs/BENCHMARKS.md. It is run by `make bench`, not by the tests: speed
// goals are measured, not asserted.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	binary := flag.String("binary", "./bin/ordinal", "the ordinal binary to measure")
	runs := flag.Int("runs", 5, "repetitions of the start-up measurement")
	flag.Parse()
	bin, err := filepath.Abs(*binary)
	check(err)

	fmt.Printf("## Foundation (%s)\n\n", time.Now().UTC().Format("2006-01-02"))
	fmt.Printf("Machine: %s, %d cores, %s; %s.\n\n", hostDescription(), runtime.NumCPU(), memTotal(), runtime.Version())
	fmt.Println("| measurement | result | goal |")
	fmt.Println("|---|---|---|")

	var fresh, restart []time.Duration
	for i := 0; i < *runs; i++ {
		dir, err := os.MkdirTemp("", "ordinal-bench-")
		check(err)
		c := start(bin, dir)
		fresh = append(fresh, c.ready)
		c.stop()
		c = start(bin, dir)
		restart = append(restart, c.ready)
		c.stop()
		os.RemoveAll(dir)
	}
	fmt.Printf("| process start to /readyz ok, new data dir (embedded etcd included), median of %d | %s (max %s) | ≤ 0.5 s |\n", *runs, ms(median(fresh)), ms(maxOf(fresh)))
	fmt.Printf("| process start to /readyz ok, existing data dir, median of %d | %s (max %s) | ≤ 0.5 s |\n", *runs, ms(median(restart)), ms(maxOf(restart)))

	dir, err := os.MkdirTemp("", "ordinal-bench-")
	check(err)
	defer os.RemoveAll(dir)
	c := start(bin, dir)
	defer c.stop()
	time.Sleep(10 * time.Second) // idle on purpose: this measures the idle footprint
	fmt.Printf("| idle RSS of `ordinal up` (10 s after ready) | %s | ≤ 100 MiB |\n", mib(rss(c.cmd.Process.Pid)))

	client := c.client()
	ctx := context.Background()
	ns := "bench"
	_, err = client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	check(err)
	lat := make([]time.Duration, 0, 1000)
	begin := time.Now()
	for i := 0; i < 1000; i++ {
		t := time.Now()
		_, err := client.CoreV1().ConfigMaps(ns).Create(ctx, configMap(fmt.Sprintf("seq-%04d", i)), metav1.CreateOptions{})
		check(err)
		lat = append(lat, time.Since(t))
	}
	total := time.Since(begin)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("| 1000 sequential ConfigMap creates (client-go, JSON) | %s total, %.0f/s, p50 %s, p99 %s | report |\n",
		ms(total), 1000/total.Seconds(), us(lat[500]), us(lat[990]))

	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				_, err := client.CoreV1().ConfigMaps(ns).Create(ctx, configMap(fmt.Sprintf("list-%05d", i)), metav1.CreateOptions{})
				check(err)
			}
		}()
	}
	for i := 0; i < 9000; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	var lists []time.Duration
	for i := 0; i < 5; i++ {
		t := time.Now()
		l, err := client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=bench"})
		check(err)
		if len(l.Items) != 10000 {
			fail(fmt.Errorf("listed %d ConfigMaps, want 10000", len(l.Items)))
		}
		lists = append(lists, time.Since(t))
	}
	fmt.Printf("| LIST of 10,000 ConfigMaps (client-go, JSON, decoded, label selector), median of 5 | %s | report |\n", ms(median(lists)))
	fmt.Printf("| RSS after the 10,000 ConfigMaps | %s | report |\n", mib(rss(c.cmd.Process.Pid)))
	fmt.Println()
	workloads(bin)
	serviceProxy()
}

func configMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "bench"}},
		Data:       map[string]string{"key": strings.Repeat("v", 256)},
	}
}

// running are the clusters started, so that a failure does not leave them behind.
var running []*cluster

type cluster struct {
	cmd   *exec.Cmd
	dir   string
	ready time.Duration
}

// start runs `ordinal up` and returns once /readyz answers ok, with the time that took.
func start(bin, dir string, args ...string) *cluster {
	port := freePort()
	cmd := exec.Command(bin, append([]string{"up", "--data-dir", dir, "--listen", "127.0.0.1:" + strconv.Itoa(port),
		"--ingress-http-addr", "127.0.0.1:0", "--ingress-https-addr", "127.0.0.1:0", "--runtime=sim"}, args...)...)
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: time.Second}
	url := fmt.Sprintf("https://127.0.0.1:%d/readyz", port)
	begin := time.Now()
	check(cmd.Start())
	deadline := begin.Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				c := &cluster{cmd: cmd, dir: dir, ready: time.Since(begin)}
				running = append(running, c)
				return c
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Kill()
	fail(fmt.Errorf("ordinal up in %s was not ready within 30s", dir))
	return nil
}

func (c *cluster) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
}

func (c *cluster) client() kubernetes.Interface {
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(c.dir, "kubeconfig"))
	check(err)
	cfg.QPS, cfg.Burst = -1, 0
	return kubernetes.NewForConfigOrDie(cfg)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func rss(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown memory"
	}
	f := strings.Fields(strings.SplitN(string(data), "\n", 2)[0])
	kb, _ := strconv.ParseInt(f[1], 10, 64)
	return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
}

func hostDescription() string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return runtime.GOOS
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return runtime.GOOS
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func maxOf(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = max(m, x)
	}
	return m
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }
func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1000) }
func mib(b int64) string        { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
func check(err error) {
	if err != nil {
		fail(err)
	}
}
func fail(err error) { fmt.Fprintln(os.Stderr, "bench:", err); os.Exit(1) }
