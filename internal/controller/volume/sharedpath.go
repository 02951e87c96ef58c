package volume

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/utils/ptr"
)

// Parameters of a shared-path StorageClass, as kubernetes-sigs/nfs-subdir-external-provisioner
// names them (path is its NFS_PATH, a class parameter here so that one cluster can use
// several shares).
const (
	paramPath            = "path"
	paramPathPattern     = "pathPattern"
	paramOnDelete        = "onDelete"
	paramArchiveOnDelete = "archiveOnDelete"
)

// archivePrefix names a reclaimed directory that was kept: archived-<its name>.
const archivePrefix = "archived-"

// errSharedPathDisabled is the claim's ProvisioningFailed reason when the control plane was
// given no shared volume directory.
var errSharedPathDisabled = errors.New("shared-path volumes are not enabled on this control plane (no shared volume directory configured: ordinal up/server --shared-volume-dir)")

// sharedPathParams are a shared-path class's parameters, checked.
type sharedPathParams struct {
	// root is the shared directory the volumes' directories are made in.
	root string
	// pathPattern names a volume's directory from its claim's metadata ("" for upstream's
	// default, <namespace>-<claim>-<volume>).
	pathPattern string
	// onDelete is what becomes of a directory when its volume is reclaimed with policy
	// Delete: onDeleteDelete, onDeleteArchive or onDeleteRetain.
	onDelete string
}

// parseSharedPathParams checks a shared-path class's parameters. Unlike upstream, which
// ignores unknown parameters and reads onDelete only when a volume is deleted, every mistake
// is refused at provisioning: a typo in archiveOnDelete would otherwise decide, much later,
// whether data is kept.
func parseSharedPathParams(params map[string]string) (sharedPathParams, error) {
	for _, k := range slices.Sorted(maps.Keys(params)) {
		switch k {
		case paramPath, paramPathPattern, paramOnDelete, paramArchiveOnDelete:
		default:
			return sharedPathParams{}, fmt.Errorf("invalid parameter %q: %s takes %s, %s, %s and %s",
				k, SharedPathProvisioner, paramPath, paramPathPattern, paramOnDelete, paramArchiveOnDelete)
		}
	}
	root, ok := params[paramPath]
	switch {
	case !ok || root == "":
		return sharedPathParams{}, fmt.Errorf("parameter %q is required: the shared directory, mounted at the same path on every node", paramPath)
	case !filepath.IsAbs(root):
		return sharedPathParams{}, fmt.Errorf("parameter %q must be an absolute path, not %q", paramPath, root)
	case filepath.Clean(root) == "/":
		return sharedPathParams{}, fmt.Errorf("parameter %q must not be /", paramPath)
	}
	p := sharedPathParams{root: filepath.Clean(root), pathPattern: params[paramPathPattern], onDelete: onDeleteArchive}
	if v, ok := params[paramArchiveOnDelete]; ok {
		archive, err := strconv.ParseBool(v)
		if err != nil {
			return sharedPathParams{}, fmt.Errorf("parameter %q must be true or false, not %q", paramArchiveOnDelete, v)
		}
		if !archive {
			p.onDelete = onDeleteDelete
		}
	}
	// onDelete wins over archiveOnDelete, as upstream.
	switch v := params[paramOnDelete]; v {
	case "":
	case onDeleteDelete, onDeleteRetain:
		p.onDelete = v
	default:
		return sharedPathParams{}, fmt.Errorf("parameter %q must be %s or %s, not %q", paramOnDelete, onDeleteDelete, onDeleteRetain, v)
	}
	return p, nil
}

