package process

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

// localPV is a volume as the local-path provisioner makes it.
func localPV(volumeDir, name string) *corev1.PersistentVolume {
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{"pv.kubernetes.io/provisioned-by": "ordinal.dev/local-path"}},
		Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: filepath.Join(volumeDir, name), Type: &dirOrCreate},
		}},
	}
}

func TestClaimVolumeKeepsFilesAcrossContainerRestarts(t *testing.T) {
	f := newFixture(t)
	pod := testPod("web-0", sh("main", "cat /www/index.html 2>/dev/null || echo none; echo written-by-$HOSTNAME > /www/index.html; mkdir -p /sub/in && echo sub > /sub/in/f"))
	pod.Spec.Volumes = []corev1.Volume{{Name: "www", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "www-web-0"}}}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "www", MountPath: "/www"}, {Name: "www", MountPath: "/sub", SubPath: "nested/dir"}}
	pv := localPV(filepath.Join(f.opts.DataDir, "volumes"), "pvc-1234")
	f.runSandbox(pod, &runtime.SandboxConfig{Volumes: map[string]*corev1.PersistentVolume{"www": pv}})

	first := f.start(pod, 0, 0)
	f.waitExit(pod.UID, first, 10*time.Second)
	second := f.start(pod, 0, 1)
	f.waitExit(pod.UID, second, 10*time.Second)
	if text := f.logText(pod.UID, "main", 0); !strings.Contains(text, "none") {
		t.Fatalf("first run saw %q", text)
	}
	if text := f.logText(pod.UID, "main", 1); !strings.Contains(text, "written-by-web-0") {
		t.Fatalf("second run saw %q, want the first run's file", text)
	}
	// The data is the volume's, on the host, where a new pod finds it again.
	data, err := os.ReadFile(filepath.Join(f.opts.DataDir, "volumes", "pvc-1234", "nested", "dir", "in", "f"))
	if err != nil || string(data) != "sub\n" {
		t.Fatalf("subPath file on the host: %q, %v", data, err)
	}
	if err := f.rt.RemovePodSandbox(f.ctx, pod.UID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(f.opts.DataDir, "volumes", "pvc-1234", "index.html")); err != nil {
		t.Fatalf("removing the pod removed the volume's data: %v", err)
	}
}

func TestConfigMapVolumeIsUpdatedInPlace(t *testing.T) {
	f := newFixture(t)
	pod := testPod("cm", sh("main", "cat /config/greeting; echo; ls -a /config | tr '\\n' ' '; echo; while ! grep -q v2 /config/greeting; do sleep 0.05; done; cat /config/greeting; echo; cat /secret/sub/token; echo; cat /meta/labels"))
	mode := int32(0o600)
	pod.Labels = map[string]string{"app": "demo"}
	pod.Spec.Volumes = []corev1.Volume{
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}},
		{Name: "secret", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", Items: []corev1.KeyToPath{{Key: "token", Path: "sub/token", Mode: &mode}}}}},
		{Name: "meta", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}}}}}},
	}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "config", MountPath: "/config"}, {Name: "secret", MountPath: "/secret"}, {Name: "meta", MountPath: "/meta"}}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"}, Data: map[string]string{"greeting": "v1"}}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"}, Data: map[string][]byte{"token": []byte("s3cr3t")}}
	config := &runtime.SandboxConfig{ConfigMaps: map[string]*corev1.ConfigMap{"settings": cm}, Secrets: map[string]*corev1.Secret{"creds": secret}}
	f.runSandbox(pod, config)
	id := f.start(pod, 0, 0)
	f.waitLog(pod.UID, "main", 0, "..data", 5*time.Second)

	cm2 := cm.DeepCopy()
	cm2.Data["greeting"] = "v2"
	config.ConfigMaps["settings"] = cm2
	if err := f.rt.UpdatePodVolumes(f.ctx, config); err != nil {
		t.Fatal(err)
	}
	if st := f.waitExit(pod.UID, id, 10*time.Second); st.ExitCode != 0 {
		t.Fatalf("exit %d: %s", st.ExitCode, f.logText(pod.UID, "main", 0))
	}
	text := f.logText(pod.UID, "main", 0)
	for _, want := range []string{"v1\n", "v2\n", "s3cr3t\n", `app="demo"`} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	st, err := os.Stat(filepath.Join(f.rt.sandboxes[pod.UID].dir, volumesDir, "secret", "sub", "token"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode: %v, %v", st, err)
	}
}

func TestWriteAtomicSwapsDataLink(t *testing.T) {
	dir := t.TempDir()
	files := map[string]volumeFile{"a": {Data: []byte("1"), Mode: 0o644}, "d/b": {Data: []byte("2"), Mode: 0o600}}
	if err := writeAtomic(dir, files); err != nil {
		t.Fatal(err)
	}
	first, _ := os.Readlink(filepath.Join(dir, dataLink))
	if err := writeAtomic(dir, files); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.Readlink(filepath.Join(dir, dataLink)); again != first {
		t.Fatalf("unchanged content was rewritten: %s → %s", first, again)
	}
	if err := writeAtomic(dir, map[string]volumeFile{"a": {Data: []byte("3"), Mode: 0o644}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a")); string(got) != "3" {
		t.Fatalf("a = %q after update", got)
	}
	if _, err := os.Lstat(filepath.Join(dir, "d")); !os.IsNotExist(err) {
		t.Fatalf("d still there after it left the payload: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, first)); !os.IsNotExist(err) {
		t.Fatalf("old version %s not removed", first)
	}
	if err := writeAtomic(dir, map[string]volumeFile{"../x": {}}); err == nil {
		t.Fatal("a path leaving the volume was accepted")
	}
}
