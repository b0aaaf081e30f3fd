package kubeletapi

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

// TerminalSize is a terminal's size as exec's resize stream sends it.
type TerminalSize = remotecommand.TerminalSize

// Provider is what the server serves: the pod manager's containers.
type Provider interface {
	// LogFile is the log of the container's current run (or the previous
	// one); done is closed when that run has ended (already closed for a
	// finished run). Errors say what was not found.
	LogFile(namespace, pod, container string, previous bool) (path string, done <-chan struct{}, err error)
	// Exec runs cmd in the container; a non-zero exit is returned as an
	// error implementing k8s.io/utils/exec.ExitError.
	Exec(ctx context.Context, namespace, pod, container string, cmd []string, stdin io.Reader, stdout, stderr io.WriteCloser, tty bool, resize <-chan TerminalSize) error
	// PortForward copies between stream and the pod's port.
	PortForward(ctx context.Context, namespace, pod string, port int32, stream io.ReadWriteCloser) error
}

// Config is what a Server needs.
type Config struct {
	// Addr is the listen address; empty means ":10250".
	Addr string
	// Token is the node's token: every request must present it.
	Token    string
	Provider Provider
	// Log may be nil (nothing is logged).
	Log *slog.Logger
}

// Server is the agent's kubelet API.
type Server struct {
	cfg  Config
	log  *slog.Logger
	cert tls.Certificate
}

const (
	// idleTimeout ends exec and port-forward sessions without traffic, as
	// the kubelet's --streaming-connection-idle-timeout (4h) does.
	idleTimeout = 4 * time.Hour
	// streamCreationTimeout bounds the wait for a client's SPDY streams.
	streamCreationTimeout = remotecommand.DefaultStreamCreationTimeout
)

// New checks cfg and makes the server's self-signed certificate.
func New(cfg Config) (*Server, error) {
	if cfg.Token == "" {
		return nil, errors.New("kubelet API: the node token is empty")
	}
	if cfg.Provider == nil {
		return nil, errors.New("kubelet API: no Provider")
	}
	if cfg.Addr == "" {
		cfg.Addr = ":10250"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cert, err := selfSigned(time.Now())
	if err != nil {
		return nil, fmt.Errorf("kubelet API: %w", err)
	}
	return &Server{cfg: cfg, log: cfg.Log, cert: cert}, nil
}

// TLSConfig is the server's TLS configuration (its self-signed certificate,
// HTTP/1.1 only: the streaming protocols upgrade HTTP/1.1 connections).
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
}

// Handler serves the API behind the token check.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", s.containerLogs)
	mux.HandleFunc("GET /exec/{namespace}/{pod}/{container}", s.exec)
	mux.HandleFunc("POST /exec/{namespace}/{pod}/{container}", s.exec)
	mux.HandleFunc("GET /portForward/{namespace}/{pod}", s.portForward)
	mux.HandleFunc("POST /portForward/{namespace}/{pod}", s.portForward)
	return s.authenticate(mux)
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	want := []byte(s.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), want) != 1 {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Run serves on cfg.Addr until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("kubelet API: listen on %s: %w", s.cfg.Addr, err)
	}
	hs := &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         s.TLSConfig(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.ServeTLS(ln, "", "") }()
	s.log.Info("Kubelet API listening", "address", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("kubelet API on %s: %w", s.cfg.Addr, err)
	case <-ctx.Done():
	}
	// Hijacked exec and port-forward connections are not tracked by
	// Shutdown: they end with ctx (the requests' base context).
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
	}
	return nil
}
