package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/minidev/mini/cluster/agent/image"
	"github.com/minidev/mini/cluster/agent/logs"
	"github.com/minidev/mini/cluster/agent/network"
	"github.com/minidev/mini/cluster/agent/podspec"
	"github.com/minidev/mini/cluster/agent/runtime"
	"github.com/minidev/mini/cluster/agent/volume"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// makeSandbox prepares what the pod's containers share: volumes, network
// namespace and IP, and the /etc files the kubelet writes.
func (p *pods) makeSandbox(ctx context.Context, pod *corev1.Pod, st *podState) error {
	vols, err := p.volumes.Setup(ctx, pod)
	if err != nil {
		p.warn(pod, "FailedMount", "MountVolume.SetUp failed: %v", err)
		return err
	}
	st.volumes, st.volumesAt = vols, time.Now()
	var sb network.Sandbox
	if pod.Spec.HostNetwork {
		sb = network.Sandbox{ID: string(pod.UID), NetNS: "/proc/1/ns/net", IP: net.ParseIP(p.nodeIP())}
	} else {
		sb, err = p.net.Add(ctx, string(pod.UID))
		if err != nil {
			p.warn(pod, "FailedCreatePodSandBox", "Failed to create pod sandbox: %v", err)
			return err
		}
	}
	st.sandbox = &sb
	if err := p.writeHostFiles(pod, st); err != nil {
		p.warn(pod, "FailedCreatePodSandBox", "Failed to write the pod's /etc files: %v", err)
		return err
	}
	return nil
}

// startContainer runs one container; on failure it leaves the reason
// the container waits in c.waiting and returns when to retry.
func (p *pods) startContainer(ctx context.Context, pod *corev1.Pod, st *podState, c *ctr, spec *corev1.Container) time.Duration {
	setWaiting := func(reason, msg string) {
		c.mu.Lock()
		c.waiting = &corev1.ContainerStateWaiting{Reason: reason, Message: msg}
		c.mu.Unlock()
	}
	// Image, under the pull policy, against the host's store.
	c.mu.Lock()
	pullWait := time.Until(c.pullRetry)
	c.mu.Unlock()
	// (c.pullNever and c.pullErr are read under no lock below: only this
	// reconcile writes them.)
	if pullWait > 0 {
		if c.pullNever {
			setWaiting("ErrImageNeverPull", c.pullErr)
		} else {
			setWaiting("ImagePullBackOff", fmt.Sprintf("Back-off pulling image %q: %s", spec.Image, c.pullErr))
		}
		return pullWait
	}
	began := time.Now()
	img, fetched, err := p.images.Ensure(ctx, spec.Image, spec.ImagePullPolicy, func() {
		p.normal(pod, "Pulling", "Pulling image %q", spec.Image)
	})
	if err != nil {
		msg := pullMessage(spec.Image, err)
		reason := "ErrImagePull"
		if errors.Is(err, image.ErrNeverPull) {
			reason = "ErrImageNeverPull"
		}
		p.warn(pod, "Failed", "Failed to pull image %q: %s", spec.Image, msg)
		c.mu.Lock()
		c.pullWindow = nextWindow(c.pullWindow)
		c.pullRetry = time.Now().Add(c.pullWindow)
		c.pullErr = msg
		c.pullNever = reason == "ErrImageNeverPull"
		c.waiting = &corev1.ContainerStateWaiting{Reason: reason, Message: msg}
		wait := c.pullWindow
		c.mu.Unlock()
		return wait
	}
	c.mu.Lock()
	c.pullWindow, c.pullErr = 0, ""
	c.mu.Unlock()
	if fetched {
		p.normal(pod, "Pulled", "Successfully pulled image %q in %s", spec.Image, time.Since(began).Round(time.Millisecond))
	} else {
		p.normal(pod, "Pulled", "Container image %q already present on machine", spec.Image)
	}

	rs, env, err := p.containerSpec(pod, st, c, spec, img)
	if err != nil {
		msg := err.Error()
		c.mu.Lock()
		repeat := c.lastEnvErr == msg
		c.lastEnvErr = msg
		c.mu.Unlock()
		if !repeat {
			p.warn(pod, "Failed", "Error: %s", msg)
		}
		setWaiting("CreateContainerConfigError", msg)
		return retryAfter
	}

	c.mu.Lock()
	if c.term != nil {
		// A restart: the run that ended becomes the last state.
		c.last = c.term
		c.term = nil
		c.restarts++
		c.attempt++
		c.window = nextWindow(c.window)
	}
	oldID := c.runID
	c.runID = fmt.Sprintf("%s-%s-%d", pod.UID, c.name, c.attempt)
	rs.ID = c.runID
	c.logPrev = c.logPath
	c.logPath = filepath.Join(p.logDir(pod), c.name, fmt.Sprintf("%d.log", c.attempt))
	logPath := c.logPath
	c.lastEnvErr = ""
	c.img = img
	c.env = env
	c.mu.Unlock()
	if oldID != "" {
		_ = p.rt.Remove(oldID)
	}

	lf, err := logs.Create(logPath)
	if err != nil {
		setWaiting("RunContainerError", err.Error())
		return retryAfter
	}
	rs.Stdout, rs.Stderr = lf.Stdout(), lf.Stderr()
	termFile := filepath.Join(st.podDir, "containers", c.name, fmt.Sprintf("%d-termination-log", c.attempt))
	if err := os.MkdirAll(filepath.Dir(termFile), 0o755); err == nil {
		if f, err := os.Create(termFile); err == nil {
			f.Close()
			path := spec.TerminationMessagePath
			if path == "" {
				path = corev1.TerminationMessagePathDefault
			}
			rs.Mounts = append(rs.Mounts, runtime.Mount{Source: termFile, Destination: path})
		}
	}
	p.normal(pod, "Created", "Created container: %s", c.name)
	run, err := p.rt.Start(ctx, rs)
	done := make(chan struct{})
	now := metav1.Now()
	if err != nil {
		lf.Close()
		close(done)
		p.warn(pod, "Failed", "Error: failed to start container %q: %v", c.name, err)
		c.mu.Lock()
		c.run, c.runDone, c.waiting = nil, done, nil
		c.term = &corev1.ContainerStateTerminated{ExitCode: 128, Reason: "StartError", Message: err.Error(), StartedAt: now, FinishedAt: now, ContainerID: containerID(rs.ID)}
		c.mu.Unlock()
		return 10 * time.Millisecond
	}
	p.normal(pod, "Started", "Started container %s", c.name)
	c.mu.Lock()
	c.run, c.runDone, c.waiting = run, done, nil
	c.startedAt = time.Now()
	c.killing = ""
	c.ready = false
	c.started = spec.StartupProbe == nil
	c.mu.Unlock()
	p.startProbes(pod, st, c, spec, run)
	if spec.Lifecycle != nil && spec.Lifecycle.PostStart != nil {
		go p.postStart(pod, st, c, spec, run)
	}
	go p.watchExit(pod, st, c, spec, run, lf, termFile, done)
	return 0
}

