package process

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// volumeFile is one file of a configMap, secret, projected or downwardAPI volume.
type volumeFile struct {
	Data []byte
	Mode os.FileMode
}

// dataLink is the symlink that names the current version of a volume's files.
const dataLink = "..data"

// writeAtomic makes dir hold exactly files (by relative path) the way upstream's kubelet
// does, so that a container never sees half an update: the files go to a new hidden
// directory ..<timestamp>, the symlink ..data is swapped to it with a rename, and each
// top-level name is a symlink into ..data. Nothing is written when the content is the same.
func writeAtomic(dir string, files map[string]volumeFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for p := range files {
		if !validVolumePath(p) {
			return fmt.Errorf("invalid file path %q", p)
		}
	}
	oldTarget, _ := os.Readlink(filepath.Join(dir, dataLink))
	if oldTarget != "" && sameFiles(filepath.Join(dir, oldTarget), files) {
		return nil
	}
	tsDir, err := os.MkdirTemp(dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return err
	}
	if err := os.Chmod(tsDir, 0o755); err != nil {
		return err
	}
	for p, f := range files {
		full := filepath.Join(tsDir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, f.Data, f.Mode); err != nil {
			return err
		}
		if err := os.Chmod(full, f.Mode); err != nil { // WriteFile's mode passes the umask
			return err
		}
	}
	tmpLink := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmpLink)
	if err := os.Symlink(filepath.Base(tsDir), tmpLink); err != nil {
		return err
	}
	if err := os.Rename(tmpLink, filepath.Join(dir, dataLink)); err != nil {
		return err
	}
	want := map[string]bool{}
	for p := range files {
		top, _, _ := strings.Cut(p, "/")
		want[top] = true
	}
	for top := range want {
		link := filepath.Join(dir, top)
		if target, err := os.Readlink(link); err == nil && target == filepath.Join(dataLink, top) {
			continue
		}
		_ = os.RemoveAll(link)
		if err := os.Symlink(filepath.Join(dataLink, top), link); err != nil {
			return err
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".."):
			if name != dataLink && name != filepath.Base(tsDir) {
				_ = os.RemoveAll(filepath.Join(dir, name))
			}
		case !want[name]:
			_ = os.RemoveAll(filepath.Join(dir, name))
		}
	}
	return nil
}

// sameFiles says whether dir holds exactly files, with the same content and modes.
func sameFiles(dir string, files map[string]volumeFile) bool {
	var found []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		found = append(found, rel)
		f, ok := files[rel]
		if !ok || info.Mode().Perm() != f.Mode.Perm() {
			return errDiffers
		}
		data, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(data, f.Data) {
			return errDiffers
		}
		return nil
	})
	return err == nil && len(found) == len(files)
}

var errDiffers = fmt.Errorf("differs")

// validVolumePath accepts relative paths without .. elements that do not start with "..".
func validVolumePath(p string) bool {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "..") {
		return false
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." || el == "" {
			return false
		}
	}
	return true
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
