// Command random-generator is the stand-in for k8spatterns/random-generator, the sample
// service of the Kubernetes Patterns book. GET / on :8080 answers one line of JSON:
//
//	{"random":4217,"hostname":"rg-0","version":"1.0"}
//
// GET /actuator/health answers {"status":"UP"}, as the book's Spring Boot image does for
// its probes. The version comes from $VERSION, which examples/images/build.sh sets to each
// image's tag (1.0, 2.0). Every answer of / is also appended to $LOG_FILE (default
// /opt/logs/random.log) when that file's directory exists: the book's StatefulSet mounts
// a volume at /opt/logs, so each pod's own claim collects its own answers.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// answer is the JSON body of GET /.
type answer struct {
	Random   int    `json:"random"`
	Hostname string `json:"hostname"`
	Version  string `json:"version"`
}

func main() {
	addr := flag.String("addr", ":8080", "address to listen on")
	flag.Parse()
	hostname, err := os.Hostname()
	if err != nil {
		log.Fatal(err)
	}
	version := os.Getenv("VERSION")
	if version == "" {
		version = "unknown"
	}
	logFile := os.Getenv("LOG_FILE")
	if logFile == "" {
		logFile = "/opt/logs/random.log"
	}
	log.SetOutput(os.Stdout)
	var mu sync.Mutex // serialises appends to logFile
	mux := http.NewServeMux()
	mux.HandleFunc("GET /actuator/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"UP"}` + "\n"))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		line, err := json.Marshal(answer{Random: rand.IntN(10000), Hostname: hostname, Version: version})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		line = append(line, '\n')
		mu.Lock()
		err = appendIfDirExists(logFile, line)
		mu.Unlock()
		if err != nil {
			log.Printf("writing %s: %v", logFile, err)
		}
		log.Printf("GET / from %s: %s", r.RemoteAddr, line[:len(line)-1])
		w.Header().Set("Content-Type", "application/json")
		w.Write(line)
	})
	serve(*addr, mux, version)
}

// appendIfDirExists appends line to path when path's directory exists, and does nothing
// otherwise (the image runs without the log volume too).
func appendIfDirExists(path string, line []byte) error {
	if _, err := os.Stat(filepath.Dir(path)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// serve runs the server until SIGTERM or SIGINT, then drains open requests for a few
// seconds, so a deleted pod ends cleanly (exit 0) well within its grace period.
func serve(addr string, handler http.Handler, version string) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("random-generator %s listening on %s", version, addr)
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
