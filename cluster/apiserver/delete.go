package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
)

// deleteOptions reads DeleteOptions from the body (kubectl sends one) and
// the query.
func deleteOptions(r *http.Request) (metav1.DeleteOptions, error) {
	var opts metav1.DeleteOptions
	if r.ContentLength != 0 && r.Body != nil {
		data, err := readBody(r)
		if err == nil {
			if err := decodeInto(data, &opts, "DeleteOptions"); err != nil {
				return opts, err
			}
		} else if !apierrors.IsBadRequest(err) || r.ContentLength > 0 {
			return opts, err
		}
	}
	q := r.URL.Query()
	if v := q.Get("gracePeriodSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return opts, apierrors.NewBadRequest("gracePeriodSeconds must be an integer: " + v)
		}
		opts.GracePeriodSeconds = &n
	}
	if v := q.Get("propagationPolicy"); v != "" {
		p := metav1.DeletionPropagation(v)
		opts.PropagationPolicy = &p
	}
	if opts.PropagationPolicy != nil {
		switch *opts.PropagationPolicy {
		case metav1.DeletePropagationBackground, metav1.DeletePropagationForeground, metav1.DeletePropagationOrphan:
		default:
			return opts, apierrors.NewBadRequest(fmt.Sprintf("propagationPolicy %q is not one of Background, Foreground, Orphan", *opts.PropagationPolicy))
		}
	}
	if isDryRun(r) {
		opts.DryRun = []string{"All"}
	}
	return opts, nil
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	ctx, cancel := requestContext(r)
	defer cancel()
	opts, err := deleteOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	obj, gone, err := s.delete(ctx, res, ri.Namespace, ri.Name, opts)
	if err != nil {
		writeError(w, err)
		return
	}
	code := http.StatusOK
	if !gone {
		code = http.StatusAccepted
	}
	s.writeObject(w, r, res, code, obj)
}

// delete removes an object the way Kubernetes does: objects with
// finalizers (or a Foreground/Orphan propagation, which add one) get a
// deletionTimestamp and stay until their finalizers are removed; pods
// bound to a node get a grace period for their node to stop them;
// namespaces go Terminating. gone reports whether the object left the store.
func (s *Server) delete(ctx context.Context, res *Resource, ns, name string, opts metav1.DeleteOptions) (obj kruntime.Object, gone bool, err error) {
	for {
		cur, rev, err := s.getObject(ctx, res, ns, name)
		if err != nil {
			return nil, false, err
		}
		m := accessor(cur)
		if p := opts.Preconditions; p != nil {
			if p.UID != nil && *p.UID != m.GetUID() {
				return nil, false, apierrors.NewConflict(schemaGR(res.Group, res.Name), name, fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, m.GetUID()))
			}
			if p.ResourceVersion != nil && *p.ResourceVersion != m.GetResourceVersion() {
				return nil, false, apierrors.NewConflict(schemaGR(res.Group, res.Name), name, fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *p.ResourceVersion, m.GetResourceVersion()))
			}
		}
		pending, changed := s.markDeleting(res, cur, opts)
		if len(opts.DryRun) > 0 {
			return cur, !pending, nil
		}
		if pending {
			if !changed {
				return cur, false, nil
			}
			data, err := toStore(res, cur)
			if err != nil {
				return nil, false, apierrors.NewInternalError(err)
			}
			newRev, err := s.store.Update(ctx, res.storeKey(ns, name), rev, data)
			if errors.Is(err, store.ErrConflict) {
				continue
			}
			if err != nil {
				return nil, false, storeError(res, name, err)
			}
			setRV(cur, newRev)
			return cur, false, nil
		}
		kv, err := s.store.Delete(ctx, res.storeKey(ns, name), rev)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, false, storeError(res, name, err)
		}
		s.releaseFor(cur)
		setRV(cur, kv.Rev)
		return cur, true, nil
	}
}

// markDeleting sets what a pending deletion needs on obj. pending is false
// when the object can go at once; changed reports whether obj was modified.
func (s *Server) markDeleting(res *Resource, obj kruntime.Object, opts metav1.DeleteOptions) (pending, changed bool) {
	m := accessor(obj)
	now := metav1.NewTime(s.now().UTC().Truncate(time.Second))
	addFinalizer := func(f string) {
		for _, have := range m.GetFinalizers() {
			if have == f {
				return
			}
		}
		m.SetFinalizers(append(m.GetFinalizers(), f))
		changed = true
	}
	if opts.PropagationPolicy != nil {
		switch *opts.PropagationPolicy {
		case metav1.DeletePropagationForeground:
			addFinalizer(metav1.FinalizerDeleteDependents)
		case metav1.DeletePropagationOrphan:
			addFinalizer(metav1.FinalizerOrphanDependents)
		}
	} else if opts.OrphanDependents != nil && *opts.OrphanDependents {
		addFinalizer(metav1.FinalizerOrphanDependents)
	}
	setDeletion := func(at metav1.Time, grace int64) {
		if m.GetDeletionTimestamp() == nil || at.Before(m.GetDeletionTimestamp()) {
			m.SetDeletionTimestamp(&at)
			m.SetDeletionGracePeriodSeconds(&grace)
			changed = true
		}
	}
	switch o := obj.(type) {
	case *corev1.Namespace:
		// The namespace controller empties it, then removes the "kubernetes" finalizer.
		if o.Status.Phase != corev1.NamespaceTerminating {
			o.Status.Phase = corev1.NamespaceTerminating
			changed = true
		}
		setDeletion(now, 0)
		return true, changed
	case *corev1.Pod:
		grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
		if o.Spec.TerminationGracePeriodSeconds != nil {
			grace = *o.Spec.TerminationGracePeriodSeconds
		}
		if opts.GracePeriodSeconds != nil {
			grace = *opts.GracePeriodSeconds
		}
		finished := o.Status.Phase == corev1.PodSucceeded || o.Status.Phase == corev1.PodFailed
		if o.Spec.NodeName != "" && !finished && grace > 0 {
			// The node agent stops the containers, then deletes with grace 0.
			setDeletion(metav1.NewTime(now.Add(time.Duration(grace)*time.Second)), grace)
			return true, changed
		}
	}
	if len(m.GetFinalizers()) > 0 {
		setDeletion(now, 0)
		return true, changed
	}
	return false, changed
}

func (s *Server) handleDeleteCollection(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	ctx, cancel := requestContext(r)
	defer cancel()
	opts, err := deleteOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	items, _, _, err := s.listObjects(ctx, res, ri.Namespace, r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	var deleted []kruntime.Object
	for _, obj := range items {
		m := accessor(obj)
		out, _, err := s.delete(ctx, res, m.GetNamespace(), m.GetName(), opts)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			writeError(w, err)
			return
		}
		deleted = append(deleted, out)
	}
	s.writeList(w, r, res, deleted, s.store.Rev(), "")
}
