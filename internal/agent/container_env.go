package agent

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// envInput is what resolving a container's environment reads: the pod, the addresses
// only the runtime and the node know, and the config maps and secrets it names.
type envInput struct {
	Pod       *corev1.Pod
	Container *corev1.Container
	PodIPs    []string
	HostIP    string
	// Allocatable stands in for the limits a container does not set (resourceFieldRef).
	Allocatable corev1.ResourceList
	// ConfigMap and Secret fetch an object by name; (nil, nil) means it does not exist.
	ConfigMap func(name string) (*corev1.ConfigMap, error)
	Secret    func(name string) (*corev1.Secret, error)
}

// resolvedEnv is a container's environment ready for the runtime.
type resolvedEnv struct {
	Env           []string // NAME=value, in order of first definition
	Command, Args []string
	// InvalidKeys are envFrom keys that are not valid variable names and were skipped.
	InvalidKeys []string
}

// resolveEnv computes a container's environment as upstream's kubelet does
// (makeEnvironmentVariables): envFrom sources first, then env in order, each value with
// $(VAR) references to what was defined before it expanded, valueFrom read from the pod,
// the node and the named objects; then command and args are expanded against the result.
// An error is what upstream reports as CreateContainerConfigError.
func resolveEnv(in envInput) (resolvedEnv, error) {
	var out resolvedEnv
	values := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := values[k]; !ok {
			order = append(order, k)
		}
		values[k] = v
	}
	lookup := func(k string) (string, bool) { v, ok := values[k]; return v, ok }
	pod, c := in.Pod, in.Container

	for _, src := range c.EnvFrom {
		var data map[string]string
		switch {
		case src.ConfigMapRef != nil:
			cm, err := in.ConfigMap(src.ConfigMapRef.Name)
			if err != nil {
				return out, err
			}
			if cm == nil {
				if optional(src.ConfigMapRef.Optional) {
					continue
				}
				return out, fmt.Errorf("configmap %q not found", src.ConfigMapRef.Name)
			}
			data = cm.Data
		case src.SecretRef != nil:
			s, err := in.Secret(src.SecretRef.Name)
			if err != nil {
				return out, err
			}
			if s == nil {
				if optional(src.SecretRef.Optional) {
					continue
				}
				return out, fmt.Errorf("secret %q not found", src.SecretRef.Name)
			}
			data = map[string]string{}
			for k, v := range s.Data {
				data[k] = string(v)
			}
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			name := src.Prefix + k
			if len(validation.IsEnvVarName(name)) > 0 {
				out.InvalidKeys = append(out.InvalidKeys, name)
				continue
			}
			set(name, data[k])
		}
	}

	for _, e := range c.Env {
		value := e.Value
		switch from := e.ValueFrom; {
		case value != "" || from == nil:
			value = expand(value, lookup)
		case from.FieldRef != nil:
			v, err := podFieldValue(pod, from.FieldRef.FieldPath, in.PodIPs, in.HostIP)
			if err != nil {
				return out, err
			}
			value = v
		case from.ResourceFieldRef != nil:
			v, err := resourceFieldValue(pod, c, from.ResourceFieldRef, in.Allocatable)
			if err != nil {
				return out, err
			}
			value = v
		case from.ConfigMapKeyRef != nil:
			ref := from.ConfigMapKeyRef
			cm, err := in.ConfigMap(ref.Name)
			if err != nil {
				return out, err
			}
			if cm == nil {
				if optional(ref.Optional) {
					continue
				}
				return out, fmt.Errorf("configmap %q not found", ref.Name)
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				if optional(ref.Optional) {
					continue
				}
				return out, fmt.Errorf("couldn't find key %s in ConfigMap %s/%s", ref.Key, pod.Namespace, ref.Name)
			}
			value = v
		case from.SecretKeyRef != nil:
			ref := from.SecretKeyRef
			s, err := in.Secret(ref.Name)
			if err != nil {
				return out, err
			}
			if s == nil {
				if optional(ref.Optional) {
					continue
				}
				return out, fmt.Errorf("secret %q not found", ref.Name)
			}
			v, ok := s.Data[ref.Key]
			if !ok {
				if optional(ref.Optional) {
					continue
				}
				return out, fmt.Errorf("couldn't find key %s in Secret %s/%s", ref.Key, pod.Namespace, ref.Name)
			}
			value = string(v)
		}
		set(e.Name, value)
	}

	for _, k := range order {
		out.Env = append(out.Env, k+"="+values[k])
	}
	for _, s := range c.Command {
		out.Command = append(out.Command, expand(s, lookup))
	}
	for _, s := range c.Args {
		out.Args = append(out.Args, expand(s, lookup))
	}
	return out, nil
}

