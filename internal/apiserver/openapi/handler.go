package openapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/kube-openapi/pkg/spec3"
)

// Root is the path of the OpenAPI v3 index; documents live below it.
const Root = "/openapi/v3"

// NewHandler checks resources against the generated definitions and returns
// the handler of GET /openapi/v3 (the index, which names each document with
// the hash of its content) and GET /openapi/v3/<api/v1 | apis/<group>/<version>>
// (one document per served group-version).
//
// The documents are rendered to JSON on the first request rather than here:
// rendering all of them takes tens of milliseconds of CPU that server startup
// should not pay, and the index needs every document's hash, so they are all
// rendered at once and then kept only as bytes.
func NewHandler(resources []Resource) (http.Handler, error) {
	docs, err := buildDocuments(resources)
	if err != nil {
		return nil, err
	}
	return &handler{docs: docs}, nil
}

type handler struct {
	once sync.Once
	docs map[string]*spec3.OpenAPI // by gvPath; dropped once rendered

	err   error
	index *rendered
	byGV  map[string]*rendered // by gvPath
}

// rendered is a document as served: its JSON, gzipped once for the clients
// that accept it (kubectl does; the core document shrinks about 7x), and the
// hash that names this content in the index.
type rendered struct {
	json, gzipped []byte
	hash          string // upper-case hex SHA-512 of json, as upstream
	modified      time.Time
}

func newRendered(b []byte, compress bool) (*rendered, error) {
	r := &rendered{json: b, hash: fmt.Sprintf("%X", sha512.Sum512(b)), modified: time.Now()}
	if compress {
		var buf bytes.Buffer
		// BestSpeed: a third of the CPU of the default level for a few percent more bytes.
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(b); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		r.gzipped = buf.Bytes()
	}
	return r, nil
}

// indexDocument is the body of GET /openapi/v3.
type indexDocument struct {
	Paths map[string]indexEntry `json:"paths"`
}

type indexEntry struct {
	ServerRelativeURL string `json:"serverRelativeURL"`
}

func documentURL(path, hash string) string {
	return Root + "/" + path + "?" + url.Values{"hash": {hash}}.Encode()
}

func (h *handler) render() {
	wrapRefs(h.docs)
	h.byGV = make(map[string]*rendered, len(h.docs))
	index := indexDocument{Paths: map[string]indexEntry{}}
	for path, doc := range h.docs {
		b, err := json.Marshal(doc)
		if err == nil {
			h.byGV[path], err = newRendered(b, true)
		}
		if err != nil {
			h.err = fmt.Errorf("openapi: rendering %s: %w", path, err)
			return
		}
		index.Paths[path] = indexEntry{ServerRelativeURL: documentURL(path, h.byGV[path].hash)}
	}
	b, err := json.Marshal(index)
	if err == nil {
		h.index, err = newRendered(b, false)
	}
	h.err = err
	h.docs = nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.once.Do(h.render)
	if h.err != nil {
		http.Error(w, h.err.Error(), http.StatusInternalServerError)
		return
	}
	if r.URL.Path == Root {
		serve(w, r, h.index)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, Root+"/")
	doc := h.byGV[path]
	if !ok || doc == nil {
		http.NotFound(w, r)
		return
	}
	// Upstream can also answer protobuf, so the answer depends on Accept.
	w.Header().Add("Vary", "Accept")
	if !acceptsJSON(r.Header.Get("Accept")) {
		http.Error(w, "only application/json is served", http.StatusNotAcceptable)
		return
	}
	if hash := r.URL.Query().Get("hash"); hash != "" {
		if hash != doc.hash {
			// A client holding an old index follows this to the current content
			// under its own, cacheable, URL; kube-openapi's handler3 does the same.
			http.Redirect(w, r, documentURL(path, doc.hash), http.StatusMovedPermanently)
			return
		}
		// The URL names the content, so it can be cached for good: this is what
		// keeps kubectl from downloading the documents again on every command.
		w.Header().Set("Cache-Control", "public, immutable")
		w.Header().Set("Expires", time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat))
	}
	serve(w, r, doc)
}

// serve writes doc, gzipped if the client accepts it. http.ServeContent
// answers conditional requests (If-None-Match against the ETag) and HEAD.
func serve(w http.ResponseWriter, r *http.Request, doc *rendered) {
	body, etag := doc.json, doc.hash
	if doc.gzipped != nil {
		w.Header().Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			// A different representation needs a different entity tag.
			body, etag = doc.gzipped, doc.hash+"-gzip"
			w.Header().Set("Content-Encoding", "gzip")
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Etag", strconv.Quote(etag))
	http.ServeContent(w, r, "", doc.modified, bytes.NewReader(body))
}

// acceptsJSON reports whether an Accept header admits application/json.
func acceptsJSON(accept string) bool {
	if accept == "" {
		return true
	}
	for _, clause := range strings.Split(accept, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(clause))
		if err != nil || params["q"] == "0" {
			continue
		}
		switch mediaType {
		case "application/json", "application/*", "*/*":
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip.
func acceptsGzip(acceptEncoding string) bool {
	for _, clause := range strings.Split(acceptEncoding, ",") {
		coding, params, _ := strings.Cut(clause, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, found := strings.CutPrefix(strings.TrimSpace(params), "q=")
		weight, err := strconv.ParseFloat(q, 64)
		return !found || err != nil || weight > 0
	}
	return false
}
