package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	minidocker "github.com/minidev/mini/cluster/docker"
	"github.com/minidev/mini/cluster/testimages"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/utils/ptr"
)

// ensureTestImages builds the workload images into the host's engine.
func ensureTestImages(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d, err := minidocker.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := testimages.Ensure(ctx, d, "../.."); err != nil {
		t.Fatal(err)
	}
}

// restConfig is the cluster's client config, for streaming calls.
func (e *env) restConfig(name string) *rest.Config {
	e.t.Helper()
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(e.must("kubeconfig", "--name", name)))
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

// podEnv is a cluster for pod tests.
type podEnv struct {
	t      *testing.T
	c      kubernetes.Interface
	cfg    *rest.Config
	nodes  []string
	nsName string
}

func (p *podEnv) create(t *testing.T, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	got, err := p.c.CoreV1().Pods(p.nsName).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s: %v", pod.Name, err)
	}
	return got
}

// waitPod waits until cond holds for the pod and returns it.
func (p *podEnv) waitPod(t *testing.T, name string, timeout time.Duration, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last *corev1.Pod
	for time.Now().Before(deadline) {
		pod, err := p.c.CoreV1().Pods(p.nsName).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			last = pod
			if cond(pod) {
				return pod
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for pod %s to be %s; last status: %s", timeout, name, what, describeStatus(last))
	return nil
}

func describeStatus(p *corev1.Pod) string {
	if p == nil {
		return "none"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "phase=%s ip=%s node=%s", p.Status.Phase, p.Status.PodIP, p.Spec.NodeName)
	for _, c := range p.Status.ContainerStatuses {
		fmt.Fprintf(&b, " [%s restarts=%d ready=%v %s]", c.Name, c.RestartCount, c.Ready, stateString(c.State))
	}
	return b.String()
}

func stateString(s corev1.ContainerState) string {
	switch {
	case s.Running != nil:
		return "running"
	case s.Waiting != nil:
		return "waiting:" + s.Waiting.Reason + ":" + s.Waiting.Message
	case s.Terminated != nil:
		return fmt.Sprintf("terminated:%s:%d:%s", s.Terminated.Reason, s.Terminated.ExitCode, s.Terminated.Message)
	}
	return "unknown"
}

func isRunningReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// exec runs cmd in the pod's container through the API server and the
// node agent, and returns stdout, stderr and the exit code.
func (p *podEnv) exec(t *testing.T, pod string, tty bool, stdin string, cmd ...string) (string, string, int) {
	t.Helper()
	req := p.c.CoreV1().RESTClient().Post().Resource("pods").Namespace(p.nsName).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Command: cmd, Stdin: stdin != "", Stdout: true, Stderr: !tty, TTY: tty}, scheme.ParameterCodec)
	ex, err := remotecommand.NewWebSocketExecutor(p.cfg, "GET", req.URL().String())
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	opts := remotecommand.StreamOptions{Stdout: &out, Tty: tty}
	if !tty {
		opts.Stderr = &errb
	}
	if stdin != "" {
		opts.Stdin = strings.NewReader(stdin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = ex.StreamWithContext(ctx, opts)
	code := 0
	if err != nil {
		var ce interface{ ExitStatus() int }
		if ok := asExit(err, &ce); ok {
			code = ce.ExitStatus()
		} else {
			t.Fatalf("exec %v in %s: %v (stderr %q)", cmd, pod, err, errb.String())
		}
	}
	return out.String(), errb.String(), code
}

func asExit(err error, target *interface{ ExitStatus() int }) bool {
	for e := err; e != nil; {
		if x, ok := e.(interface{ ExitStatus() int }); ok {
			*target = x
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

func (p *podEnv) logs(t *testing.T, pod string, opts *corev1.PodLogOptions) string {
	t.Helper()
	b, err := p.c.CoreV1().Pods(p.nsName).GetLogs(pod, opts).DoRaw(context.Background())
	if err != nil {
		t.Fatalf("logs of %s: %v (%s)", pod, err, b)
	}
	return string(b)
}

func serverPod(name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "server"}},
		Spec: corev1.PodSpec{
			NodeName: node,
			Containers: []corev1.Container{{
				Name: "server", Image: testimages.Server, ImagePullPolicy: corev1.PullIfNotPresent,
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http")}},
					PeriodSeconds: 1, FailureThreshold: 1,
				},
			}},
		},
	}
}

func busyboxPod(name, node string, policy corev1.RestartPolicy, script string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			NodeName: node, RestartPolicy: policy, TerminationGracePeriodSeconds: ptr.To[int64](2),
			Containers: []corev1.Container{{
				Name: "sh", Image: testimages.Busybox, ImagePullPolicy: corev1.PullIfNotPresent,
				Command: []string{"sh", "-c", script},
			}},
		},
	}
}

