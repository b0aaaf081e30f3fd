package kubeletapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	"k8s.io/streaming/pkg/httpstream/wsstream"
)

// exec serves /exec/{namespace}/{pod}/{container}?command=..&input=1&output=1&error=1&tty=1,
// an upgrade to SPDY or WebSocket as the kubelet does.
func (s *Server) exec(w http.ResponseWriter, r *http.Request) {
	ns, pod, ctr := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	cmd := r.URL.Query()["command"]
	if len(cmd) == 0 {
		http.Error(w, "you must specify at least one command for the container", http.StatusBadRequest)
		return
	}
	opts, err := remotecommand.NewOptions(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ex := executor{p: s.cfg.Provider, namespace: ns, log: s.log}
	// cri-streaming speaks WebSocket up to v4; kubectl 1.37 asks for v5
	// (which adds closing stdin) and falls back to SPDY without it.
	if wsstream.IsWebSocketRequestWithStreamCloseProtocol(r) {
		serveExecV5(w, r, ex, pod, ctr, cmd, opts)
		return
	}
	remotecommand.ServeExec(w, r, ex, pod, "", ctr, cmd, opts, idleTimeout, streamCreationTimeout, remotecommand.SupportedStreamingProtocols)
}

// executor adapts the Provider to cri-streaming's Executor.
type executor struct {
	p         Provider
	namespace string
	log       *slog.Logger
}

var _ remotecommand.Executor = executor{}

func (e executor) ExecInContainer(ctx context.Context, pod, _ string, container string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan TerminalSize, _ time.Duration) error {
	return e.p.Exec(ctx, e.namespace, pod, container, cmd, in, out, errOut, tty, resize)
}
