package agent

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/minidev/mini/cluster/agent/image"
	"github.com/minidev/mini/cluster/agent/network"
	"github.com/minidev/mini/cluster/agent/runtime"
	"github.com/minidev/mini/cluster/agent/volume"
	"github.com/minidev/mini/cluster/controller/controllerutil"
	"github.com/minidev/mini/cluster/controller/loop"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
)

// Where a node keeps what outlives a pod's processes (the node volume).
const (
	stateRoot = "/var/lib/mini"
	netnsDir  = "/run/mini/netns"
)

// pods is the agent's kubelet: it runs the pods bound to its node as
// containers and reports their status. Reconcile is level-triggered: it
// compares the pod's spec with what runs and acts, never waiting for a
// process; exits and probe results enqueue the pod again.
type pods struct {
	client     kubernetes.Interface
	node       string
	log        *slog.Logger
	rt         *runtime.Runtime
	images     *image.Store
	net        *network.Network
	volumes    *volume.Manager
	lookup     apiLookup
	recorder   record.EventRecorder
	rec        *controllerutil.Recorder
	loop       *loop.Loop
	lister     listersv1.PodLister
	nodes      listersv1.NodeLister
	factory    informers.SharedInformerFactory // nodes
	podFactory informers.SharedInformerFactory // this node's pods
	dnsIP      string
	hostIP     string // the node's InternalIP
	alloc      corev1.ResourceList

	mu    sync.Mutex
	state map[string]*podState // by namespace/name
}

func (p *pods) logDir(pod *corev1.Pod) string {
	return filepath.Join(stateRoot, "logs", fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID))
}

func (p *pods) nodeIP() string { return p.hostIP }

// removeLogs deletes a deleted pod's logs.
func (p *pods) removeLogs(st *podState) {
	ns, name, _ := strings.Cut(st.key, "/")
	_ = os.RemoveAll(filepath.Join(stateRoot, "logs", fmt.Sprintf("%s_%s_%s", ns, name, st.uid)))
}

func (p *pods) start(ctx context.Context) {
	p.rec.Start(ctx)
	go p.syncRoutes(ctx)
	p.factory.Start(ctx.Done())
	p.factory.WaitForCacheSync(ctx.Done())
	p.loop.Run(ctx, 8)
}

func (p *pods) reconcile(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := p.lister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		pod = nil
	} else if err != nil {
		return 0, err
	}
	if pod != nil && pod.Spec.NodeName != p.node {
		pod = nil
	}
	p.mu.Lock()
	st := p.state[key]
	p.mu.Unlock()
	if st != nil && (pod == nil || pod.UID != st.uid) {
		// The pod is gone from the API (or replaced by a namesake): stop
		// what runs at once, as the kubelet does for a force deletion.
		p.teardown(st, 0)
		if !p.allStopped(st) {
			return 100 * time.Millisecond, nil
		}
		p.release(st)
		p.removeLogs(st)
		p.mu.Lock()
		delete(p.state, key)
		p.mu.Unlock()
		if pod == nil {
			return 0, nil
		}
		st = nil
	}
	if pod == nil {
		return 0, nil
	}
	if st == nil {
		st = p.newState(pod)
		p.mu.Lock()
		p.state[key] = st
		p.mu.Unlock()
	}
	if pod.DeletionTimestamp != nil {
		return p.terminate(ctx, pod, st)
	}
	requeue := p.sync(ctx, pod, st)
	if err := p.writeStatus(ctx, pod, st); err != nil {
		return 0, err
	}
	return requeue, nil
}

// terminate stops a pod being deleted: preStop, SIGTERM, SIGKILL after the
// grace period; then frees its sandbox and completes the deletion.
func (p *pods) terminate(ctx context.Context, pod *corev1.Pod, st *podState) (time.Duration, error) {
	grace := time.Duration(ptr.Deref(pod.DeletionGracePeriodSeconds, ptr.Deref(pod.Spec.TerminationGracePeriodSeconds, 30))) * time.Second
	if st.killDeadline.IsZero() {
		st.killDeadline = time.Now().Add(grace)
		p.stopAll(ctx, pod, st, "Stopping container %s")
	}
	if !p.allStopped(st) {
		if time.Now().After(st.killDeadline) {
			p.teardown(st, 0)
		}
		return min(time.Until(st.killDeadline)+10*time.Millisecond, 200*time.Millisecond), p.writeStatus(ctx, pod, st)
	}
	if err := p.writeStatus(ctx, pod, st); err != nil && !apierrors.IsNotFound(err) {
		p.log.Debug("Failed to write the final status", "pod", st.key, "err", err)
	}
	p.release(st)
	err := p.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0), Preconditions: &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return 0, err
	}
	p.removeLogs(st)
	p.mu.Lock()
	delete(p.state, st.key)
	p.mu.Unlock()
	return 0, nil
}

