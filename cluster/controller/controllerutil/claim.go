package controllerutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Claimer adopts and releases objects of one kind for one owner, as
// Kubernetes' ControllerRefManager.
type Claimer[T metav1.Object] struct {
	Owner    metav1.Object
	OwnerGVK schema.GroupVersionKind
	Selector labels.Selector
	// Patch applies a strategic merge patch to the object named name.
	Patch func(ctx context.Context, name string, patch []byte) error
	// CanAdopt re-reads the owner (uncached) and fails if it is gone or
	// being deleted; it is called once, before the first adoption.
	CanAdopt func(ctx context.Context) error
}

// Claim returns the objects the owner controls after adopting matching
// orphans and releasing owned objects whose labels no longer match.
// Objects gone meanwhile are skipped; other errors are joined.
func (c Claimer[T]) Claim(ctx context.Context, objs []T) ([]T, error) {
	var claimed []T
	var errs []error
	checked := false
	var adoptErr error
	for _, o := range objs {
		match := c.Selector.Matches(labels.Set(o.GetLabels()))
		if ref := metav1.GetControllerOfNoCopy(o); ref != nil {
			if ref.UID != c.Owner.GetUID() {
				continue // someone else's
			}
			if match {
				claimed = append(claimed, o)
				continue
			}
			if c.Owner.GetDeletionTimestamp() != nil {
				continue // an owner being deleted releases nothing
			}
			if err := c.Patch(ctx, o.GetName(), ReleasePatch(c.Owner.GetUID(), o.GetUID())); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("release %s: %w", o.GetName(), err))
			}
			continue
		}
		// An orphan: adopt it if it matches and both sides are alive.
		if !match || c.Owner.GetDeletionTimestamp() != nil || o.GetDeletionTimestamp() != nil || o.GetNamespace() != c.Owner.GetNamespace() {
			continue
		}
		if !checked {
			checked = true
			if c.CanAdopt != nil {
				adoptErr = c.CanAdopt(ctx)
			}
		}
		if adoptErr != nil {
			errs = append(errs, fmt.Errorf("adopt %s: %w", o.GetName(), adoptErr))
			continue
		}
		err := c.Patch(ctx, o.GetName(), AdoptPatch(*NewControllerRef(c.Owner, c.OwnerGVK), o.GetUID()))
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("adopt %s: %w", o.GetName(), err))
		default:
			claimed = append(claimed, o)
		}
	}
	return claimed, errors.Join(errs...)
}

// NewControllerRef is the controller ownerReference a controller puts on
// what it creates: controller and blockOwnerDeletion true.
func NewControllerRef(owner metav1.Object, gvk schema.GroupVersionKind) *metav1.OwnerReference {
	t := true
	return &metav1.OwnerReference{
		APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind,
		Name: owner.GetName(), UID: owner.GetUID(),
		Controller: &t, BlockOwnerDeletion: &t,
	}
}

// AdoptPatch adds ref to the object's ownerReferences (merged by uid); the
// object's uid is a precondition, as Kubernetes' adoption patch.
func AdoptPatch(ref metav1.OwnerReference, uid types.UID) []byte {
	b, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"ownerReferences": []metav1.OwnerReference{ref}, "uid": uid,
	}})
	return b
}

// ReleasePatch removes the reference to ownerUID from the object's
// ownerReferences, with the object's uid as a precondition.
func ReleasePatch(ownerUID, uid types.UID) []byte {
	b, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"ownerReferences": []map[string]any{{"$patch": "delete", "uid": ownerUID}}, "uid": uid,
	}})
	return b
}

// RecheckOwner returns a CanAdopt that GETs the owner live and fails if it
// was replaced (another UID) or is being deleted.
func RecheckOwner(owner metav1.Object, get func(ctx context.Context) (metav1.Object, error)) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		fresh, err := get(ctx)
		if err != nil {
			return err
		}
		if fresh.GetUID() != owner.GetUID() {
			return fmt.Errorf("original %s is gone: got uid %s, wanted %s", owner.GetName(), fresh.GetUID(), owner.GetUID())
		}
		if fresh.GetDeletionTimestamp() != nil {
			return fmt.Errorf("%s has just been deleted at %v", owner.GetName(), fresh.GetDeletionTimestamp())
		}
		return nil
	}
}
