package streaming

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/runtime"
)

// Defaults, as upstream kubelet's.
const (
	// DefaultStreamIdleTimeout ends a session nothing has crossed for this long.
	DefaultStreamIdleTimeout = 4 * time.Hour
	// DefaultStreamCreationTimeout bounds how long a SPDY client takes to open its streams.
	DefaultStreamCreationTimeout = 30 * time.Second
)

// Config configures a streaming server. NodeName, Client and Runtime are required.
type Config struct {
	// NodeName is the node whose pods the server reaches.
	NodeName string
	// Client reads pods (their spec and the status the agent wrote).
	Client kubernetes.Interface
	// Runtime runs the pods; requests fail with 503 unless it implements runtime.Streamer.
	Runtime runtime.Runtime
	// StreamIdleTimeout and StreamCreationTimeout default to the constants above.
	StreamIdleTimeout     time.Duration
	StreamCreationTimeout time.Duration
}

// Server is the streaming API of one node, an http.Handler.
type Server struct {
	cfg      Config
	streamer runtime.Streamer
	mux      *http.ServeMux
}

// NewServer checks cfg and builds a server.
func NewServer(cfg Config) (*Server, error) {
	switch {
	case cfg.NodeName == "":
		return nil, errors.New("streaming: NodeName is required")
	case cfg.Client == nil:
		return nil, errors.New("streaming: Client is required")
	case cfg.Runtime == nil:
		return nil, errors.New("streaming: Runtime is required")
	}
	if cfg.StreamIdleTimeout <= 0 {
		cfg.StreamIdleTimeout = DefaultStreamIdleTimeout
	}
	if cfg.StreamCreationTimeout <= 0 {
		cfg.StreamCreationTimeout = DefaultStreamCreationTimeout
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.streamer, _ = cfg.Runtime.(runtime.Streamer)
	s.mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", s.serveContainerLogs)
	for _, kind := range []string{"exec", "attach"} {
		h := s.remoteCommandHandler(kind)
		s.mux.HandleFunc("/"+kind+"/{namespace}/{pod}/{container}", h)
		s.mux.HandleFunc("/"+kind+"/{namespace}/{pod}/{uid}/{container}", h)
	}
	s.mux.HandleFunc("/portForward/{namespace}/{pod}", s.servePortForward)
	s.mux.HandleFunc("/portForward/{namespace}/{pod}/{uid}", s.servePortForward)
	return s, nil
}

// NodeName is the node the server belongs to.
func (s *Server) NodeName() string { return s.cfg.NodeName }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.streamer == nil {
		writeError(w, apierrors.NewServiceUnavailable(fmt.Sprintf("the container runtime of node %s does not support logs, exec, attach or port-forward", s.cfg.NodeName)))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// allowedMethods: GET for websockets, POST for SPDY (kubectl's fallback), as upstream.
func allowedMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodPost {
		return true
	}
	writeError(w, apierrors.NewMethodNotSupported(schema.GroupResource{Resource: "pods"}, r.Method))
	return false
}

var podsResource = schema.GroupResource{Resource: "pods"}

// getPod reads the pod the request names; a uid in the path must match it, so that a
// request never reaches a newer pod of the same name.
func (s *Server) getPod(ctx context.Context, r *http.Request) (*corev1.Pod, error) {
	ns, name := r.PathValue("namespace"), r.PathValue("pod")
	pod, err := s.cfg.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if uid := r.PathValue("uid"); uid != "" && types.UID(uid) != pod.UID {
		return nil, apierrors.NewNotFound(podsResource, name)
	}
	if pod.Spec.NodeName != s.cfg.NodeName {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s is not running on node %s", name, s.cfg.NodeName))
	}
	return pod, nil
}

// runningContainer finds the running instance of a pod's container in the runtime.
func (s *Server) runningContainer(ctx context.Context, pod *corev1.Pod, name string) (string, error) {
	if !hasContainer(pod, name) {
		return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name))
	}
	st, err := s.cfg.Runtime.PodStatus(ctx, pod.UID)
	if err == nil {
		for i := len(st.Containers) - 1; i >= 0; i-- {
			if c := st.Containers[i]; c.Name == name && c.State == runtime.ContainerRunning {
				return c.ID, nil
			}
		}
	} else if !errors.Is(err, runtime.ErrNotFound) {
		return "", err
	}
	return "", containerNotFound(name)
}

func containerNotFound(name string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusNotFound, Reason: metav1.StatusReasonNotFound,
		Message: fmt.Sprintf("container not found (%q)", name),
	}}
}

func hasContainer(pod *corev1.Pod, name string) bool {
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range list {
			if c.Name == name {
				return true
			}
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			return true
		}
	}
	return false
}

func containerSpec(pod *corev1.Pod, name string) *corev1.Container {
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// runtimeID strips the runtime's scheme from a status's containerID (sim://abc → abc).
func runtimeID(containerID string) string {
	if _, id, ok := strings.Cut(containerID, "://"); ok {
		return id
	}
	return containerID
}

// writeError answers with err as a metav1.Status, as the apiserver would, so that it can
// pass the answer through to the client unchanged.
func writeError(w http.ResponseWriter, err error) {
	var status metav1.Status
	var apiStatus apierrors.APIStatus
	if errors.As(err, &apiStatus) {
		status = apiStatus.Status()
	} else {
		status = apierrors.NewInternalError(err).Status()
	}
	status.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	if status.Code == 0 {
		status.Code = http.StatusInternalServerError
	}
	body, _ := json.Marshal(&status)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(int(status.Code))
	w.Write(body)
}

// logDropped notes a streaming error nobody can be told about any more.
func logDropped(what string, err error) {
	if err != nil {
		slog.Debug("streaming: "+what, "err", err)
	}
}
