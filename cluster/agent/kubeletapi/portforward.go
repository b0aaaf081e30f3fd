package kubeletapi

import (
	"context"
	"io"
	"net/http"

	"k8s.io/cri-streaming/pkg/streaming/portforward"
	"k8s.io/streaming/pkg/httpstream/wsstream"
)

// portForward serves /portForward/{namespace}/{pod}, an upgrade to SPDY
// (or WebSocket with ?port=), as the kubelet does.
func (s *Server) portForward(w http.ResponseWriter, r *http.Request) {
	ns, pod := r.PathValue("namespace"), r.PathValue("pod")
	if wsstream.IsWebSocketRequestWithTunnelingProtocol(r) {
		// SPDY tunnelled in WebSocket is kube-apiserver's translation,
		// not the kubelet's: refusing the upgrade makes kubectl fall back
		// to plain SPDY.
		http.Error(w, "port-forward: SPDY over WebSocket is not supported by mini's node agent; use SPDY", http.StatusBadRequest)
		return
	}
	opts, err := portforward.NewV4Options(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	pf := forwarder{p: s.cfg.Provider, namespace: ns}
	portforward.ServePortForward(w, r, pf, pod, "", opts, idleTimeout, streamCreationTimeout, portforward.SupportedProtocols)
}

// forwarder adapts the Provider to cri-streaming's PortForwarder.
type forwarder struct {
	p         Provider
	namespace string
}

var _ portforward.PortForwarder = forwarder{}

func (f forwarder) PortForward(ctx context.Context, pod, _ string, port int32, stream io.ReadWriteCloser) error {
	return f.p.PortForward(ctx, f.namespace, pod, port, stream)
}
