package agent

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "1", "B": "two"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	for in, want := range map[string]string{
		"plain":          "plain",
		"$(A)":           "1",
		"x-$(A)-$(B)-y":  "x-1-two-y",
		"$(MISSING)":     "$(MISSING)",
		"$$(A)":          "$(A)",
		"$$":             "$",
		"$A":             "$A",
		"$(A":            "$(A",
		"cost: 5$":       "cost: 5$",
		"$($(A))":        "$($(A))",
		"$(A)$(B)$$(B)$": "1two$(B)$",
	} {
		if got := expand(in, lookup); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolveEnv(t *testing.T) {
	no := false
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "shop", UID: "u-1", Labels: map[string]string{"app": "web"}, Annotations: map[string]string{"note": "hi"}},
		Spec:       corev1.PodSpec{NodeName: "node-a", ServiceAccountName: "sa"},
	}
	c := &corev1.Container{
		Name:    "main",
		Command: []string{"/bin/$(CMD)"},
		Args:    []string{"--name=$(POD_NAME)", "$(UNKNOWN)"},
		EnvFrom: []corev1.EnvFromSource{
			{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}, Prefix: "CFG_"},
			{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Optional: ptrTo(true)}},
		},
		Env: []corev1.EnvVar{
			{Name: "CMD", Value: "app"},
			{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			{Name: "NS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
			{Name: "APP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['app']"}}},
			{Name: "NOTE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['note']"}}},
			{Name: "IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
			{Name: "HOST_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.hostIP"}}},
			{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
			{Name: "SA", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.serviceAccountName"}}},
			{Name: "MODE", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "mode"}}},
			{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "password"}}},
			{Name: "MEM", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
			{Name: "CPU", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}},
			{Name: "URL", Value: "http://$(POD_NAME).$(NS):$(CFG_port)/$$(NOT)"},
			{Name: "CMD", Value: "override"},
		},
		Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}},
	}
	objects := envInput{
		Pod: pod, Container: c, PodIPs: []string{"10.42.0.9"}, HostIP: "192.0.2.2",
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m")},
		ConfigMap: func(name string) (*corev1.ConfigMap, error) {
			if name == "settings" {
				return &corev1.ConfigMap{Data: map[string]string{"mode": "fast", "port": "80", "bad key": "x"}}, nil
			}
			return nil, nil
		},
		Secret: func(name string) (*corev1.Secret, error) {
			if name == "creds" {
				return &corev1.Secret{Data: map[string][]byte{"password": []byte("s3cr3t")}}, nil
			}
			return nil, nil
		},
	}
	got, err := resolveEnv(objects)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"CFG_mode=fast", "CFG_port=80", "CMD=override", "POD_NAME=web-0", "NS=shop", "APP=web", "NOTE=hi",
		"IP=10.42.0.9", "HOST_IP=192.0.2.2", "NODE=node-a", "SA=sa", "MODE=fast", "PASSWORD=s3cr3t",
		"MEM=64", "CPU=2", "URL=http://web-0.shop:80/$(NOT)",
	}
	if !reflect.DeepEqual(got.Env, want) {
		t.Errorf("env:\n got %v\nwant %v", got.Env, want)
	}
	if !reflect.DeepEqual(got.Command, []string{"/bin/override"}) || !reflect.DeepEqual(got.Args, []string{"--name=web-0", "$(UNKNOWN)"}) {
		t.Errorf("command %v args %v", got.Command, got.Args)
	}
	if !reflect.DeepEqual(got.InvalidKeys, []string{"CFG_bad key"}) {
		t.Errorf("invalid keys %v", got.InvalidKeys)
	}

	// What upstream reports as CreateContainerConfigError.
	for name, env := range map[string]corev1.EnvVar{
		`configmap "nope" not found`:                  {Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Key: "k", Optional: &no}}},
		"couldn't find key nope in Secret shop/creds": {Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "nope"}}},
	} {
		in := objects
		in.Container = &corev1.Container{Name: "main", Env: []corev1.EnvVar{env}}
		if _, err := resolveEnv(in); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error = %v, want %q", err, name)
		}
	}
	in := objects
	in.Container = &corev1.Container{Name: "main", Env: []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Key: "k", Optional: ptrTo(true)}}}}}
	if got, err := resolveEnv(in); err != nil || len(got.Env) != 0 {
		t.Errorf("optional missing: %v, %v", got.Env, err)
	}
}
