package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"

	"ordinal.dev/ordinal/internal/runtime"
	"ordinal.dev/ordinal/internal/volume"
)

const defaultVolumeMode = 0o644

// setUpVolumes readies every volume of the pod on the host and records where each one is:
// claims through the local provisioner's directories, hostPath with its type checks,
// emptyDir under the pod's directory (a tmpfs for medium Memory), and the files of
// configMap, secret, projected and downwardAPI volumes.
func (r *Runtime) setUpVolumes(sb *sandbox, config *runtime.SandboxConfig) error {
	pod := config.Pod
	if sb.rec.Volumes == nil {
		sb.rec.Volumes = map[string]volumeRecord{}
	}
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		rec, err := r.setUpVolume(sb, config, v)
		if err != nil {
			return fmt.Errorf("MountVolume.SetUp failed for volume %q : %w", v.Name, err)
		}
		sb.rec.Volumes[v.Name] = rec
	}
	return nil
}

func (r *Runtime) setUpVolume(sb *sandbox, config *runtime.SandboxConfig, v *corev1.Volume) (volumeRecord, error) {
	own := filepath.Join(sb.dir, volumesDir, v.Name)
	switch {
	case v.PersistentVolumeClaim != nil || v.Ephemeral != nil:
		pv := config.Volumes[v.Name]
		if pv == nil {
			return volumeRecord{}, errors.New("its claim is not bound to a volume")
		}
		path, err := volume.PrepareLocalVolume(r.opts.VolumeDir, pv)
		if err != nil {
			return volumeRecord{}, err
		}
		ro := v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ReadOnly
		return volumeRecord{Path: path, ReadOnly: ro}, nil
	case v.HostPath != nil:
		// The local provisioner's checks of a hostPath volume are the kubelet's type checks.
		path, err := volume.PrepareLocalVolume(r.opts.VolumeDir, &corev1.PersistentVolume{
			Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: v.HostPath}},
		})
		if err != nil {
			return volumeRecord{}, err
		}
		return volumeRecord{Path: path}, nil
	case v.EmptyDir != nil:
		if err := os.MkdirAll(own, 0o777); err != nil {
			return volumeRecord{}, err
		}
		if v.EmptyDir.Medium == corev1.StorageMediumMemory {
			var size int64
			if v.EmptyDir.SizeLimit != nil {
				size = v.EmptyDir.SizeLimit.Value()
			}
			if err := mountTmpfs(own, size); err != nil {
				return volumeRecord{}, err
			}
			return volumeRecord{Path: own, Tmpfs: true}, os.Chmod(own, 0o777)
		}
		return volumeRecord{Path: own}, os.Chmod(own, 0o777)
	case v.ConfigMap != nil || v.Secret != nil || v.Projected != nil || v.DownwardAPI != nil:
		files, err := volumeFiles(config, v)
		if err != nil {
			return volumeRecord{}, err
		}
		if err := writeAtomic(own, files); err != nil {
			return volumeRecord{}, err
		}
		return volumeRecord{Path: own, ReadOnly: true}, nil
	}
	return volumeRecord{}, errors.New("this volume type is not supported by ordinal nodes (use a PersistentVolumeClaim, emptyDir, hostPath, configMap, secret, projected or downwardAPI volume)")
}

// updateVolumes rewrites the pod's configMap, secret, projected and downwardAPI volumes.
func (r *Runtime) updateVolumes(sb *sandbox, config *runtime.SandboxConfig) error {
	var errs []error
	for i := range config.Pod.Spec.Volumes {
		v := &config.Pod.Spec.Volumes[i]
		if v.ConfigMap == nil && v.Secret == nil && v.Projected == nil && v.DownwardAPI == nil {
			continue
		}
		files, err := volumeFiles(config, v)
		if err == nil {
			err = writeAtomic(filepath.Join(sb.dir, volumesDir, v.Name), files)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("volume %q: %w", v.Name, err))
		}
	}
	return errors.Join(errs...)
}

