package agent

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/uuid"
)

// KubeletVersion is the version nodes report (nodeInfo.kubeletVersion): the API level
// ordinal implements, which is what `kubectl get nodes` shows and clients compare.
const KubeletVersion = "v1.32.13"

// DefaultMaxPods is upstream kubelet's default pod capacity.
const DefaultMaxPods = 110

// Machine is what a node reports about the machine under it. Allocatable equals capacity:
// ordinal reserves nothing for system daemons.
type Machine struct {
	// Capacity lists cpu, memory, ephemeral-storage and pods.
	Capacity corev1.ResourceList
	// InternalIP is the node's address (status.addresses InternalIP, the pods' hostIP).
	InternalIP string
	// Hostname is status.addresses Hostname.
	Hostname string
	// SystemInfo is nodeInfo; the agent fills in kubeletVersion and containerRuntimeVersion.
	SystemInfo corev1.NodeSystemInfo
}

// Defaults of simulated nodes.
var (
	SimCPU              = resource.MustParse("4")
	SimMemory           = resource.MustParse("16Gi")
	SimEphemeralStorage = resource.MustParse("100Gi")
)

// SimMachine describes simulated node number index (1-based): 4 CPUs, 16Gi of memory,
// 100Gi of disk and a made-up address 10.44.<hi>.<lo> that nothing ever sends to. Change
// Capacity to simulate other machines.
func SimMachine(nodeName string, index int) Machine {
	if index < 1 {
		index = 1
	}
	id := strings.ReplaceAll(string(uuid.NewUUID()), "-", "")
	return Machine{
		Capacity:   capacity(SimCPU, SimMemory, SimEphemeralStorage),
		InternalIP: fmt.Sprintf("10.44.%d.%d", (index-1)/254, (index-1)%254+1),
		Hostname:   nodeName,
		SystemInfo: corev1.NodeSystemInfo{
			MachineID: id, SystemUUID: id, BootID: id,
			KernelVersion: "sim", OSImage: "ordinal simulated node",
			OperatingSystem: "linux", Architecture: "amd64",
		},
	}
}

// DetectMachine describes the machine ordinal runs on: its CPUs and memory, the size of the
// file system holding dataDir, its primary address (127.0.0.1 if it has none) and its OS.
func DetectMachine(hostname, dataDir string) Machine {
	mem := memTotal()
	if mem.IsZero() {
		mem = SimMemory
	}
	disk := diskSize(dataDir)
	if disk.IsZero() {
		disk = SimEphemeralStorage
	}
	machineID := readTrimmed("/etc/machine-id")
	systemUUID := readTrimmed("/sys/class/dmi/id/product_uuid")
	if systemUUID == "" {
		systemUUID = machineID
	}
	return Machine{
		Capacity:   capacity(*resource.NewQuantity(int64(goruntime.NumCPU()), resource.DecimalSI), mem, disk),
		InternalIP: primaryIP(),
		Hostname:   hostname,
		SystemInfo: corev1.NodeSystemInfo{
			MachineID: machineID, SystemUUID: systemUUID,
			BootID:          readTrimmed("/proc/sys/kernel/random/boot_id"),
			KernelVersion:   readTrimmed("/proc/sys/kernel/osrelease"),
			OSImage:         osImage(),
			OperatingSystem: goruntime.GOOS, Architecture: goruntime.GOARCH,
		},
	}
}

func capacity(cpu, mem, disk resource.Quantity) corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:              cpu,
		corev1.ResourceMemory:           mem,
		corev1.ResourceEphemeralStorage: disk,
		corev1.ResourcePods:             *resource.NewQuantity(DefaultMaxPods, resource.DecimalSI),
		"hugepages-1Gi":                 resource.MustParse("0"),
		"hugepages-2Mi":                 resource.MustParse("0"),
	}
}

func readTrimmed(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// memTotal reads MemTotal from /proc/meminfo.
func memTotal() resource.Quantity {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return resource.Quantity{}
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err == nil {
				return *resource.NewQuantity(kb*1024, resource.BinarySI)
			}
		}
	}
	return resource.Quantity{}
}

// osImage is PRETTY_NAME from os-release, as upstream reports it.
func osImage() string {
	for _, path := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				return strings.Trim(v, `"'`)
			}
		}
	}
	return goruntime.GOOS
}

// primaryIP is the IPv4 address of the interface that carries the default route, read from
// /proc/net/route (no packet is sent to find it), else 127.0.0.1.
func primaryIP() string {
	b, err := os.ReadFile("/proc/net/route")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 2 || f[1] != "00000000" {
				continue
			}
			if ip := interfaceIPv4(f[0]); ip != "" {
				return ip
			}
		}
	}
	return "127.0.0.1"
}

func interfaceIPv4(name string) string {
	iface, err := net.InterfaceByName(name)
	if err != nil {
		return ""
	}
	addrs, err := iface.Addrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	return ""
}
