// Package kubeletapi is the node agent's HTTPS server on port 10250, the
// part of the kubelet's API the API server proxies to: containerLogs, exec
// and portForward. Every request must carry the node's own token as a
// bearer token. The streaming protocols (SPDY, WebSocket) come from
// k8s.io/cri-streaming; the pods themselves come from a Provider.
package kubeletapi
