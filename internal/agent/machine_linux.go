package agent

import (
	"syscall"

	"k8s.io/apimachinery/pkg/api/resource"
)

// diskSize is the size of the file system holding dir.
func diskSize(dir string) resource.Quantity {
	if dir == "" {
		dir = "/"
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return resource.Quantity{}
	}
	return *resource.NewQuantity(int64(st.Blocks)*st.Bsize, resource.BinarySI)
}
