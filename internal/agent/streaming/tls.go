package streaming

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// KubeletClientCommonName is the common name of the client certificate the apiserver
// presents to agents (kubeadm's name for it).
const KubeletClientCommonName = "kube-apiserver-kubelet-client"

// ServeTLS serves s over HTTPS on ln until ctx ends, for apiservers in other processes.
// cert is the node's serving certificate. Only clients presenting a certificate that
// clientCAs (the cluster CA) signed for KubeletClientCommonName are served: the streams
// reach into containers, so nobody else may open them.
func (s *Server) ServeTLS(ctx context.Context, ln net.Listener, cert tls.Certificate, clientCAs *x509.CertPool) error {
	srv := &http.Server{
		Handler: authorizeAPIServer(s),
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			ClientCAs:    clientCAs,
			ClientAuth:   tls.RequireAndVerifyClientCert,
			MinVersion:   tls.VersionTLS12,
		},
		ReadHeaderTimeout: 30 * time.Second,
		// TLS handshakes of clients without the right certificate are not worth a log line.
		ErrorLog: slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug),
	}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	err := srv.ServeTLS(ln, "", "")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// authorizeAPIServer lets through requests whose verified client certificate names the
// apiserver.
func authorizeAPIServer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || r.TLS.VerifiedChains[0][0].Subject.CommonName != KubeletClientCommonName {
			writeError(w, apierrors.NewForbidden(podsResource, "", errors.New("only the apiserver may use the node's streaming API")))
			return
		}
		next.ServeHTTP(w, r)
	})
}
