package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/minidev/mini/cluster/agent/runtime"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// startProbes runs the container's startup, liveness and readiness
// probes while the run lasts, as the kubelet's prober workers do.
func (p *pods) startProbes(pod *corev1.Pod, st *podState, c *ctr, spec *corev1.Container, run *runtime.Container) {
	if spec.StartupProbe == nil && spec.LivenessProbe == nil && spec.ReadinessProbe == nil {
		c.mu.Lock()
		c.ready = true
		c.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	c.probeStop = cancel
	if spec.ReadinessProbe == nil {
		c.ready = true
	}
	c.mu.Unlock()
	go func() {
		select {
		case <-run.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	if spec.StartupProbe != nil {
		go p.probeLoop(ctx, pod, st, c, spec, run, "Startup", spec.StartupProbe)
	}
	if spec.LivenessProbe != nil {
		go p.probeLoop(ctx, pod, st, c, spec, run, "Liveness", spec.LivenessProbe)
	}
	if spec.ReadinessProbe != nil {
		go p.probeLoop(ctx, pod, st, c, spec, run, "Readiness", spec.ReadinessProbe)
	}
}

func (p *pods) probeLoop(ctx context.Context, pod *corev1.Pod, st *podState, c *ctr, spec *corev1.Container, run *runtime.Container, kind string, pr *corev1.Probe) {
	period := time.Duration(max(pr.PeriodSeconds, 1)) * time.Second
	failThreshold := max(pr.FailureThreshold, 1)
	successThreshold := max(pr.SuccessThreshold, 1)
	timeout := time.Duration(max(pr.TimeoutSeconds, 1)) * time.Second
	if !sleepCtx(ctx, time.Duration(pr.InitialDelaySeconds)*time.Second) {
		return
	}
	var fails, successes int32
	for {
		c.mu.Lock()
		started := c.started
		c.mu.Unlock()
		if kind == "Startup" && started {
			return
		}
		if kind == "Startup" || started {
			err := p.probe(ctx, pod, c, spec, run, &pr.ProbeHandler, timeout)
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				fails, successes = 0, successes+1
			} else {
				fails, successes = fails+1, 0
				p.warn(pod, "Unhealthy", "%s probe failed: %v", kind, err)
			}
			p.probeResult(pod, st, c, spec, kind, fails >= failThreshold, successes >= successThreshold, err)
			if kind != "Readiness" && fails >= failThreshold {
				return
			}
		}
		if !sleepCtx(ctx, period) {
			return
		}
	}
}

// probeResult acts on a probe's verdict: readiness flips the ready flag,
// a startup success lets the others begin, a liveness or startup failure
// restarts the container.
func (p *pods) probeResult(pod *corev1.Pod, st *podState, c *ctr, spec *corev1.Container, kind string, failed, succeeded bool, err error) {
	changed := false
	c.mu.Lock()
	switch kind {
	case "Readiness":
		switch {
		case failed && c.ready:
			c.ready, changed = false, true
		case succeeded && !c.ready:
			c.ready, changed = true, true
		}
	case "Startup":
		if succeeded && !c.started {
			c.started, changed = true, true
		}
	}
	c.mu.Unlock()
	if failed && kind != "Readiness" {
		p.normal(pod, "Killing", "Container %s failed %s probe, will be restarted", c.name, strings.ToLower(kind))
		p.kill(c, graceOf(pod), kind)
		changed = true
	}
	if changed {
		p.loop.Add(st.key)
	}
}

func graceOf(pod *corev1.Pod) time.Duration {
	return time.Duration(ptr.Deref(pod.Spec.TerminationGracePeriodSeconds, 30)) * time.Second
}

// probe runs one check of a probe or lifecycle handler.
func (p *pods) probe(ctx context.Context, pod *corev1.Pod, c *ctr, spec *corev1.Container, run *runtime.Container, h *corev1.ProbeHandler, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ip := pod.Status.PodIP
	c.mu.Lock()
	env := c.env
	c.mu.Unlock()
	switch {
	case h.Exec != nil:
		var out strings.Builder
		w := &limitWriter{w: &out, n: 10 << 10}
		code, err := run.Exec(ctx, runtime.ExecSpec{Args: h.Exec.Command, Env: env, Stdout: w, Stderr: w})
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("command %q timed out", strings.Join(h.Exec.Command, " "))
			}
			return err
		}
		if code != 0 {
			return fmt.Errorf("command %q exited with %d: %s", strings.Join(h.Exec.Command, " "), code, strings.TrimSpace(out.String()))
		}
		return nil
	case h.HTTPGet != nil:
		return httpCheck(ctx, h.HTTPGet, spec, p.sandboxIP(pod, ip))
	case h.TCPSocket != nil:
		port, err := resolvePort(h.TCPSocket.Port, spec)
		if err != nil {
			return err
		}
		host := h.TCPSocket.Host
		if host == "" {
			host = p.sandboxIP(pod, ip)
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return fmt.Errorf("dial tcp %s:%d: %w", host, port, err)
		}
		conn.Close()
		return nil
	case h.GRPC != nil:
		return errors.New("gRPC probes are not supported by mini yet: use an exec, httpGet or tcpSocket probe")
	}
	return errors.New("the probe has no handler")
}

