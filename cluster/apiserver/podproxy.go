package apiserver

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/minidev/mini/cluster/pki"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/proxy"
)

// defaultContainerAnnotation names the container kubectl picks in a pod of
// several.
const defaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

// simulatedNodeLabel marks simnode's nodes (simnode.Label=simulated): they
// run no containers.
const simulatedNodeLabel, simulatedNodeValue = "mini.dev/node", "simulated"

// nodeTokenFrom finds a node's token in the API's tokens: the one of the
// identity system:node:NAME.
func nodeTokenFrom(tokens pki.Authenticator) func(string) (string, bool) {
	return func(node string) (string, bool) {
		if tokens == nil {
			return "", false
		}
		return tokens.TokenFor("system:node:" + node)
	}
}

// agentTarget is where a pod's node agent (its kubelet API) answers.
type agentTarget struct {
	pod   *corev1.Pod
	host  string // host:port
	token string
}

// podAgent loads the pod and its node and finds the node's agent, as
// kube-apiserver's pod REST finds the kubelet.
func (s *Server) podAgent(r *http.Request, res *Resource, ri requestInfo) (*agentTarget, error) {
	ctx, cancel := requestContext(r)
	defer cancel()
	obj, _, err := s.getObject(ctx, res, ri.Namespace, ri.Name)
	if err != nil {
		return nil, err
	}
	pod := obj.(*corev1.Pod)
	nodeName := pod.Spec.NodeName
	if nodeName == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pod %q is not scheduled yet", pod.Name))
	}
	nodes, ok := s.reg.Lookup("", "v1", "nodes")
	if !ok {
		return nil, apierrors.NewInternalError(fmt.Errorf("nodes are not served"))
	}
	nobj, _, err := s.getObject(ctx, nodes, "", nodeName)
	if err != nil {
		return nil, err
	}
	node := nobj.(*corev1.Node)
	if node.Labels[simulatedNodeLabel] == simulatedNodeValue {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s runs on simulated node %s: it has no containers", pod.Name, nodeName))
	}
	port := node.Status.DaemonEndpoints.KubeletEndpoint.Port
	var ip string
	for _, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			ip = a.Address
			break
		}
	}
	if port == 0 || ip == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("node %s of pod %s reports no kubelet endpoint (status.addresses InternalIP and status.daemonEndpoints.kubeletEndpoint.port): its agent serves no logs, exec or port-forward", nodeName, pod.Name))
	}
	token, ok := s.cfg.NodeToken(nodeName)
	if !ok {
		return nil, apierrors.NewInternalError(fmt.Errorf("no token for node %s to reach its agent", nodeName))
	}
	return &agentTarget{pod: pod, host: net.JoinHostPort(ip, strconv.Itoa(int(port))), token: token}, nil
}

// containerOf picks the container a log, exec or attach request means:
// the one named, the annotated default, or the only one.
func containerOf(pod *corev1.Pod, name string) (string, error) {
	var names, inits []string
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.InitContainers {
		inits = append(inits, c.Name)
	}
	all := slices.Concat(names, inits)
	for _, c := range pod.Spec.EphemeralContainers {
		all = append(all, c.Name)
	}
	if name == "" {
		name = pod.Annotations[defaultContainerAnnotation]
	}
	switch {
	case name != "" && slices.Contains(all, name):
		return name, nil
	case name != "":
		return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name))
	case len(names) == 1:
		return names[0], nil
	case len(inits) > 0:
		return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %v or one of the init containers: %v", pod.Name, names, inits))
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %v", pod.Name, names))
}

// agentTransport reaches agents: their self-signed certificates are not
// verified (as kube-apiserver without --kubelet-certificate-authority),
// HTTP/1.1 only for the upgrades.
var agentTransport = &http.Transport{
	Proxy:             nil,
	TLSClientConfig:   &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}, //nolint:gosec // see above
	ForceAttemptHTTP2: false,
}