// expandPathPattern fills in a pathPattern's ${.PVC.namespace}, ${.PVC.name},
// ${.PVC.labels.<key>} and ${.PVC.annotations.<key>} from claim; a label or annotation the
// claim lacks is empty, as upstream. Anything else in ${...} is an error (upstream makes it
// empty, which hides typos).
func expandPathPattern(pattern string, claim *corev1.PersistentVolumeClaim) (string, error) {
	var b strings.Builder
	rest := pattern
	for {
		start := strings.Index(rest, "${")
		if start < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:start])
		end := strings.IndexByte(rest[start:], '}')
		if end < 0 {
			return "", fmt.Errorf("pathPattern %q: unterminated ${", pattern)
		}
		field := rest[start+2 : start+end]
		rest = rest[start+end+1:]
		name, ok := strings.CutPrefix(field, ".PVC.")
		if !ok {
			return "", fmt.Errorf("pathPattern %q: ${%s} must name a field of .PVC, as ${.PVC.name} does", pattern, field)
		}
		switch {
		case name == "namespace":
			b.WriteString(claim.Namespace)
		case name == "name":
			b.WriteString(claim.Name)
		case strings.HasPrefix(name, "labels."):
			b.WriteString(claim.Labels[strings.TrimPrefix(name, "labels.")])
		case strings.HasPrefix(name, "annotations."):
			b.WriteString(claim.Annotations[strings.TrimPrefix(name, "annotations.")])
		default:
			return "", fmt.Errorf("pathPattern %q: unknown field ${%s} (use namespace, name, labels.<key> or annotations.<key>)", pattern, field)
		}
	}
}

// sharedVolumeDirName is the directory, relative to the class's root, of the volume named pv
// for claim: pathPattern expanded, or upstream's <namespace>-<claim>-<volume> when there is
// no pattern or it comes out empty. It may have several levels; it may not lead out of the
// root. Two claims whose pattern gives the same directory share it, as upstream.
func sharedVolumeDirName(claim *corev1.PersistentVolumeClaim, pv, pattern string) (string, error) {
	if pattern != "" {
		expanded, err := expandPathPattern(pattern, claim)
		if err != nil {
			return "", err
		}
		var elems []string
		for _, e := range strings.Split(expanded, "/") {
			switch e {
			case "", ".":
			case "..":
				return "", fmt.Errorf("pathPattern %q gives %q, which leads out of the shared directory", pattern, expanded)
			default:
				elems = append(elems, e)
			}
		}
		if len(elems) > 0 {
			return strings.Join(elems, "/"), nil
		}
	}
	return claim.Namespace + "-" + claim.Name + "-" + pv, nil
}

// newSharedVolume builds the volume the shared-path provisioner creates for claim: a hostPath
// directory below the class's path, reachable from every node (no node affinity), pre-bound
// to the claim. It records the class's root and onDelete on the volume, so that reclaiming it
// needs nothing but the volume. The directory itself is made by the caller before the
// volume is created. sharedDirs are the shared volume directories of this control plane; the
// class's path must be one of them or below one. An error says why the claim cannot be
// provisioned (the caller reports it as ProvisioningFailed).
//
// The hostPath type is Directory, not DirectoryOrCreate: the directory exists from
// provisioning on, so a node that does not see it does not have the share mounted, and
// making an empty directory on its own disk would hand the pod a blank volume.
func newSharedVolume(claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, sharedDirs []string) (*corev1.PersistentVolume, error) {
	params, err := parseSharedPathParams(class.Parameters)
	if err != nil {
		return nil, err
	}
	if err := checkClaimProvisionable(claim); err != nil {
		return nil, err
	}
	if sharedDirFor(params.root, sharedDirs) == "" {
		if len(sharedDirs) == 0 {
			return nil, errSharedPathDisabled
		}
		return nil, fmt.Errorf("parameter %q is %s, which is not below a shared volume directory of this control plane (%s)",
			paramPath, params.root, strings.Join(sharedDirs, ", "))
	}
	name := provisionedVolumeName(claim)
	dir, err := sharedVolumeDirName(claim, name, params.pathPattern)
	if err != nil {
		return nil, err
	}
	pv := provisionedVolume(claim, class, SharedPathProvisioner, &corev1.HostPathVolumeSource{
		Path: filepath.Join(params.root, dir),
		Type: ptr.To(corev1.HostPathDirectory),
	})
	pv.Annotations[AnnSharedPathRoot] = params.root
	pv.Annotations[AnnSharedPathOnDelete] = params.onDelete
	return pv, nil
}

