// Command go-myweb is the stand-in for ghcr.io/c1t1d0s7/go-myweb, the small web server of
// the seed documents' Deployment and StatefulSet scenarios. It answers every GET on :8080
// with three lines:
//
//	Hello World!
//	Hostname: myapp-deploy-7d9f6c8b5-x2x4q
//	Version: v1.0
//
// The version comes from $MYWEB_VERSION, which examples/images/build.sh sets to each
// image's tag (v1.0, v2.0, v3.0, alpine), so a rolling update shows which pods run which
// image. Each request is logged to stdout, for kubectl logs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", ":8080", "address to listen on")
	flag.Parse()
	hostname, err := os.Hostname()
	if err != nil {
		log.Fatal(err)
	}
	version := os.Getenv("MYWEB_VERSION")
	if version == "" {
		version = "unknown"
	}
	body := fmt.Sprintf("Hello World!\nHostname: %s\nVersion: %s\n", hostname, version)
	log.SetOutput(os.Stdout)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s from %s", r.Method, r.URL.Path, r.RemoteAddr)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, body)
	})
	serve(*addr, handler, version)
}

// serve runs the server until SIGTERM or SIGINT, then drains open requests for a few
// seconds, so a pod deleted during a rollout ends cleanly (exit 0) well within its grace
// period.
func serve(addr string, handler http.Handler, version string) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("go-myweb %s listening on %s", version, addr)
	select {
	case err := <-errc:
		log.Fatal(err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Fatal(err)
	}
	log.Print("stopped")
}
