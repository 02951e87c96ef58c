package process

import (
	"os"
	"path"
	"path/filepath"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"
)

const cgroupRoot = "/sys/fs/cgroup"

// cgroupSetup says which cgroup hierarchy the host has: the unified one (v2) or the
// per-controller ones (v1). runc creates and removes each container's cgroup; the runtime
// names it (<parent>/pod<uid>/<container id>) and reads its OOM counter.
type cgroupSetup struct {
	v2 bool
	// memory is the v1 memory hierarchy's mount point ("" without one).
	memory string
}

func detectCgroups() cgroupSetup {
	var st unix.Statfs_t
	if unix.Statfs(cgroupRoot, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return cgroupSetup{v2: true}
	}
	cs := cgroupSetup{}
	if _, err := os.Stat(filepath.Join(cgroupRoot, "memory", "memory.limit_in_bytes")); err == nil {
		cs.memory = filepath.Join(cgroupRoot, "memory")
	}
	return cs
}

// podCgroup is the cgroup path (relative to the hierarchies' roots) of a pod.
func podCgroup(parent string, uid types.UID) string {
	return path.Join("/", parent, "pod"+string(uid))
}

// containerCgroup is the cgroupsPath of a container's OCI spec.
func containerCgroup(parent string, uid types.UID, id string) string {
	return path.Join(podCgroup(parent, uid), id)
}

// oomFile is the file whose oom_kill line counts the container's OOM kills.
func (cs cgroupSetup) oomFile(cgroup string) string {
	switch {
	case cs.v2:
		return filepath.Join(cgroupRoot, cgroup, "memory.events")
	case cs.memory != "":
		return filepath.Join(cs.memory, cgroup, "memory.oom_control")
	}
	return ""
}

// removePod removes a pod's (empty) cgroup directories once its containers are gone.
func (cs cgroupSetup) removePod(parent string, uid types.UID) {
	rel := podCgroup(parent, uid)
	if cs.v2 {
		_ = os.Remove(filepath.Join(cgroupRoot, rel))
		return
	}
	entries, err := os.ReadDir(cgroupRoot)
	if err != nil {
		return
	}
	for _, e := range entries {
		_ = os.Remove(filepath.Join(cgroupRoot, e.Name(), rel))
	}
}