// podFieldValue is the value of a downward API field path, as upstream's
// podFieldSelectorRuntimeValue.
func podFieldValue(pod *corev1.Pod, path string, podIPs []string, hostIP string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.hostIPs":
		return hostIP, nil
	case "status.podIP":
		if len(podIPs) > 0 {
			return podIPs[0], nil
		}
		return "", nil
	case "status.podIPs":
		return strings.Join(podIPs, ","), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	}
	for _, prefix := range []string{"metadata.labels", "metadata.annotations"} {
		if key, ok := subscript(path, prefix); ok {
			if prefix == "metadata.labels" {
				return pod.Labels[key], nil
			}
			return pod.Annotations[key], nil
		}
	}
	return "", fmt.Errorf("unsupported fieldPath: %s", path)
}

// subscript parses prefix['key'].
func subscript(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+"['")
	if !ok || !strings.HasSuffix(rest, "']") {
		return "", false
	}
	return strings.TrimSuffix(rest, "']"), true
}

// formatMap writes labels or annotations the way downward API files show them: key="value"
// lines, sorted by key, values quoted as Go does.
func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + "=" + strconv.Quote(m[k])
	}
	return strings.Join(lines, "\n")
}

// resourceFieldValue is a container's request or limit in units of the divisor, rounded
// up; an unset limit is the node's allocatable, as upstream.
func resourceFieldValue(pod *corev1.Pod, c *corev1.Container, ref *corev1.ResourceFieldSelector, allocatable corev1.ResourceList) (string, error) {
	target := c
	if ref.ContainerName != "" && ref.ContainerName != c.Name {
		if spec, _ := containerSpec(pod, ref.ContainerName); spec != nil {
			target = spec
		}
	}
	kind, name, ok := strings.Cut(ref.Resource, ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", fmt.Errorf("unsupported container resource: %s", ref.Resource)
	}
	list := target.Resources.Requests
	if kind == "limits" {
		list = target.Resources.Limits
	}
	q, set := list[corev1.ResourceName(name)]
	if !set && kind == "limits" {
		q = allocatable[corev1.ResourceName(name)]
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	if name == "cpu" {
		return strconv.FormatInt(int64(math.Ceil(float64(q.MilliValue())/float64(divisor.MilliValue()))), 10), nil
	}
	return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(divisor.Value()))), 10), nil
}

// containerEnv resolves a container's environment against the API, reading each config
// map and secret once.
func (a *Agent) containerEnv(ctx context.Context, pod *corev1.Pod, c *corev1.Container, podIPs []string) (resolvedEnv, error) {
	cms := map[string]*corev1.ConfigMap{}
	secrets := map[string]*corev1.Secret{}
	core := a.client.CoreV1()
	in := envInput{
		Pod: pod, Container: c, PodIPs: podIPs, HostIP: a.machine.InternalIP, Allocatable: a.machine.Capacity,
		ConfigMap: func(name string) (*corev1.ConfigMap, error) {
			if cm, ok := cms[name]; ok {
				return cm, nil
			}
			cm, err := core.ConfigMaps(pod.Namespace).Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				cm, err = nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("couldn't get configMap %s/%s: %w", pod.Namespace, name, err)
			}
			cms[name] = cm
			return cm, nil
		},
		Secret: func(name string) (*corev1.Secret, error) {
			if s, ok := secrets[name]; ok {
				return s, nil
			}
			s, err := core.Secrets(pod.Namespace).Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				s, err = nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("couldn't get secret %s/%s: %w", pod.Namespace, name, err)
			}
			secrets[name] = s
			return s, nil
		},
	}
	return resolveEnv(in)
}

// pullSecrets reads the registry credentials of the pod's imagePullSecrets; missing ones
// are skipped, as upstream (the pull then fails with the registry's own error).
func (a *Agent) pullSecrets(ctx context.Context, pod *corev1.Pod) [][]byte {
	var out [][]byte
	for _, ref := range pod.Spec.ImagePullSecrets {
		s, err := a.client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		for _, key := range []string{corev1.DockerConfigJsonKey, corev1.DockerConfigKey} {
			if b, ok := s.Data[key]; ok {
				out = append(out, b)
			}
		}
	}
	return out
}