// sandboxIP is the pod's IP from the agent's own records (the status in
// hand may predate it).
func (p *pods) sandboxIP(pod *corev1.Pod, fallback string) string {
	p.mu.Lock()
	st := p.state[pod.Namespace+"/"+pod.Name]
	p.mu.Unlock()
	if st != nil && st.sandbox != nil && st.sandbox.IP != nil {
		return st.sandbox.IP.String()
	}
	return fallback
}

func httpCheck(ctx context.Context, g *corev1.HTTPGetAction, spec *corev1.Container, podIP string) error {
	port, err := resolvePort(g.Port, spec)
	if err != nil {
		return err
	}
	host := g.Host
	if host == "" {
		host = podIP
	}
	scheme := strings.ToLower(string(g.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	path := g.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(port))}
	u, err = u.Parse(path)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "kube-probe/1.37")
	req.Header.Set("Accept", "*/*")
	for _, h := range g.HTTPHeaders {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Add(h.Name, h.Value)
	}
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // as the kubelet's probes
		DisableKeepAlives: true,
	}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("Get %q: %w", u.String(), errors.Unwrap(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 10<<10))
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("HTTP probe failed with statuscode: %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// resolvePort turns a probe's port (a number or a container port's name)
// into a number.
func resolvePort(p intstr.IntOrString, spec *corev1.Container) (int, error) {
	if p.Type == intstr.Int {
		return p.IntValue(), nil
	}
	for _, cp := range spec.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("couldn't find port %q in container %s", p.StrVal, spec.Name)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(b []byte) (int, error) {
	n := len(b)
	if len(b) > l.n {
		b = b[:l.n]
	}
	l.n -= len(b)
	_, _ = l.w.Write(b)
	return n, nil
}

// kill stops a container's current run: SIGTERM, then SIGKILL after
// grace (at once when grace is 0). why says what for ("" = deletion).
func (p *pods) kill(c *ctr, grace time.Duration, why string) {
	c.mu.Lock()
	run := c.run
	if !c.running() || (c.killing != "" && grace > 0) {
		c.mu.Unlock()
		if run != nil && grace == 0 && c.running() {
			_ = run.Signal(syscall.SIGKILL)
		}
		return
	}
	if why == "" {
		why = "stop"
	}
	c.killing, c.killedAt = why, time.Now()
	c.mu.Unlock()
	if grace <= 0 {
		_ = run.Signal(syscall.SIGKILL)
		return
	}
	_ = run.Signal(syscall.SIGTERM)
	time.AfterFunc(grace, func() {
		select {
		case <-run.Done():
		default:
			_ = run.Signal(syscall.SIGKILL)
		}
	})
}

// stopAll begins stopping every running container of a pod being
// deleted: its preStop hook, then SIGTERM, SIGKILL at the deadline.
func (p *pods) stopAll(ctx context.Context, pod *corev1.Pod, st *podState, _ string) {
	grace := time.Until(st.killDeadline)
	specs := map[string]*corev1.Container{}
	for i := range pod.Spec.Containers {
		specs[pod.Spec.Containers[i].Name] = &pod.Spec.Containers[i]
	}
	for _, c := range append(append([]*ctr{}, st.init...), st.ctrs...) {
		c.mu.Lock()
		running, run := c.running(), c.run
		c.mu.Unlock()
		if !running {
			continue
		}
		p.normal(pod, "Killing", "Stopping container %s", c.name)
		spec := specs[c.name]
		if spec != nil && spec.Lifecycle != nil && spec.Lifecycle.PreStop != nil && grace > 0 {
			go func() {
				hctx, cancel := context.WithTimeout(context.Background(), grace)
				defer cancel()
				if err := p.runHook(hctx, pod, c, spec, run, spec.Lifecycle.PreStop); err != nil {
					p.warn(pod, "FailedPreStopHook", "PreStopHook failed: %v", err)
				}
				p.kill(c, time.Until(st.killDeadline), "")
			}()
			continue
		}
		p.kill(c, grace, "")
	}
}

// postStart runs the container's postStart hook; a failure kills the
// container, as the kubelet does.
func (p *pods) postStart(pod *corev1.Pod, st *podState, c *ctr, spec *corev1.Container, run *runtime.Container) {
	ctx, cancel := context.WithTimeout(context.Background(), graceOf(pod)+30*time.Second)
	defer cancel()
	if err := p.runHook(ctx, pod, c, spec, run, spec.Lifecycle.PostStart); err != nil {
		p.warn(pod, "FailedPostStartHook", "PostStartHook failed: %v", err)
		p.kill(c, graceOf(pod), "PostStartHook")
		p.loop.Add(st.key)
	}
}

func (p *pods) runHook(ctx context.Context, pod *corev1.Pod, c *ctr, spec *corev1.Container, run *runtime.Container, h *corev1.LifecycleHandler) error {
	if h.Sleep != nil {
		sleepCtx(ctx, time.Duration(h.Sleep.Seconds)*time.Second)
		return nil
	}
	ph := corev1.ProbeHandler{Exec: h.Exec, HTTPGet: h.HTTPGet, TCPSocket: h.TCPSocket}
	deadline, _ := ctx.Deadline()
	return p.probe(ctx, pod, c, spec, run, &ph, time.Until(deadline))
}