// allStopped reports whether no container of the pod runs.
func (p *pods) allStopped(st *podState) bool {
	for _, c := range append(append([]*ctr{}, st.init...), st.ctrs...) {
		c.mu.Lock()
		r := c.running()
		c.mu.Unlock()
		if r {
			return false
		}
	}
	return true
}

// teardown signals every running container: SIGTERM, or SIGKILL when
// grace is 0.
func (p *pods) teardown(st *podState, grace time.Duration) {
	for _, c := range append(append([]*ctr{}, st.init...), st.ctrs...) {
		p.kill(c, grace, "")
	}
}

// release frees what the pod holds on the node: containers' rootfs and
// cgroups, its IP and netns, its volumes and logs.
func (p *pods) release(st *podState) {
	for _, c := range append(append([]*ctr{}, st.init...), st.ctrs...) {
		c.mu.Lock()
		if c.probeStop != nil {
			c.probeStop()
			c.probeStop = nil
		}
		id := c.runID
		c.mu.Unlock()
		if id != "" {
			if err := p.rt.Remove(id); err != nil {
				p.log.Warn("Failed to remove a container", "pod", st.key, "container", c.name, "err", err)
			}
		}
	}
	if st.sandbox != nil {
		if err := p.net.Remove(string(st.uid)); err != nil {
			p.log.Warn("Failed to remove the pod network", "pod", st.key, "err", err)
		}
	}
	if err := p.volumes.Teardown(st.uid); err != nil {
		p.log.Warn("Failed to remove the pod's volumes", "pod", st.key, "err", err)
	}
	st.terminated = true
}

func (p *pods) newState(pod *corev1.Pod) *podState {
	st := &podState{uid: pod.UID, key: pod.Namespace + "/" + pod.Name, podDir: filepath.Join(stateRoot, "pods", string(pod.UID))}
	// Restart counts carry on from the status a previous life of the agent
	// reported: nothing of the pod survived the node container's restart.
	prev := map[string]corev1.ContainerStatus{}
	for _, s := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		prev[s.Name] = s
	}
	mk := func(c corev1.Container, init bool) *ctr {
		x := &ctr{name: c.Name, init: init, started: c.StartupProbe == nil}
		if s, ok := prev[c.Name]; ok {
			x.restarts = s.RestartCount
			x.attempt = int(s.RestartCount)
			if s.State.Running != nil || s.State.Terminated != nil {
				// It ran in the previous life: that run counts as one.
				x.restarts++
				x.attempt++
				if s.State.Terminated != nil {
					x.last = s.State.Terminated.DeepCopy()
				} else {
					x.last = &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "Error", Message: "the node agent restarted", StartedAt: s.State.Running.StartedAt, FinishedAt: metav1.Now()}
				}
			}
			if s.LastTerminationState.Terminated != nil && x.last == nil {
				x.last = s.LastTerminationState.Terminated.DeepCopy()
			}
		}
		return x
	}
	for _, c := range pod.Spec.InitContainers {
		st.init = append(st.init, mk(c, true))
	}
	for _, c := range pod.Spec.Containers {
		st.ctrs = append(st.ctrs, mk(c, false))
	}
	if pod.Status.StartTime != nil {
		st.startTime = pod.Status.StartTime.Time
	}
	return st
}

// errorf records a Warning Event on the pod and returns the error.
func (p *pods) warn(pod *corev1.Pod, reason, format string, args ...any) {
	p.recorder.Eventf(pod, corev1.EventTypeWarning, reason, format, args...)
}

func (p *pods) normal(pod *corev1.Pod, reason, format string, args ...any) {
	p.recorder.Eventf(pod, corev1.EventTypeNormal, reason, format, args...)
}

// writeStatus computes the pod's status and writes it when it changed.
func (p *pods) writeStatus(ctx context.Context, pod *corev1.Pod, st *podState) error {
	status := p.status(pod, st)
	if !statusChanged(&pod.Status, &status) {
		return nil
	}
	np := pod.DeepCopy()
	np.Status = status
	_, err := p.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, np, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		// The informer will bring the newer pod, and with it another pass.
		return nil
	}
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update status of pod %s: %w", st.key, err)
	}
	return nil
}