// volumeFiles computes the files of a configMap, secret, projected or downwardAPI volume.
func volumeFiles(config *runtime.SandboxConfig, v *corev1.Volume) (map[string]volumeFile, error) {
	files := map[string]volumeFile{}
	pod := config.Pod
	switch {
	case v.ConfigMap != nil:
		s := v.ConfigMap
		return files, configMapFiles(files, config.ConfigMaps[s.Name], s.Name, s.Items, mode(s.DefaultMode), optional(s.Optional))
	case v.Secret != nil:
		s := v.Secret
		return files, secretFiles(files, config.Secrets[s.SecretName], s.SecretName, s.Items, mode(s.DefaultMode), optional(s.Optional))
	case v.DownwardAPI != nil:
		return files, downwardFiles(files, pod, v.DownwardAPI.Items, mode(v.DownwardAPI.DefaultMode))
	case v.Projected != nil:
		def := mode(v.Projected.DefaultMode)
		for _, src := range v.Projected.Sources {
			var err error
			switch {
			case src.ConfigMap != nil:
				err = configMapFiles(files, config.ConfigMaps[src.ConfigMap.Name], src.ConfigMap.Name, src.ConfigMap.Items, def, optional(src.ConfigMap.Optional))
			case src.Secret != nil:
				err = secretFiles(files, config.Secrets[src.Secret.Name], src.Secret.Name, src.Secret.Items, def, optional(src.Secret.Optional))
			case src.DownwardAPI != nil:
				err = downwardFiles(files, pod, src.DownwardAPI.Items, def)
			}
			// Service account tokens and cluster trust bundles need APIs ordinal nodes do
			// not use yet; their files are left out.
			if err != nil {
				return nil, err
			}
		}
	}
	return files, nil
}

func mode(m *int32) os.FileMode {
	if m == nil {
		return defaultVolumeMode
	}
	return os.FileMode(*m) & os.ModePerm
}

func optional(b *bool) bool { return b != nil && *b }

func configMapFiles(files map[string]volumeFile, cm *corev1.ConfigMap, name string, items []corev1.KeyToPath, def os.FileMode, opt bool) error {
	if cm == nil {
		if opt {
			return nil
		}
		return fmt.Errorf("configmap %q not found", name)
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return keyFiles(files, data, items, def, opt, "configmap references non-existent config key")
}

func secretFiles(files map[string]volumeFile, s *corev1.Secret, name string, items []corev1.KeyToPath, def os.FileMode, opt bool) error {
	if s == nil {
		if opt {
			return nil
		}
		return fmt.Errorf("secret %q not found", name)
	}
	return keyFiles(files, s.Data, items, def, opt, "references non-existent secret key")
}

// keyFiles adds a file per key (all keys without items, else the items' keys at their paths).
func keyFiles(files map[string]volumeFile, data map[string][]byte, items []corev1.KeyToPath, def os.FileMode, opt bool, missing string) error {
	if len(items) == 0 {
		for _, k := range sortedKeys(data) {
			files[k] = volumeFile{Data: data[k], Mode: def}
		}
		return nil
	}
	for _, it := range items {
		d, ok := data[it.Key]
		if !ok {
			if opt {
				continue
			}
			return fmt.Errorf("%s: %s", missing, it.Key)
		}
		m := def
		if it.Mode != nil {
			m = mode(it.Mode)
		}
		files[it.Path] = volumeFile{Data: d, Mode: m}
	}
	return nil
}

// downwardFiles adds the downward API items that describe the pod's metadata; container
// resources are given as the container's requests and limits (0 where unset).
func downwardFiles(files map[string]volumeFile, pod *corev1.Pod, items []corev1.DownwardAPIVolumeFile, def os.FileMode) error {
	for _, it := range items {
		m := def
		if it.Mode != nil {
			m = mode(it.Mode)
		}
		var value string
		switch {
		case it.FieldRef != nil:
			v, err := metadataField(pod, it.FieldRef.FieldPath)
			if err != nil {
				return err
			}
			value = v
		case it.ResourceFieldRef != nil:
			v, err := containerResource(pod, it.ResourceFieldRef)
			if err != nil {
				return err
			}
			value = v
		}
		files[it.Path] = volumeFile{Data: []byte(value), Mode: m}
	}
	return nil
}

// metadataField is a downward API volume's field: the pod's metadata only, as upstream.
func metadataField(pod *corev1.Pod, path string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	}
	for prefix, m := range map[string]map[string]string{"metadata.labels": pod.Labels, "metadata.annotations": pod.Annotations} {
		if rest, ok := strings.CutPrefix(path, prefix+"['"); ok && strings.HasSuffix(rest, "']") {
			return m[strings.TrimSuffix(rest, "']")], nil
		}
	}
	return "", fmt.Errorf("unsupported fieldPath: %s", path)
}

