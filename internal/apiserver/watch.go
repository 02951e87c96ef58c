package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"ordinal.dev/ordinal/internal/registry"
)

// minWatchTimeout is upstream's --min-request-timeout: a watch without timeoutSeconds ends
// after a random time between it and twice it, so that clients spread their re-watches.
const minWatchTimeout = 30 * time.Minute

func (s *Server) watch(w http.ResponseWriter, r *http.Request, res *registry.Resource, info requestInfo) {
	q := r.URL.Query()
	sel, err := s.reg.ParseSelection(res, q.Get("labelSelector"), q.Get("fieldSelector"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	timeout := minWatchTimeout + time.Duration(rand.Int64N(int64(minWatchTimeout)))
	if t := q.Get("timeoutSeconds"); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n < 0 {
			s.writeError(w, r, apierrors.NewBadRequest("invalid timeoutSeconds "+strconv.Quote(t)))
			return
		}
		timeout = time.Duration(n) * time.Second
	}
	format := negotiate(r)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	wi, err := s.reg.Watch(ctx, res, info.Namespace, registry.WatchOptions{
		Selection:         sel,
		ResourceVersion:   q.Get("resourceVersion"),
		Bookmarks:         isTrue(q.Get("allowWatchBookmarks")) && !format.table,
		SendInitialEvents: isTrue(q.Get("sendInitialEvents")),
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer wi.Stop()
	if s.metrics != nil {
		s.metrics.watchStarted(res.Name)
		defer s.metrics.watchEnded(res.Name)
	}

	contentType := contentTypeJSON
	if format.table {
		contentType = contentTypeTable
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	firstTable := true
	var buf bytes.Buffer
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return
			}
			obj := ev.Object
			if ev.Type != watch.Error && (ev.Type != watch.Bookmark || format.metadataOnly) {
				rendered, _, err := s.render(format, obj)
				if err != nil {
					return
				}
				if table, ok := rendered.(*metav1.Table); ok {
					// kubectl prints the header from the list; later rows need no columns.
					if !firstTable {
						table.ColumnDefinitions = nil
					}
					firstTable = false
				}
				obj = rendered
			}
			data, err := encode(obj)
			if err != nil {
				return
			}
			buf.Reset()
			buf.WriteString(`{"type":`)
			t, _ := json.Marshal(string(ev.Type))
			buf.Write(t)
			buf.WriteString(`,"object":`)
			buf.Write(bytes.TrimRight(data, "\n"))
			buf.WriteString("}\n")
			if _, err := w.Write(buf.Bytes()); err != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
			if ev.Type == watch.Error {
				return
			}
		}
	}
}
