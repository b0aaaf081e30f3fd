package agent

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// retryAfter is how soon a pod whose setup failed is tried again.
const retryAfter = 2 * time.Second

// volumeRefresh is how often configMap, secret and downwardAPI volumes
// are brought up to date with their objects.
const volumeRefresh = 3 * time.Second

// sync moves the pod one step towards its spec: sandbox, then init
// containers in order, then the app containers, restarting those the
// policy says to after their back-off. It returns when to look again.
func (p *pods) sync(ctx context.Context, pod *corev1.Pod, st *podState) time.Duration {
	if st.terminated {
		return 0
	}
	if st.startTime.IsZero() {
		st.startTime = time.Now()
	}
	if st.sandbox == nil {
		if err := p.makeSandbox(ctx, pod, st); err != nil {
			return retryAfter
		}
	} else if time.Since(st.volumesAt) > volumeRefresh {
		st.volumesAt = time.Now()
		if _, err := p.volumes.Update(ctx, pod); err != nil {
			p.log.Debug("Failed to refresh volumes", "pod", st.key, "err", err)
		}
	}
	var next time.Duration // 0: nothing to look at again unless told
	soon := func(d time.Duration) {
		if d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	if projectsObjects(pod) {
		soon(volumeRefresh)
	}

	// Init containers run one at a time, in order, each to success.
	for i, c := range st.init {
		spec := &pod.Spec.InitContainers[i]
		c.mu.Lock()
		running, term := c.running(), c.term
		c.mu.Unlock()
		if running {
			return next
		}
		if term != nil && term.ExitCode == 0 {
			continue
		}
		if term != nil && pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
			p.finish(pod, st)
			return 0
		}
		soon(p.startOrWait(ctx, pod, st, c, spec))
		return next
	}

	allDone := true
	for i, c := range st.ctrs {
		spec := &pod.Spec.Containers[i]
		c.mu.Lock()
		running, term := c.running(), c.term
		c.mu.Unlock()
		switch {
		case running:
			allDone = false
		case term == nil || shouldRestart(pod.Spec.RestartPolicy, term.ExitCode):
			allDone = false
			soon(p.startOrWait(ctx, pod, st, c, spec))
		}
	}
	if allDone {
		// Every container ended for good: the pod is Succeeded or Failed.
		p.finish(pod, st)
		return 0
	}
	return next
}

// finish releases the sandbox of a pod whose containers will not run
// again; its status keeps saying how they ended.
func (p *pods) finish(pod *corev1.Pod, st *podState) {
	if !p.allStopped(st) {
		return
	}
	p.release(st)
}

// startOrWait starts the container unless it must wait out a back-off;
// it returns when to look again.
func (p *pods) startOrWait(ctx context.Context, pod *corev1.Pod, st *podState, c *ctr, spec *corev1.Container) time.Duration {
	c.mu.Lock()
	term, window := c.term, c.window
	c.mu.Unlock()
	if term != nil {
		ready := term.FinishedAt.Add(window)
		if wait := time.Until(ready); wait > 0 {
			c.mu.Lock()
			c.waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: backoffMessage(window, pod, c.name)}
			c.mu.Unlock()
			p.recorder.Eventf(pod, corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container %s in pod %s_%s(%s)", c.name, pod.Name, pod.Namespace, pod.UID)
			return wait
		}
	}
	if wait := p.startContainer(ctx, pod, st, c, spec); wait > 0 {
		return wait
	}
	return 0
}

// projectsObjects reports whether the pod has volumes whose files follow
// API objects (configMap, secret, downwardAPI, projected).
func projectsObjects(pod *corev1.Pod) bool {
	for _, v := range pod.Spec.Volumes {
		if v.ConfigMap != nil || v.Secret != nil || v.DownwardAPI != nil || v.Projected != nil {
			return true
		}
	}
	return false
}