func formatMap(m map[string]string) string {
	var b strings.Builder
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k + "=" + strconv.Quote(m[k]))
	}
	return b.String()
}

func containerResource(pod *corev1.Pod, ref *corev1.ResourceFieldSelector) (string, error) {
	var c *corev1.Container
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range list {
			if list[i].Name == ref.ContainerName {
				c = &list[i]
			}
		}
	}
	if c == nil {
		return "", fmt.Errorf("resourceFieldRef: no container %q", ref.ContainerName)
	}
	kind, name, _ := strings.Cut(ref.Resource, ".")
	list := c.Resources.Requests
	if kind == "limits" {
		list = c.Resources.Limits
	}
	q := list[corev1.ResourceName(name)]
	div := ref.Divisor
	if div.IsZero() {
		if name == "cpu" {
			return strconv.FormatInt((q.MilliValue()+999)/1000, 10), nil
		}
		return strconv.FormatInt(q.Value(), 10), nil
	}
	if name == "cpu" {
		return strconv.FormatInt((q.MilliValue()+div.MilliValue()-1)/div.MilliValue(), 10), nil
	}
	return strconv.FormatInt((q.Value()+div.Value()-1)/div.Value(), 10), nil
}

// mountTmpfs mounts a tmpfs on dir unless one is there; size 0 means the kernel's default.
func mountTmpfs(dir string, size int64) error {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) == nil && st.Type == unix.TMPFS_MAGIC && isMountPoint(dir) {
		return nil
	}
	opts := "mode=0777"
	if size > 0 {
		opts += ",size=" + strconv.FormatInt(size, 10)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("mounting a tmpfs on %s: %w", dir, err)
	}
	return nil
}

// mountPathFor is where a container's volume mount comes from on the host: the volume's
// path, or with subPath (subPathExpr expanded against the container's environment) a
// directory inside it, made if missing, that must not lead out of the volume.
func mountPathFor(rec volumeRecord, m *corev1.VolumeMount, env []string) (string, error) {
	sub := m.SubPath
	if m.SubPathExpr != "" {
		sub = expandEnv(m.SubPathExpr, env)
	}
	if sub == "" {
		return rec.Path, nil
	}
	if filepath.IsAbs(sub) || strings.Contains("/"+sub+"/", "/../") {
		return "", fmt.Errorf("subPath %q must be a relative path without '..'", sub)
	}
	full := filepath.Join(rec.Path, sub)
	if _, err := os.Lstat(full); os.IsNotExist(err) {
		if err := os.MkdirAll(full, 0o777); err != nil {
			return "", err
		}
		_ = os.Chmod(full, 0o777)
	}
	resolved, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(rec.Path)
	if err != nil {
		return "", err
	}
	if resolved != root && !strings.HasPrefix(resolved, root+"/") {
		return "", fmt.Errorf("subPath %q leads out of the volume", sub)
	}
	return resolved, nil
}

// expandEnv expands $(VAR) references against NAME=value pairs, leaving unknown ones.
func expandEnv(s string, env []string) string {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		s = strings.ReplaceAll(s, "$("+k+")", v)
	}
	return s
}
