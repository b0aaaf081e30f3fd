package scheduler

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// reportUnschedulable writes PodScheduled=False/Unschedulable with the fit
// message through pods/status (only when it changed) and records a
// FailedScheduling Event.
func (s *Scheduler) reportUnschedulable(ctx context.Context, pod *corev1.Pod, msg string) error {
	cond := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: corev1.PodReasonUnschedulable, Message: msg}
	cur := pod.DeepCopy()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if !setCondition(&cur.Status, cond, metav1.NewTime(s.cfg.Now())) {
			return nil
		}
		_, err := s.cfg.Client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			fresh, gerr := s.cfg.Client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			cur = fresh
		}
		return err
	})
	s.event(ctx, pod, corev1.EventTypeWarning, "FailedScheduling", msg)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// setCondition is podutil.UpdatePodCondition: it sets or adds the
// condition, keeping lastTransitionTime while the status stays the same,
// and says whether anything changed.
func setCondition(st *corev1.PodStatus, c corev1.PodCondition, now metav1.Time) bool {
	for i := range st.Conditions {
		old := &st.Conditions[i]
		if old.Type != c.Type {
			continue
		}
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return false
		}
		c.LastTransitionTime = now
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		*old = c
		return true
	}
	c.LastTransitionTime = now
	st.Conditions = append(st.Conditions, c)
	return true
}

// event records a core/v1 Event about the pod from default-scheduler. A
// FailedScheduling repeating the pod's last one bumps its count and
// lastTimestamp instead, as client-go's event correlator does. Failures
// are logged: an Event is never worth failing a scheduling cycle for.
func (s *Scheduler) event(ctx context.Context, pod *corev1.Pod, typ, reason, msg string) {
	now := metav1.NewTime(s.cfg.Now())
	events := s.cfg.Client.CoreV1().Events(pod.Namespace)
	s.mu.Lock()
	last := s.failures[pod.UID]
	s.mu.Unlock()
	if last != nil && reason == last.Reason && msg == last.Message {
		upd := last.DeepCopy()
		upd.Count++
		upd.LastTimestamp = now
		if got, err := events.Update(ctx, upd, metav1.UpdateOptions{}); err == nil {
			s.rememberFailure(pod, got)
			return
		}
	}
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", pod.Name, now.UnixNano()), Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name,
			UID: pod.UID, ResourceVersion: pod.ResourceVersion},
		Reason: reason, Message: msg, Type: typ, Count: 1,
		Source:         corev1.EventSource{Component: Name},
		FirstTimestamp: now, LastTimestamp: now,
		ReportingController: Name,
	}
	got, err := events.Create(ctx, ev, metav1.CreateOptions{})
	if err != nil {
		s.log.Error("Failed to record event", "err", err, "pod", pod.Namespace+"/"+pod.Name, "reason", reason)
		return
	}
	if reason == "FailedScheduling" {
		s.rememberFailure(pod, got)
	}
}

func (s *Scheduler) rememberFailure(pod *corev1.Pod, ev *corev1.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[pod.UID] = ev
}