// watchExit waits for a run to end, records how it ended and enqueues
// the pod.
func (p *pods) watchExit(pod *corev1.Pod, st *podState, c *ctr, spec *corev1.Container, run *runtime.Container, lf *logs.File, termFile string, done chan struct{}) {
	<-run.Done()
	lf.Close()
	es := run.Status()
	t := &corev1.ContainerStateTerminated{
		ExitCode:    int32(es.Code),
		StartedAt:   metav1.NewTime(es.StartedAt),
		FinishedAt:  metav1.NewTime(es.FinishedAt),
		ContainerID: containerID(run.ID()),
	}
	if es.Signal != 0 {
		t.Signal = int32(es.Signal)
		if es.Code == 0 {
			t.ExitCode = 128 + int32(es.Signal)
		}
	}
	switch {
	case es.OOMKilled:
		t.Reason = "OOMKilled"
	case t.ExitCode == 0:
		t.Reason = "Completed"
	default:
		t.Reason = "Error"
	}
	t.Message = terminationMessage(termFile, spec, t.ExitCode, c)
	c.mu.Lock()
	if c.run == run {
		c.term = t
		c.ready = false
		if c.probeStop != nil {
			c.probeStop()
			c.probeStop = nil
		}
		if es.FinishedAt.Sub(es.StartedAt) >= backoffReset {
			c.window = 0
		}
	}
	c.mu.Unlock()
	close(done)
	p.loop.Add(st.key)
}

// terminationMessage is what the container wrote to its termination
// message file, or with FallbackToLogsOnError the end of its log.
func terminationMessage(path string, spec *corev1.Container, code int32, c *ctr) string {
	b, _ := readLimited(path, 4096)
	if len(b) == 0 && code != 0 && spec.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError {
		c.mu.Lock()
		lp := c.logPath
		c.mu.Unlock()
		b = tailLog(lp, 80, 2048)
	}
	return string(b)
}

