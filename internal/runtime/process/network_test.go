package process

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"ordinal.dev/ordinal/internal/runtime"
)

func TestPodsReachEachOtherAndTheHost(t *testing.T) {
	f := newFixture(t)
	server := testPod("server", sh("main", "while true; do echo pong | nc -l -p 8080; done"))
	server.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	f.runSandbox(server, nil)
	srv := f.start(server, 0, 0)
	ps, _ := f.rt.PodStatus(f.ctx, server.UID)
	if len(ps.IPs) != 1 || !strings.HasPrefix(ps.IPs[0], strings.TrimSuffix(f.cidr, "0/24")) {
		t.Fatalf("server IPs = %v, want one in %s", ps.IPs, f.cidr)
	}
	serverIP := ps.IPs[0]

	// From the host into the pod: the tcpSocket probe.
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("http")}}}
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := f.rt.Probe(f.ctx, &runtime.ProbeRequest{PodUID: server.UID, ContainerID: srv, Type: runtime.Readiness, Probe: probe})
		if err != nil {
			t.Fatal(err)
		}
		if res.Success {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tcp probe of %s:8080 never succeeded: %s", serverIP, res.Output)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The host side: a listener on the bridge's address, which pods see as their gateway
	// (the bridge exists once the first pod is wired).
	ln, err := net.Listen("tcp", f.gateway()+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	hostPort := ln.Addr().(*net.TCPAddr).Port
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintln(conn, "hello from the host")
			conn.Close()
		}
	}()
	client := testPod("client", sh("main", fmt.Sprintf(
		"ping -c 1 -W 2 %[1]s >/dev/null && echo ping-ok; nc %[1]s 8080 </dev/null; nc %[2]s %[3]d </dev/null", serverIP, f.gateway(), hostPort)))
	f.runSandbox(client, nil)
	id := f.start(client, 0, 0)
	f.waitExit(client.UID, id, 15*time.Second)
	text := f.logText(client.UID, "main", 0)
	for _, want := range []string{"ping-ok", "pong", "hello from the host"} {
		if !strings.Contains(text, want) {
			t.Errorf("client output lacks %q:\n%s", want, text)
		}
	}
}

func TestHostPortReachesThePod(t *testing.T) {
	f := newFixture(t)
	pod := testPod("hostport", sh("main", "while true; do echo via-hostport | nc -l -p 8080; done"))
	pod.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 18080, Protocol: corev1.ProtocolTCP}}
	f.runSandbox(pod, nil)
	f.start(pod, 0, 0)
	// portmap's DNAT applies to the node's addresses, loopback included (with snat).
	for _, host := range []string{f.gateway(), "127.0.0.1"} {
		addr := net.JoinHostPort(host, "18080")
		deadline := time.Now().Add(5 * time.Second)
		for {
			line, err := readLine(addr)
			if err == nil && strings.Contains(line, "via-hostport") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("host port %s: %q, %v", addr, line, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	addr := net.JoinHostPort(f.gateway(), "18080")
	// Removing the pod removes the mapping.
	if err := f.rt.RemovePodSandbox(f.ctx, pod.UID); err != nil {
		t.Fatal(err)
	}
	if line, err := readLine(addr); err == nil && line != "" {
		t.Fatalf("host port still answers after the pod is gone: %q", line)
	}
}

func readLine(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	return bufio.NewReader(conn).ReadString('\n')
}