// IsSharedVolume reports whether pv was provisioned by ordinal's shared-path provisioner.
func IsSharedVolume(pv *corev1.PersistentVolume) bool {
	return pv.Annotations[AnnProvisionedBy] == SharedPathProvisioner
}

// SharedVolumeDir returns where a shared-path volume's directory is: the shared directory it
// records (annotation ordinal.dev/shared-path-root) and its hostPath relative to that. An
// error says the volume does not describe a directory strictly inside its root.
func SharedVolumeDir(pv *corev1.PersistentVolume) (root, dir string, err error) {
	root = pv.Annotations[AnnSharedPathRoot]
	if !filepath.IsAbs(root) || filepath.Clean(root) == "/" {
		return "", "", fmt.Errorf("shared-path volume %s: annotation %s is %q, not an absolute path other than /", pv.Name, AnnSharedPathRoot, root)
	}
	if pv.Spec.HostPath == nil {
		return "", "", fmt.Errorf("shared-path volume %s has no hostPath", pv.Name)
	}
	root = filepath.Clean(root)
	dir, err = filepath.Rel(root, filepath.Clean(pv.Spec.HostPath.Path))
	if err != nil || dir == "." || dir == ".." || strings.HasPrefix(dir, "../") {
		return "", "", fmt.Errorf("shared-path volume %s: its path %s is not inside its shared directory %s", pv.Name, pv.Spec.HostPath.Path, root)
	}
	return root, dir, nil
}

// sharedDirFor returns the one of dirs that path is or is below; "" when none. Entries that
// are not absolute paths other than / are ignored.
func sharedDirFor(path string, dirs []string) string {
	path = filepath.Clean(path)
	for _, d := range dirs {
		if !filepath.IsAbs(d) {
			continue
		}
		d = filepath.Clean(d)
		if d != "/" && (path == d || strings.HasPrefix(path, d+"/")) {
			return d
		}
	}
	return ""
}

// sharedLocation is where the control plane finds a shared-path volume's directory: base is
// the shared volume directory of this control plane that holds it (the only one it trusts
// not to be a link planted by a pod), dir the volume's directory and archive the names to
// archive it to, all relative to base.
type sharedLocation struct {
	base, dir string
	archive   []string
}

// sharedVolumeLocation places a shared-path volume below one of sharedDirs. A volume whose
// root is below none of them is not this control plane's to touch. The directory is archived
// as archived-<name> in the volume's root, as upstream, or, when an earlier volume's archive
// took that name (a pathPattern that names several claims' directories alike),
// archived-<name>-<volume>.
func sharedVolumeLocation(pv *corev1.PersistentVolume, sharedDirs []string) (sharedLocation, error) {
	root, dir, err := SharedVolumeDir(pv)
	if err != nil {
		return sharedLocation{}, err
	}
	base := sharedDirFor(root, sharedDirs)
	if base == "" {
		return sharedLocation{}, fmt.Errorf("shared-path volume %s is in %s, which is not below a shared volume directory of this control plane (%s)",
			pv.Name, root, strings.Join(sharedDirs, ", "))
	}
	rootRel, _ := filepath.Rel(base, root)
	name := archivePrefix + filepath.Base(dir)
	return sharedLocation{
		base: base,
		dir:  filepath.Join(rootRel, dir),
		archive: []string{
			filepath.Join(rootRel, name),
			filepath.Join(rootRel, name+"-"+pv.Name),
		},
	}, nil
}

// sharedOnDelete is what becomes of a shared-path volume's directory when it is reclaimed:
// the recorded choice, or archive (upstream's default, which loses nothing) when the
// annotation is missing or garbled.
func sharedOnDelete(pv *corev1.PersistentVolume) string {
	switch v := pv.Annotations[AnnSharedPathOnDelete]; v {
	case onDeleteDelete, onDeleteRetain:
		return v
	}
	return onDeleteArchive
}
