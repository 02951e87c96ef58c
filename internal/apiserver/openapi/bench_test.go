package openapi

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
)

// BenchmarkNewHandler is the cost server startup pays.
func BenchmarkNewHandler(b *testing.B) {
	resources := testResources()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewHandler(resources); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFirstRequest is the one-time rendering the first client pays
// (marshal, hash and gzip every document), on top of NewHandler. It also
// reports the heap a handler keeps before and after that first request.
func BenchmarkFirstRequest(b *testing.B) {
	resources := testResources()
	b.ReportAllocs()
	for b.Loop() {
		h, err := NewHandler(resources)
		if err != nil {
			b.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Root, nil))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}

	b.StopTimer()
	before := liveHeap()
	h, _ := NewHandler(resources)
	built := liveHeap()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, Root, nil))
	rendered := liveHeap()
	runtime.KeepAlive(h)
	b.ReportMetric(float64(built-before)/(1<<20), "MiB-kept-before-first-request")
	b.ReportMetric(float64(rendered-before)/(1<<20), "MiB-kept-after")
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