// TestPods runs real containers on a real 3-node cluster: images from
// the host's Docker, pod IPs reachable across nodes, logs, exec, probes,
// restarts and back-off, volumes, confinement and port-forward.
func TestPods(t *testing.T) {
	e := newEnv(t)
	ensureTestImages(t)
	name := uniqueName("pods")
	e.up(name, "--nodes", "3")
	p := &podEnv{t: t, c: e.client(name), cfg: e.restConfig(name), nsName: "default"}
	p.nodes = []string{name + "-node-1", name + "-node-2", name + "-node-3"}
	waitNodes(t, p.c, time.Minute, "3 Ready nodes", allReady(3))

	// Two servers on nodes 1 and 2 (their image fetched once per node).
	began := time.Now()
	p.create(t, serverPod("web-a", p.nodes[0]))
	p.create(t, serverPod("web-b", p.nodes[1]))
	a := p.waitPod(t, "web-a", time.Minute, "Running and Ready", isRunningReady)
	b := p.waitPod(t, "web-b", time.Minute, "Running and Ready", isRunningReady)
	t.Logf("two server pods Running and Ready in %s: web-a %s on %s, web-b %s on %s", time.Since(began).Round(time.Millisecond), a.Status.PodIP, a.Spec.NodeName, b.Status.PodIP, b.Spec.NodeName)
	if a.Status.PodIP == b.Status.PodIP || !strings.HasPrefix(a.Status.PodIP, "10.244.") {
		t.Fatalf("pod IPs %s and %s: want two distinct addresses in 10.244.0.0/16", a.Status.PodIP, b.Status.PodIP)
	}

	t.Run("HTTP across nodes", func(t *testing.T) {
		// From node 3, a pod fetches both servers by pod IP.
		p.create(t, busyboxPod("client", p.nodes[2], corev1.RestartPolicyNever,
			fmt.Sprintf("wget -qO- http://%s:8080/ && wget -qO- http://%s:8080/", a.Status.PodIP, b.Status.PodIP)))
		done := p.waitPod(t, "client", time.Minute, "finished", func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		})
		out := p.logs(t, "client", &corev1.PodLogOptions{})
		if done.Status.Phase != corev1.PodSucceeded || !strings.Contains(out, "hello from web-a") || !strings.Contains(out, "hello from web-b") {
			t.Fatalf("client pod %s, logs:\n%s", describeStatus(done), out)
		}
	})

	t.Run("exec", func(t *testing.T) {
		bb := p.create(t, busyboxPod("shell", p.nodes[0], corev1.RestartPolicyAlways, "sleep 3600"))
		p.waitPod(t, bb.Name, time.Minute, "Running", isRunningReady)
		stdout, stderr, code := p.exec(t, "shell", false, "", "sh", "-c", "echo out; echo err >&2; exit 3")
		if stdout != "out\n" || stderr != "err\n" || code != 3 {
			t.Errorf("exec = (%q, %q, %d), want (out, err, 3)", stdout, stderr, code)
		}
		stdout, _, _ = p.exec(t, "shell", false, "piped input\n", "cat")
		if stdout != "piped input\n" {
			t.Errorf("exec with stdin echoed %q", stdout)
		}
		stdout, _, code = p.exec(t, "shell", true, "", "tty")
		if code != 0 || !strings.HasPrefix(strings.TrimSpace(stdout), "/dev/pts/") {
			t.Errorf("exec -t tty = %q (exit %d), want a /dev/pts path", stdout, code)
		}
	})

	t.Run("confinement", func(t *testing.T) {
		stdout, _, _ := p.exec(t, "shell", false, "", "ps", "-o", "pid,comm")
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		// Header, sleep (PID 1) and ps itself: nothing of the node or other pods.
		if len(lines) != 3 || !strings.Contains(lines[1], "1 sleep") {
			t.Errorf("ps in a pod shows:\n%s\nwant only the pod's own processes", stdout)
		}
		if _, _, code := p.exec(t, "shell", false, "", "mount", "-t", "tmpfs", "x", "/mnt"); code == 0 {
			t.Error("mount succeeded inside a pod")
		}
		if _, _, code := p.exec(t, "shell", false, "", "sh", "-c", "echo 1 > /sys/kernel/profiling"); code == 0 {
			t.Error("writing /sys succeeded inside a pod")
		}
		stdout, _, _ = p.exec(t, "shell", false, "", "hostname")
		if strings.TrimSpace(stdout) != "shell" {
			t.Errorf("hostname = %q, want the pod's name", stdout)
		}
		stdout, _, _ = p.exec(t, "shell", false, "", "cat", "/etc/resolv.conf")
		if !strings.Contains(stdout, "nameserver 10.96.0.10") || !strings.Contains(stdout, "search default.svc.cluster.local svc.cluster.local cluster.local") {
			t.Errorf("resolv.conf:\n%s", stdout)
		}
	})

	t.Run("crash, logs --previous, CrashLoopBackOff", func(t *testing.T) {
		p.create(t, busyboxPod("crasher", p.nodes[1], corev1.RestartPolicyAlways, "echo run $(cat /proc/uptime); exit 3"))
		pod := p.waitPod(t, "crasher", time.Minute, "in CrashLoopBackOff after a restart", func(p *corev1.Pod) bool {
			if len(p.Status.ContainerStatuses) == 0 {
				return false
			}
			s := p.Status.ContainerStatuses[0]
			return s.RestartCount >= 1 && s.State.Waiting != nil && s.State.Waiting.Reason == "CrashLoopBackOff"
		})
		s := pod.Status.ContainerStatuses[0]
		if lt := s.LastTerminationState.Terminated; lt == nil || lt.ExitCode != 3 || lt.Reason != "Error" {
			t.Errorf("lastState = %+v, want terminated with exit code 3, reason Error", s.LastTerminationState)
		}
		if pod.Status.Phase != corev1.PodRunning {
			t.Errorf("phase = %s, want Running (as Kubernetes reports a crash-looping pod)", pod.Status.Phase)
		}
		prev := p.logs(t, "crasher", &corev1.PodLogOptions{Previous: true})
		if !strings.HasPrefix(prev, "run ") {
			t.Errorf("logs --previous = %q", prev)
		}
	})

	t.Run("restartPolicy Never: exit code", func(t *testing.T) {
		p.create(t, busyboxPod("fails", p.nodes[2], corev1.RestartPolicyNever, "exit 7"))
		pod := p.waitPod(t, "fails", time.Minute, "Failed", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodFailed })
		if tm := pod.Status.ContainerStatuses[0].State.Terminated; tm == nil || tm.ExitCode != 7 {
			t.Errorf("state = %s, want terminated with 7", stateString(pod.Status.ContainerStatuses[0].State))
		}
	})

	t.Run("init containers, termination message, OOM kill", func(t *testing.T) {
		pod := busyboxPod("lifecycle", p.nodes[2], corev1.RestartPolicyNever, "cat /work/order; echo bye > /dev/termination-log")
		pod.Spec.Volumes = []corev1.Volume{{Name: "work", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		mount := []corev1.VolumeMount{{Name: "work", MountPath: "/work"}}
		pod.Spec.Containers[0].VolumeMounts = mount
		for i, line := range []string{"echo one > /work/order", "echo two >> /work/order"} {
			pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{
				Name: fmt.Sprintf("init-%d", i), Image: testimages.Busybox, ImagePullPolicy: corev1.PullIfNotPresent,
				Command: []string{"sh", "-c", line}, VolumeMounts: mount,
			})
		}
		p.create(t, pod)
		got := p.waitPod(t, "lifecycle", time.Minute, "Succeeded", func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		})
		if out := p.logs(t, "lifecycle", &corev1.PodLogOptions{}); got.Status.Phase != corev1.PodSucceeded || out != "one\ntwo\n" {
			t.Errorf("pod %s, logs %q: want Succeeded after both init containers ran in order", describeStatus(got), out)
		}
		if tm := got.Status.ContainerStatuses[0].State.Terminated; tm == nil || tm.Message != "bye\n" || tm.Reason != "Completed" {
			t.Errorf("terminated state %+v, want reason Completed and the termination message", tm)
		}

		oom := busyboxPod("oom", p.nodes[2], corev1.RestartPolicyNever, "head -c 300m /dev/zero | tail")
		oom.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")}
		p.create(t, oom)
		got = p.waitPod(t, "oom", time.Minute, "Failed", func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded
		})
		if tm := got.Status.ContainerStatuses[0].State.Terminated; tm == nil || tm.Reason != "OOMKilled" || tm.ExitCode != 137 {
			t.Errorf("pod over its 32Mi memory limit: %s, want terminated OOMKilled with 137", describeStatus(got))
		}
	})

	t.Run("readiness flips Ready, liveness restarts", func(t *testing.T) {
		pod := busyboxPod("probed", p.nodes[1], corev1.RestartPolicyAlways, "sleep 3600")
		c := &pod.Spec.Containers[0]
		c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"test", "-e", "/tmp/ready"}}}, PeriodSeconds: 1, FailureThreshold: 1}
		c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"test", "!", "-e", "/tmp/dead"}}}, PeriodSeconds: 1, FailureThreshold: 1}
		p.create(t, pod)
		p.waitPod(t, "probed", time.Minute, "Running, not Ready", func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodRunning && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Running != nil && !podReady(p)
		})
		p.exec(t, "probed", false, "", "touch", "/tmp/ready")
		began := time.Now()
		p.waitPod(t, "probed", 10*time.Second, "Ready", podReady)
		t.Logf("Ready %s after the readiness file appeared", time.Since(began).Round(time.Millisecond))
		p.exec(t, "probed", false, "", "rm", "/tmp/ready")
		began = time.Now()
		p.waitPod(t, "probed", 10*time.Second, "not Ready", func(p *corev1.Pod) bool { return !podReady(p) })
		t.Logf("not Ready %s after it went", time.Since(began).Round(time.Millisecond))
		p.exec(t, "probed", false, "", "touch", "/tmp/dead")
		got := p.waitPod(t, "probed", time.Minute, "restarted by its liveness probe", func(p *corev1.Pod) bool {
			return p.Status.ContainerStatuses[0].RestartCount >= 1
		})
		if lt := got.Status.ContainerStatuses[0].LastTerminationState.Terminated; lt == nil || lt.ExitCode != 137 {
			t.Errorf("lastState after a liveness kill = %+v, want exit 137 (SIGKILL after the grace period: sleep ignores SIGTERM)", got.Status.ContainerStatuses[0].LastTerminationState)
		}
	})

	t.Run("configMap volume follows edits", func(t *testing.T) {
		ctx := context.Background()
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "conf"}, Data: map[string]string{"greeting": "hello"}}
		if _, err := p.c.CoreV1().ConfigMaps(p.nsName).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		pod := busyboxPod("reader", p.nodes[2], corev1.RestartPolicyAlways, "sleep 3600")
		pod.Spec.Volumes = []corev1.Volume{{Name: "conf", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}}}}}
		pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "conf", MountPath: "/etc/conf"}}
		pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "GREETING", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}, Key: "greeting"}}}}
		p.create(t, pod)
		p.waitPod(t, "reader", time.Minute, "Running", isRunningReady)
		if out, _, _ := p.exec(t, "reader", false, "", "sh", "-c", "cat /etc/conf/greeting; echo; echo $GREETING"); out != "hello\nhello\n" {
			t.Errorf("file and env = %q, want hello twice", out)
		}
		cm.Data["greeting"] = "bonjour"
		if _, err := p.c.CoreV1().ConfigMaps(p.nsName).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		for {
			out, _, _ := p.exec(t, "reader", false, "", "cat", "/etc/conf/greeting")
			if out == "bonjour" {
				t.Logf("the edit reached the mounted file in %s", time.Since(began).Round(time.Millisecond))
				break
			}
			if time.Since(began) > 30*time.Second {
				t.Fatalf("mounted file still %q 30 s after the edit", out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("port-forward from the host", func(t *testing.T) {
		req := p.c.CoreV1().RESTClient().Post().Resource("pods").Namespace(p.nsName).Name("web-b").SubResource("portforward")
		transport, upgrader, err := spdy.RoundTripperFor(p.cfg)
		if err != nil {
			t.Fatal(err)
		}
		dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, "POST", req.URL())
		stop, ready := make(chan struct{}), make(chan struct{})
		defer close(stop)
		fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:8080"}, stop, ready, io.Discard, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = fw.ForwardPorts() }()
		select {
		case <-ready:
		case <-time.After(20 * time.Second):
			t.Fatal("port-forward not ready")
		}
		ports, _ := fw.GetPorts()
		resp, err := http.Get("http://" + net.JoinHostPort("127.0.0.1", fmt.Sprint(ports[0].Local)) + "/hostname")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.TrimSpace(string(body)) != "web-b" {
			t.Errorf("through port-forward: %q, want web-b", body)
		}
	})

	t.Run("missing image", func(t *testing.T) {
		pod := busyboxPod("noimage", p.nodes[0], corev1.RestartPolicyAlways, "true")
		pod.Spec.Containers[0].Image = "mini-test/does-not-exist:v1"
		p.create(t, pod)
		got := p.waitPod(t, "noimage", 30*time.Second, "ErrImagePull or ImagePullBackOff", func(p *corev1.Pod) bool {
			if len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].State.Waiting == nil {
				return false
			}
			r := p.Status.ContainerStatuses[0].State.Waiting.Reason
			return r == "ErrImagePull" || r == "ImagePullBackOff"
		})
		msg := got.Status.ContainerStatuses[0].State.Waiting.Message
		if !strings.Contains(msg, "mini-test/does-not-exist:v1") || !strings.Contains(msg, "docker build") {
			t.Errorf("message %q should name the image and say to docker build/pull it", msg)
		}
	})

	t.Run("node container restart recreates its pods", func(t *testing.T) {
		before := p.waitPod(t, "web-a", time.Second, "Running", isRunningReady)
		docker(t, "restart", "-t", "2", "mini-"+p.nodes[0])
		began := time.Now()
		after := p.waitPod(t, "web-a", time.Minute, "Running and Ready again after a restart", func(p *corev1.Pod) bool {
			return isRunningReady(p) && p.Status.ContainerStatuses[0].RestartCount > before.Status.ContainerStatuses[0].RestartCount
		})
		t.Logf("web-a Running and Ready %s after docker restart of its node (restarts %d → %d, IP %s → %s)", time.Since(began).Round(time.Millisecond),
			before.Status.ContainerStatuses[0].RestartCount, after.Status.ContainerStatuses[0].RestartCount, before.Status.PodIP, after.Status.PodIP)
		p.create(t, busyboxPod("client2", p.nodes[2], corev1.RestartPolicyNever, fmt.Sprintf("wget -qO- http://%s:8080/", after.Status.PodIP)))
		done := p.waitPod(t, "client2", time.Minute, "finished", func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		})
		if out := p.logs(t, "client2", &corev1.PodLogOptions{}); done.Status.Phase != corev1.PodSucceeded || !strings.Contains(out, "hello from web-a") {
			t.Errorf("after the restart, web-a answered %q (client %s)", out, describeStatus(done))
		}
	})

	t.Run("deletion stops the containers", func(t *testing.T) {
		began := time.Now()
		if err := p.c.CoreV1().Pods(p.nsName).Delete(context.Background(), "shell", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		for time.Since(began) < 30*time.Second {
			_, err := p.c.CoreV1().Pods(p.nsName).Get(context.Background(), "shell", metav1.GetOptions{})
			if err != nil {
				t.Logf("pod deleted in %s (sleep ignores SIGTERM: grace period 2 s then SIGKILL)", time.Since(began).Round(time.Millisecond))
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatal("pod still there after 30 s")
	})
}
