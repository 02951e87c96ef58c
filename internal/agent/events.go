package agent

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Event reasons and messages, in upstream kubelet's words (pkg/kubelet/events), so that
// `kubectl describe` and tools that match on them read ordinal's events alike.
const (
	reasonPulled            = "Pulled"
	reasonPulling           = "Pulling"
	reasonFailed            = "Failed"
	reasonCreated           = "Created"
	reasonStarted           = "Started"
	reasonKilling           = "Killing"
	reasonBackOff           = "BackOff"
	reasonUnhealthy         = "Unhealthy"
	reasonFailedMount       = "FailedMount"
	reasonFailedAttach      = "FailedAttachVolume"
	reasonNetworkNotReady   = "NetworkNotReady"
	reasonFailedSandbox     = "FailedCreatePodSandBox"
	reasonSandboxChanged    = "SandboxChanged"
	reasonFailedKillPod     = "FailedKillPod"
	reasonInvalidEnvNames   = "InvalidEnvironmentVariableNames"
	reasonStarting          = "Starting"
	reasonNodeReady         = "NodeReady"
	reasonNodeNotReady      = "NodeNotReady"
	reasonSufficientMemory  = "NodeHasSufficientMemory"
	reasonNoDiskPressure    = "NodeHasNoDiskPressure"
	reasonSufficientPID     = "NodeHasSufficientPID"
	messageStartingKubelet  = "Starting kubelet."
	messageStopping         = "Stopping container %s"
	messageCreated          = "Created container %s"
	messageStarted          = "Started container %s"
	messageAlreadyPresent   = "Container image %q already present on machine"
	messagePulling          = "Pulling image %q"
	messagePulled           = "Successfully pulled image %q in %s"
	messageBackOff          = "Back-off restarting failed container %s in pod %s"
	messageLivenessRestart  = "Container %s failed liveness probe, will be restarted"
	messageStartupRestart   = "Container %s failed startup probe, will be restarted"
	messageDefinitionChange = "Container %s definition changed, will be restarted"
	messageSandboxChanged   = "Pod sandbox changed, it will be killed and re-created."
)

// Waiting reasons of container statuses, as upstream.
const (
	waitingContainerCreating = "ContainerCreating"
	waitingPodInitializing   = "PodInitializing"
	waitingCrashLoopBackOff  = "CrashLoopBackOff"
	waitingCreateError       = "CreateContainerError"
	waitingCreateConfigError = "CreateContainerConfigError"
	waitingRunError          = "RunContainerError"
	waitingImagePull         = "ErrImagePull"
	waitingImagePullBackOff  = "ImagePullBackOff"
	waitingImageNeverPull    = "ErrImageNeverPull"
)

// Component names events are recorded under.
const (
	componentKubelet      = "kubelet"
	componentAttachDetach = "attachdetach-controller"
)

// podFullName is how upstream names a pod in messages: name_namespace(uid).
func podFullName(pod *corev1.Pod) string {
	return fmt.Sprintf("%s_%s(%s)", pod.Name, pod.Namespace, pod.UID)
}

// containerRef points an event at one container of a pod, as upstream does, so `kubectl
// describe` can tell which container it is about.
func containerRef(pod *corev1.Pod, name string, init bool) *corev1.ObjectReference {
	path := "spec.containers{" + name + "}"
	if init {
		path = "spec.initContainers{" + name + "}"
	}
	ref := podRef(pod)
	ref.FieldPath = path
	return ref
}

func podRef(pod *corev1.Pod) *corev1.ObjectReference {
	return &corev1.ObjectReference{
		Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
		ResourceVersion: pod.ResourceVersion,
	}
}

// nodeRef is how the kubelet refers to its node in events: the UID is the node's name.
func nodeRef(name string) *corev1.ObjectReference {
	return &corev1.ObjectReference{Kind: "Node", Name: name, UID: types.UID(name)}
}
