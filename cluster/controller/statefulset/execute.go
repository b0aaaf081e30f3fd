package statefulset

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// execute carries out a plan's ops in order, stopping at the first error.
func (c *Controller) execute(ctx context.Context, set *appsv1.StatefulSet, ops []op) error {
	key := controllerutil.ObjectKey(set)
	creates := 0
	for _, o := range ops {
		if o.kind == opCreate {
			creates++
		}
	}
	if creates > 0 {
		c.expect.ExpectCreations(key, creates)
	}
	for i, o := range ops {
		var err error
		switch o.kind {
		case opCreate:
			err = c.createPod(ctx, set, o.pod)
			if err != nil {
				for _, rest := range ops[i:] {
					if rest.kind == opCreate {
						c.expect.CreationObserved(key) // never to be seen
					}
				}
			}
		case opClaims:
			err = c.createClaims(ctx, set, o.pod)
		case opUpdate:
			_, err = c.client.CoreV1().Pods(set.Namespace).Update(ctx, o.pod, metav1.UpdateOptions{})
			c.podEvent(set, "Update", o.pod, err)
		case opDelete:
			err = c.removePod(ctx, set, o.pod, o.why)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *Controller) createPod(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	if err := c.createClaims(ctx, set, pod); err != nil {
		return err
	}
	_, err := c.client.CoreV1().Pods(set.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create pod %s of stateful set %s: %w", pod.Name, set.Name, err)
	}
	if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		return nil
	}
	c.podEvent(set, "Create", pod, err)
	if err != nil {
		return fmt.Errorf("create pod %s of stateful set %s: %w", pod.Name, set.Name, err)
	}
	return nil
}

func (c *Controller) removePod(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod, why string) error {
	if why == whyCondemned && retention(set).WhenScaled == appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
		if err := c.ownClaimsBy(ctx, set, pod); err != nil {
			return err
		}
	}
	err := c.client.CoreV1().Pods(set.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if apierrors.IsNotFound(err) {
		return nil
	}
	c.podEvent(set, "Delete", pod, err)
	if err != nil {
		return fmt.Errorf("delete pod %s of stateful set %s: %w", pod.Name, set.Name, err)
	}
	return nil
}

func retention(set *appsv1.StatefulSet) appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy {
	if p := set.Spec.PersistentVolumeClaimRetentionPolicy; p != nil {
		return *p
	}
	return appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
}

// createClaims creates the pod's missing claims, owned by the set when
// whenDeleted is Delete (so the garbage collector takes them with it).
func (c *Controller) createClaims(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	var errs []error
	for _, claim := range claimsFor(set, ordinalOf(pod)) {
		existing, err := c.pvcList.PersistentVolumeClaims(set.Namespace).Get(claim.Name)
		if err == nil {
			if existing.DeletionTimestamp != nil {
				errs = append(errs, fmt.Errorf("claim %s of pod %s in stateful set %s is being deleted", claim.Name, pod.Name, set.Name))
			}
			continue
		}
		if retention(set).WhenDeleted == appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
			claim.OwnerReferences = []metav1.OwnerReference{nonControllerRef(set.Name, set.UID, "StatefulSet", "apps/v1")}
		}
		_, err = c.client.CoreV1().PersistentVolumeClaims(set.Namespace).Create(ctx, claim, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			continue
		}
		if err != nil {
			c.recorder.Eventf(set, corev1.EventTypeWarning, "FailedCreate", "create Claim %s for Pod %s in StatefulSet %s failed error: %s", claim.Name, pod.Name, set.Name, err)
			errs = append(errs, fmt.Errorf("create claim %s for pod %s of stateful set %s: %w", claim.Name, pod.Name, set.Name, err))
			continue
		}
		c.recorder.Eventf(set, corev1.EventTypeNormal, "SuccessfulCreate", "create Claim %s Pod %s in StatefulSet %s success", claim.Name, pod.Name, set.Name)
	}
	return errors.Join(errs...)
}

// ownClaimsBy makes a condemned pod an owner of its claims, so that they
// go with it (whenScaled: Delete).
func (c *Controller) ownClaimsBy(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	for _, want := range claimsFor(set, ordinalOf(pod)) {
		claim, err := c.pvcList.PersistentVolumeClaims(set.Namespace).Get(want.Name)
		if err != nil {
			continue
		}
		owned := false
		for _, r := range claim.OwnerReferences {
			owned = owned || r.UID == pod.UID
		}
		if owned {
			continue
		}
		cp := claim.DeepCopy()
		cp.OwnerReferences = append(cp.OwnerReferences, nonControllerRef(pod.Name, pod.UID, "Pod", "v1"))
		if _, err := c.client.CoreV1().PersistentVolumeClaims(set.Namespace).Update(ctx, cp, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("make pod %s the owner of claim %s in stateful set %s: %w", pod.Name, claim.Name, set.Name, err)
		}
	}
	return nil
}

func nonControllerRef(name string, uid types.UID, kind, apiVersion string) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid}
}

// podEvent records what Kubernetes' StatefulPodControl records.
func (c *Controller) podEvent(set *appsv1.StatefulSet, verb string, pod *corev1.Pod, err error) {
	if err == nil {
		c.recorder.Eventf(set, corev1.EventTypeNormal, "Successful"+verb, "%s Pod %s in StatefulSet %s successful", strings.ToLower(verb), pod.Name, set.Name)
		return
	}
	c.recorder.Eventf(set, corev1.EventTypeWarning, "Failed"+verb, "%s Pod %s in StatefulSet %s failed error: %s", strings.ToLower(verb), pod.Name, set.Name, err)
}
