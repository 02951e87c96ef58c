package apiserver

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the apiserver's Prometheus metrics, named as upstream's where they mean the same.
type Metrics struct {
	registry *prometheus.Registry
	handler  http.Handler
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	watches  *prometheus.GaugeVec
	// EtcdLatency observes storage requests by operation.
	EtcdLatency *prometheus.HistogramVec
}

// NewMetrics registers the metrics (plus Go runtime and process collectors).
func NewMetrics() *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "apiserver_request_total", Help: "Counter of apiserver requests broken out by verb, resource, subresource and HTTP response code.",
	}, []string{"verb", "resource", "subresource", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "apiserver_request_duration_seconds", Help: "Response latency distribution in seconds for each verb and resource (watches excluded).",
		Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"verb", "resource", "subresource"})
	m.watches = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "apiserver_registered_watchers", Help: "Number of currently open watches for a given resource.",
	}, []string{"resource"})
	m.EtcdLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "etcd_request_duration_seconds", Help: "Etcd request latency in seconds for each operation.",
		Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1},
	}, []string{"operation"})
	m.registry.MustRegister(m.requests, m.latency, m.watches, m.EtcdLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
	return m
}

// ServeHTTP serves /metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.handler.ServeHTTP(w, r) }

// instrumentedWriter records what a request was and how it ended.
type instrumentedWriter struct {
	http.ResponseWriter
	start                       time.Time
	code                        int
	verb, resource, subresource string
}

func (w *instrumentedWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *instrumentedWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *instrumentedWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack passes connection upgrades (exec, attach, port-forward) through.
func (w *instrumentedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("connection cannot be hijacked")
	}
	if w.code == 0 {
		w.code = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

func (w *instrumentedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (m *Metrics) instrument(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	return &instrumentedWriter{ResponseWriter: w, start: time.Now(), verb: r.Method, resource: ""}
}

func (m *Metrics) label(w http.ResponseWriter, verb, resource, subresource string) {
	if iw, ok := w.(*instrumentedWriter); ok {
		iw.verb, iw.resource, iw.subresource = verb, resource, subresource
	}
}

func (m *Metrics) done(w http.ResponseWriter, _ *http.Request) {
	iw, ok := w.(*instrumentedWriter)
	if !ok {
		return
	}
	code := iw.code
	if code == 0 {
		code = http.StatusOK
	}
	m.requests.WithLabelValues(iw.verb, iw.resource, iw.subresource, strconv.Itoa(code)).Inc()
	if iw.verb != "watch" {
		m.latency.WithLabelValues(iw.verb, iw.resource, iw.subresource).Observe(time.Since(iw.start).Seconds())
	}
}

func (m *Metrics) watchStarted(resource string) { m.watches.WithLabelValues(resource).Inc() }
func (m *Metrics) watchEnded(resource string)   { m.watches.WithLabelValues(resource).Dec() }
