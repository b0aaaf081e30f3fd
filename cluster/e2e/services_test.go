package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// TestServices drives the node agents' service proxy on a real 3-node
// cluster: a ClusterIP over two server pods on nodes 1 and 2 is reached
// from a pod on node 3 and lands on both; the NodePort answers from the
// host over TCP and UDP; a pod reaches itself through its own Service
// (hairpin). Services get explicit ClusterIPs and NodePorts. EndpointSlices
// come from the EndpointSlice controller; names from the cluster DNS.
func TestServices(t *testing.T) {
	e := newEnv(t)
	ensureTestImages(t)
	name := uniqueName("svc")
	published := freeHostPort(t)
	e.up(name, "--nodes", "3", "--publish", fmt.Sprintf("%d:30080", published))
	p := &podEnv{t: t, c: e.client(name), cfg: e.restConfig(name), nsName: "default"}
	p.nodes = []string{name + "-node-1", name + "-node-2", name + "-node-3"}
	waitNodes(t, p.c, time.Minute, "3 Ready nodes", allReady(3))
	ctx := context.Background()

	p.create(t, serverPod("web-a", p.nodes[0]))
	p.create(t, serverPod("web-b", p.nodes[1]))
	a := p.waitPod(t, "web-a", time.Minute, "Running and Ready", isRunningReady)
	b := p.waitPod(t, "web-b", time.Minute, "Running and Ready", isRunningReady)

	const clusterIP, nodePort, udpNodePort = "10.96.100.10", 30080, 30081
	web := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeNodePort, ClusterIP: clusterIP, Selector: map[string]string{"app": "server"},
			Ports: []corev1.ServicePort{
				{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromString("http"), NodePort: nodePort},
				{Name: "echo", Protocol: corev1.ProtocolUDP, Port: 81, TargetPort: intstr.FromInt32(8081), NodePort: udpNodePort},
			},
		},
	}
	began := time.Now()
	if _, err := p.c.CoreV1().Services("default").Create(ctx, web, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service web: %v", err)
	}
	p.waitSlice(t, "web", 2)
	t.Logf("web's endpoints: web-a %s, web-b %s", a.Status.PodIP, b.Status.PodIP)

	t.Run("ClusterIP across nodes lands on both pods", func(t *testing.T) {
		p.create(t, busyboxPod("client", p.nodes[2], corev1.RestartPolicyNever,
			"i=0; until wget -qO- http://"+clusterIP+"/ >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 50 ] && exit 1; sleep 0.1; done; echo first after $i retries; "+
				"for i in $(seq 1 40); do wget -qO- http://"+clusterIP+"/; done"))
		done := p.waitPod(t, "client", 2*time.Minute, "finished", func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		})
		out := p.logs(t, "client", &corev1.PodLogOptions{})
		t.Logf("service created %s ago; client: %s; %d answers from web-a, %d from web-b", time.Since(began).Round(time.Millisecond),
			firstLine(out), strings.Count(out, "hello from web-a"), strings.Count(out, "hello from web-b"))
		if done.Status.Phase != corev1.PodSucceeded || !strings.Contains(out, "hello from web-a") || !strings.Contains(out, "hello from web-b") {
			t.Fatalf("client pod %s, logs:\n%s", describeStatus(done), out)
		}
	})

	nodeIP := p.nodeIP(t, p.nodes[2])
	t.Run("NodePort from the host", func(t *testing.T) {
		seen := map[string]int{}
		// A new connection per request, so each is balanced anew.
		hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for range 30 {
			resp, err := hc.Get("http://" + net.JoinHostPort(nodeIP, strconv.Itoa(nodePort)) + "/")
			if err != nil {
				t.Fatalf("GET %s:%d from the host: %v", nodeIP, nodePort, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			seen[strings.TrimSpace(string(body))]++
		}
		t.Logf("host -> %s:%d: %v", nodeIP, nodePort, seen)
		if seen["hello from web-a"] == 0 || seen["hello from web-b"] == 0 {
			t.Errorf("answers %v, want both pods", seen)
		}
	})

	t.Run("--publish: the NodePort on 127.0.0.1", func(t *testing.T) {
		hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := hc.Get(fmt.Sprintf("http://127.0.0.1:%d/", published))
		if err != nil {
			t.Fatalf("GET 127.0.0.1:%d (published to NodePort %d): %v", published, nodePort, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.HasPrefix(string(body), "hello from web-") {
			t.Errorf("127.0.0.1:%d answered %q", published, body)
		}
	})

	t.Run("mini port-forward svc/web from the host", func(t *testing.T) {
		local := freeHostPort(t)
		cmd := exec.Command(binary, "port-forward", "--name", name, "svc/web", fmt.Sprintf("%d:80", local))
		cmd.Env = append(os.Environ(), "MINI_HOME="+e.home, "KUBECONFIG="+e.kube)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		hc := &http.Client{Timeout: 3 * time.Second}
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := hc.Get(fmt.Sprintf("http://127.0.0.1:%d/", local))
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !strings.HasPrefix(string(body), "hello from web-") {
					t.Errorf("through mini port-forward svc/web: %q", body)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("127.0.0.1:%d (mini port-forward svc/web) never answered: %v", local, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("UDP NodePort from the host", func(t *testing.T) {
		c, err := net.Dial("udp4", net.JoinHostPort(nodeIP, strconv.Itoa(udpNodePort)))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 200)
		n, err := c.Read(buf)
		t.Logf("udp %s:%d answered %q, %v", nodeIP, udpNodePort, buf[:n], err)
		if err != nil || !strings.HasPrefix(string(buf[:n]), "udp:web-") || !strings.HasSuffix(string(buf[:n]), "ping") {
			t.Errorf("UDP echo = %q, %v", buf[:n], err)
		}
	})

	t.Run("hairpin: a pod reaches itself through its Service", func(t *testing.T) {
		hp := busyboxPod("hair", p.nodes[0], corev1.RestartPolicyAlways, "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www")
		hp.Labels = map[string]string{"app": "hair"}
		p.create(t, hp)
		pod := p.waitPod(t, "hair", time.Minute, "Running and Ready", isRunningReady)
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "hair"},
			Spec: corev1.ServiceSpec{ClusterIP: "10.96.100.11", Selector: map[string]string{"app": "hair"},
				Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
		}
		if _, err := p.c.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		p.waitSlice(t, "hair", 1)
		t.Logf("hair runs at %s", pod.Status.PodIP)
		out, errOut, code := p.exec(t, "hair", false, "", "sh", "-c",
			"for i in $(seq 1 30); do wget -qO- http://10.96.100.11/ && exit 0; sleep 0.1; done; exit 1")
		if code != 0 || strings.TrimSpace(out) != "hair" {
			t.Errorf("hair -> its own service: %q %q exit %d", out, errOut, code)
		}
	})

	t.Run("DNS: names as pods resolve them", func(t *testing.T) {
		// A headless Service over a StatefulSet, and an ExternalName.
		db := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "db"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}}}
		ext := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "ext"}, Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeExternalName, ExternalName: "kubernetes.default.svc.cluster.local"}}
		for _, svc := range []*corev1.Service{db, ext} {
			if _, err := p.c.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		sts := statefulSet("db", 2)
		if _, err := p.c.AppsV1().StatefulSets("default").Create(ctx, sts, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		db0 := p.waitPod(t, "db-0", time.Minute, "Running and Ready", isRunningReady)
		db1 := p.waitPod(t, "db-1", time.Minute, "Running and Ready", isRunningReady)
		p.waitSlice(t, "db", 2)
		// The test server resolves with Go's resolver: resolv.conf's search
		// path and ndots, as any pod.
		lookup := func(name string) string {
			out, _, code := p.exec(t, "shell-dns", false, "", "wget", "-qO-", "http://"+a.Status.PodIP+":8080/dns?name="+name)
			if code != 0 {
				return "exit " + strconv.Itoa(code)
			}
			return out
		}
		p.create(t, busyboxPod("shell-dns", p.nodes[2], corev1.RestartPolicyAlways, "sleep 3600"))
		p.waitPod(t, "shell-dns", time.Minute, "Running", isRunningReady)
		webSvc, err := p.c.CoreV1().Services("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, want string }{
			{"web", webSvc.Spec.ClusterIP},
			{"web.default", webSvc.Spec.ClusterIP},
			{"web.default.svc.cluster.local", webSvc.Spec.ClusterIP},
			{"kubernetes.default", "10.96.0.1"},
			{"kube-dns.kube-system", "10.96.0.10"},
			{"db", db0.Status.PodIP},
			{"db", db1.Status.PodIP},
			{"db-1.db", db1.Status.PodIP},
			{"db-0.db.default.svc.cluster.local", db0.Status.PodIP},
			{"ext", "10.96.0.1"},
		} {
			if out := lookup(tc.name); !strings.Contains(out, `"`+tc.want+`"`) {
				t.Errorf("%s resolved in a pod to %s, want %s", tc.name, out, tc.want)
			}
		}
		// The test server answers 502 when a name does not resolve.
		if out := lookup("nope"); out != "exit 1" {
			t.Errorf("nope resolved to %s, want a failed lookup", out)
		}
		out, _, _ := p.exec(t, "shell-dns", false, "", "nslookup", "nope.default.svc.cluster.local", "10.96.0.10")
		if !strings.Contains(out, "NXDOMAIN") {
			t.Errorf("nslookup of a missing name:\n%s\nwant NXDOMAIN", out)
		}
		// The service by name, through the proxy, from a pod.
		out, _, code := p.exec(t, "shell-dns", false, "", "sh", "-c", "wget -qO- http://$(nslookup web.default.svc.cluster.local 10.96.0.10 | awk '/^Address: /{print $2}' | tail -1)/")
		if code != 0 || !strings.HasPrefix(out, "hello from web-") {
			t.Errorf("web by name from a pod: %q exit %d", out, code)
		}
	})

	t.Run("a pod turning not ready leaves the endpoints within a second", func(t *testing.T) {
		rp := busyboxPod("flip", p.nodes[1], corev1.RestartPolicyAlways, "touch /tmp/ready; exec httpd -f -p 8080 -h /tmp")
		rp.Labels = map[string]string{"app": "flip"}
		rp.Spec.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"test", "-e", "/tmp/ready"}}}, PeriodSeconds: 1, FailureThreshold: 1}
		p.create(t, rp)
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "flip"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "flip"},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
		if _, err := p.c.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		p.waitPod(t, "flip", time.Minute, "Ready", isRunningReady)
		p.waitSlice(t, "flip", 1)
		p.exec(t, "flip", false, "", "rm", "/tmp/ready")
		notReady := p.waitPod(t, "flip", 10*time.Second, "not Ready", func(p *corev1.Pod) bool { return !podReady(p) })
		var since time.Time
		for _, c := range notReady.Status.Conditions {
			if c.Type == corev1.PodReady {
				since = time.Now()
			}
		}
		sel := labels.Set{discoveryv1.LabelServiceName: "flip"}.String()
		for p.readyEndpoints("flip", sel) != 0 {
			if time.Since(since) > time.Second {
				t.Fatalf("the not-ready pod is still a ready endpoint 1 s after its Ready condition went False")
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("left the ready endpoints %s after the pod's Ready=False was seen", time.Since(since).Round(time.Millisecond))
	})

	t.Run("rules are back after a node restart", func(t *testing.T) {
		docker(t, "restart", "mini-"+p.nodes[2]) // the node container
		waitNodes(t, p.c, time.Minute, "3 Ready nodes", allReady(3))
		ip := p.nodeIP(t, p.nodes[2]) // the engine may hand out a new address
		hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := hc.Get("http://" + net.JoinHostPort(ip, strconv.Itoa(nodePort)) + "/")
			if err == nil {
				resp.Body.Close()
				t.Logf("NodePort on the restarted node answers: %s", resp.Status)
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("NodePort on %s after restart: %v", p.nodes[2], err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// statefulSet is n mini-test/server pods named <name>-<i> behind the
// headless Service of the same name.
func statefulSet(name string, n int32) *appsv1.StatefulSet {
	pod := serverPod("", "")
	pod.Labels = map[string]string{"app": name}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To(n), ServiceName: name,
			Selector: &metav1.LabelSelector{MatchLabels: pod.Labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: pod.Labels}, Spec: pod.Spec},
		},
	}
}

// freeHostPort is a TCP port free on 127.0.0.1 now.
func freeHostPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// waitSlice waits until the EndpointSlice controller publishes n ready
// endpoints for the service.
func (p *podEnv) waitSlice(t *testing.T, svc string, n int) {
	t.Helper()
	sel := labels.Set{discoveryv1.LabelServiceName: svc}.String()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if p.readyEndpoints(svc, sel) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("service %s: fewer than %d ready endpoints after 10 s", svc, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readyEndpoints counts the ready endpoints of a service's slices.
func (p *podEnv) readyEndpoints(svc, sel string) int {
	list, err := p.c.DiscoveryV1().EndpointSlices(p.nsName).List(context.Background(), metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return -1
	}
	n := 0
	for _, s := range list.Items {
		for _, ep := range s.Endpoints {
			if ptr.Deref(ep.Conditions.Ready, true) {
				n++
			}
		}
	}
	return n
}

// nodeIP is the node's InternalIP.
func (p *podEnv) nodeIP(t *testing.T, node string) string {
	t.Helper()
	n, err := p.c.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	t.Fatalf("node %s has no InternalIP", node)
	return ""
}