// bearer sets the node's token on requests to its agent, replacing the
// client's credentials.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// handlePodLog proxies pods/log to the agent's containerLogs, streaming
// the answer through (follow flushes every read).
func (s *Server) handlePodLog(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	if r.Method != http.MethodGet {
		writeError(w, apierrors.NewMethodNotSupported(schemaGR("", "pods/log"), r.Method))
		return
	}
	t, err := s.podAgent(r, res, ri)
	if err != nil {
		writeError(w, err)
		return
	}
	q := r.URL.Query()
	ctr, err := containerOf(t.pod, q.Get("container"))
	if err != nil {
		writeError(w, err)
		return
	}
	fwd := url.Values{}
	for _, k := range []string{"follow", "previous", "tailLines", "sinceSeconds", "sinceTime", "timestamps", "limitBytes"} {
		if v := q.Get(k); v != "" {
			fwd.Set(k, v)
		}
	}
	u := url.URL{Scheme: "https", Host: t.host, Path: path.Join("/containerLogs", t.pod.Namespace, t.pod.Name, ctr), RawQuery: fwd.Encode()}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		writeError(w, apierrors.NewInternalError(err))
		return
	}
	resp, err := bearer{token: t.token, next: agentTransport}.RoundTrip(req)
	if err != nil {
		writeError(w, apierrors.NewServiceUnavailable(fmt.Sprintf("get logs of pod %s/%s from its node %s: %v", t.pod.Namespace, t.pod.Name, t.pod.Spec.NodeName, err)))
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		writeError(w, agentError(resp, "pods/log", t.pod.Name))
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			_ = rc.Flush()
		}
		if err != nil {
			return
		}
	}
}

// agentError turns an agent's error answer into a Status, as
// kube-apiserver's GenericHttpResponseChecker does: the agent's text is
// the message.
func agentError(resp *http.Response, resource, name string) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	msg := strings.TrimSpace(string(body))
	switch resp.StatusCode {
	case http.StatusBadRequest:
		return apierrors.NewBadRequest(msg)
	case http.StatusInternalServerError:
		return apierrors.NewInternalError(fmt.Errorf("%s", msg))
	}
	return apierrors.NewGenericServerResponse(resp.StatusCode, "", schemaGR("", resource), name, msg, 0, false)
}

// handlePodStream proxies pods/exec and pods/portforward to the agent's
// exec and portForward with an upgrade-aware proxy, as kube-apiserver
// does. attach is refused until containers keep their stdin open.
func (s *Server) handlePodStream(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeError(w, apierrors.NewMethodNotSupported(schemaGR("", "pods/"+ri.Subresource), r.Method))
		return
	}
	t, err := s.podAgent(r, res, ri)
	if err != nil {
		writeError(w, err)
		return
	}
	var u url.URL
	switch ri.Subresource {
	case "exec", "attach":
		ctr, err := containerOf(t.pod, r.URL.Query().Get("container"))
		if err != nil {
			writeError(w, err)
			return
		}
		if ri.Subresource == "attach" {
			writeError(w, apierrors.NewBadRequest("attach is not supported yet: use exec"))
			return
		}
		q, err := execParams(r.URL.Query())
		if err != nil {
			writeError(w, err)
			return
		}
		u = url.URL{Path: path.Join("/exec", t.pod.Namespace, t.pod.Name, ctr), RawQuery: q.Encode()}
	case "portforward":
		u = url.URL{Path: path.Join("/portForward", t.pod.Namespace, t.pod.Name), RawQuery: r.URL.RawQuery}
	}
	u.Scheme, u.Host = "https", t.host
	authed := bearer{token: t.token, next: agentTransport}
	h := proxy.NewUpgradeAwareHandler(&u, authed, false, true, errorResponder{})
	h.UpgradeTransport = proxy.NewUpgradeRequestRoundTripper(agentTransport, bearer{token: t.token, next: proxy.MirrorRequest})
	h.ServeHTTP(w, r)
}

// execParams turns pods/exec's query (stdin=true, command=...) into the
// kubelet's (input=1, command=...).
func execParams(q url.Values) (url.Values, error) {
	out := url.Values{}
	if len(q["command"]) == 0 {
		return nil, apierrors.NewBadRequest("you must specify at least one command for the container")
	}
	out["command"] = q["command"]
	streams := false
	for from, to := range map[string]string{"stdin": "input", "stdout": "output", "stderr": "error", "tty": "tty"} {
		v := q.Get(from)
		if v == "" {
			continue
		}
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("query parameter %s=%q is not a boolean", from, v))
		}
		if on {
			out.Set(to, "1")
			streams = streams || from != "tty"
		}
	}
	if !streams {
		return nil, apierrors.NewBadRequest("you must specify at least 1 of stdin, stdout, stderr")
	}
	return out, nil
}

type errorResponder struct{}

func (errorResponder) Error(w http.ResponseWriter, _ *http.Request, err error) {
	if _, ok := err.(apierrors.APIStatus); !ok {
		err = apierrors.NewServiceUnavailable(fmt.Sprintf("reach the pod's node agent: %v", err))
	}
	writeError(w, err)
}