func readLimited(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

// tailLog is the message part of the last lines of a CRI log file.
func tailLog(path string, lines, max int) []byte {
	var b strings.Builder
	r, w := io.Pipe()
	go func() {
		tail := int64(lines)
		w.CloseWithError(logs.Read(context.Background(), path, logs.Options{TailLines: &tail}, w, closedChan))
	}()
	_, _ = io.Copy(&b, io.LimitReader(r, int64(max)*4))
	r.Close()
	s := b.String()
	if len(s) > max {
		s = s[len(s)-max:]
	}
	return []byte(s)
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func containerID(id string) string { return "mini://" + id }

func backoffMessage(window time.Duration, pod *corev1.Pod, name string) string {
	return fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", window, name, pod.Name, pod.Namespace, pod.UID)
}

// pullMessage says what to do about an image the host lacks: mini has no
// registry, images come from the host's Docker.
func pullMessage(ref string, err error) string {
	switch {
	case errors.Is(err, image.ErrNeverPull):
		return fmt.Sprintf("Container image %q is not present with pull policy of Never", ref)
	case errors.Is(err, image.ErrNotFound):
		return fmt.Sprintf("image %q is not in the host's Docker image store: run `docker build` or `docker pull` for it on the host (mini nodes take images from the host's Docker, not a registry)", ref)
	}
	return err.Error()
}

// containerSpec turns a pod's container into a runtime spec: Kubernetes'
// rules for command, env, user and working directory over the image's
// config, the volumes and the pod's /etc files as mounts, and limits.
func (p *pods) containerSpec(pod *corev1.Pod, st *podState, c *ctr, spec *corev1.Container, img *image.Image) (runtime.Spec, []string, error) {
	info := podspec.PodInfo{NodeName: p.node, HostIP: p.nodeIP(), ServiceAccountName: pod.Spec.ServiceAccountName}
	if st.sandbox != nil && st.sandbox.IP != nil {
		info.PodIP = st.sandbox.IP.String()
		info.PodIPs = []string{info.PodIP}
	}
	// $(VAR) in command and args sees the pod's variables, not the
	// image's (the kubelet expands before the runtime merges those): the
	// pod's are resolved once (their configMap and secret reads with them),
	// then laid over the image's.
	own, err := podspec.Env(pod, spec, nil, info, p.alloc, p.lookup)
	if err != nil {
		return runtime.Spec{}, nil, err
	}
	env := podspec.MergeEnv(img.Config.Env, own)
	args, err := podspec.Command(spec, img.Config.Entrypoint, img.Config.Cmd, own)
	if err != nil {
		return runtime.Spec{}, nil, err
	}
	uid, gid, extra, err := podspec.User(pod, spec, img.Config.User, layerOpener(img.Layers))
	if err != nil {
		return runtime.Spec{}, nil, err
	}
	vm, err := volume.PodMounts(pod, spec, st.volumes, env)
	if err != nil {
		return runtime.Spec{}, nil, err
	}
	rs := runtime.Spec{
		Group:    string(pod.UID),
		Layers:   img.Layers,
		Hostname: podHostname(pod),
		NetNS:    st.sandbox.NetNS,
		Args:     args,
		Env:      env,
		Cwd:      podspec.WorkingDir(spec, img.Config.WorkingDir),
		User:     runtime.User{UID: uid, GID: gid, AdditionalGIDs: extra},
		TTY:      spec.TTY,
	}
	for _, m := range p.hostFileMounts(st) {
		if !hasMount(vm, m.Destination) {
			rs.Mounts = append(rs.Mounts, m)
		}
	}
	for _, m := range vm {
		rs.Mounts = append(rs.Mounts, runtime.Mount{Source: m.Source, Destination: m.Destination, ReadOnly: m.ReadOnly})
	}
	if sc := spec.SecurityContext; sc != nil {
		rs.ReadOnlyRootfs = sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem
		if sc.Capabilities != nil {
			for _, c := range sc.Capabilities.Add {
				rs.CapAdd = append(rs.CapAdd, string(c))
			}
			for _, c := range sc.Capabilities.Drop {
				rs.CapDrop = append(rs.CapDrop, string(c))
			}
		}
	}
	if lim, ok := spec.Resources.Limits[corev1.ResourceMemory]; ok {
		rs.Resources.MemoryLimit = lim.Value()
	}
	if lim, ok := spec.Resources.Limits[corev1.ResourceCPU]; ok {
		rs.Resources.CPULimitMilli = lim.MilliValue()
	}
	if req, ok := spec.Resources.Requests[corev1.ResourceCPU]; ok {
		rs.Resources.CPUSharesMilli = req.MilliValue()
	}
	if ok, why := p.rt.Cgroups(); !ok && len(spec.Resources.Limits) > 0 && !st.cgroupWarned {
		st.cgroupWarned = true
		p.warn(pod, "ResourceLimitsNotApplied", "resource limits of container %s are not enforced on node %s: %s", c.name, p.node, why)
	}
	return rs, env, nil
}

func hasMount(ms []volume.Mount, dest string) bool {
	for _, m := range ms {
		if m.Destination == dest {
			return true
		}
	}
	return false
}

// layerOpener opens a file of the image's merged root filesystem (the
// topmost layer holding it), for /etc/passwd and /etc/group lookups.
func layerOpener(layers []string) func(string) (io.ReadCloser, error) {
	return func(path string) (io.ReadCloser, error) {
		for i := len(layers) - 1; i >= 0; i-- {
			f, err := os.Open(filepath.Join(layers[i], path))
			if err == nil {
				return f, nil
			}
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: syscall.ENOENT}
	}
}
