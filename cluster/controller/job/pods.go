package job

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// completionIndexEnv is the variable Indexed Jobs' containers get.
const completionIndexEnv = "JOB_COMPLETION_INDEX"

// newPod is the pod the Job runs for index (-1 for NonIndexed): the
// template with the owner reference, named <job>-<random> or, Indexed,
// <job>-<index>-<random> with the index as annotation, label, hostname
// (<job>-<index>) and JOB_COMPLETION_INDEX from the annotation.
func newPod(job *batchv1.Job, index int) *corev1.Pod {
	t := job.Spec.Template.DeepCopy()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: job.Name + "-", Namespace: job.Namespace,
			Labels: t.Labels, Annotations: t.Annotations,
			OwnerReferences: []metav1.OwnerReference{*controllerutil.NewControllerRef(job, gvk)},
		},
		Spec: t.Spec,
	}
	if index < 0 {
		return p
	}
	ix := strconv.Itoa(index)
	p.GenerateName = job.Name + "-" + ix + "-"
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Annotations[batchv1.JobCompletionIndexAnnotation] = ix
	p.Labels[batchv1.JobCompletionIndexAnnotation] = ix
	if p.Spec.Hostname == "" {
		p.Spec.Hostname = job.Name + "-" + ix
	}
	env := corev1.EnvVar{Name: completionIndexEnv, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
		FieldPath: fmt.Sprintf("metadata.annotations['%s']", batchv1.JobCompletionIndexAnnotation)}}}
	for _, list := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range list {
			if !hasEnv(list[i].Env, completionIndexEnv) {
				list[i].Env = append(list[i].Env, env)
			}
		}
	}
	return p
}

func hasEnv(env []corev1.EnvVar, name string) bool {
	for _, e := range env {
		if e.Name == name {
			return true
		}
	}
	return false
}

// createPods creates a pod per index (-1 for NonIndexed) in slow-start
// batches (1, 2, 4, ...), stopping after a batch with a failure; it
// returns how many were created.
func (c *Controller) createPods(ctx context.Context, job *batchv1.Job, indexes []int) (int, error) {
	key := controllerutil.ObjectKey(job)
	c.expect.ExpectCreations(key, len(indexes))
	done := 0
	var errs []error
	for batch := 1; done < len(indexes) && len(errs) == 0; batch *= 2 {
		batch = min(batch, len(indexes)-done)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, ix := range indexes[done : done+batch] {
			wg.Go(func() {
				p, err := c.client.CoreV1().Pods(job.Namespace).Create(ctx, newPod(job, ix), metav1.CreateOptions{})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					c.expect.CreationObserved(key) // never to be seen
					if !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
						c.recorder.Eventf(job, corev1.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
					}
					errs = append(errs, fmt.Errorf("create pod for job %s: %w", key, err))
					return
				}
				c.recorder.Eventf(job, corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %s", p.Name)
			})
		}
		wg.Wait()
		done += batch
	}
	for i := done; i < len(indexes); i++ {
		c.expect.CreationObserved(key)
	}
	return done - len(errs), errors.Join(errs...)
}

// deletePods deletes pods (UID as precondition) and returns how many went.
func (c *Controller) deletePods(ctx context.Context, job *batchv1.Job, pods []*corev1.Pod) (int, error) {
	if len(pods) == 0 {
		return 0, nil
	}
	key := controllerutil.ObjectKey(job)
	keys := make([]string, len(pods))
	for i, p := range pods {
		keys[i] = controllerutil.ObjectKey(p)
	}
	c.expect.ExpectDeletions(key, keys)
	var mu sync.Mutex
	var errs []error
	deleted := 0
	var wg sync.WaitGroup
	for i, p := range pods {
		wg.Go(func() {
			err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				c.expect.DeletionObserved(key, keys[i])
				if !apierrors.IsNotFound(err) {
					c.recorder.Eventf(job, corev1.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
					errs = append(errs, fmt.Errorf("delete pod %s of job %s: %w", p.Name, key, err))
				}
				return
			}
			deleted++
			c.recorder.Eventf(job, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %s", p.Name)
		})
	}
	wg.Wait()
	return deleted, errors.Join(errs...)
}
