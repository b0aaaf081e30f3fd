package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"

	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/uuid"
)

// serveResource dispatches a resource request by verb and subresource.
func (s *Server) serveResource(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	if ri.Subresource != "" {
		s.serveSubresource(w, r, res, ri)
		return
	}
	if res.Namespaced && ri.Namespace == "" && ri.Verb != "list" && ri.Verb != "watch" {
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("%s is namespaced: use /namespaces/NAMESPACE/%s", res.Name, res.Name)))
		return
	}
	switch ri.Verb {
	case "get":
		s.handleGet(w, r, res, ri)
	case "list":
		s.handleList(w, r, res, ri)
	case "watch":
		s.handleWatch(w, r, res, ri)
	case "create":
		if ri.Name != "" {
			writeError(w, apierrors.NewMethodNotSupported(schemaGR(res.Group, res.Name), "POST to a named "+res.Singular))
			return
		}
		s.handleCreate(w, r, res, ri)
	case "update":
		s.handleUpdate(w, r, res, ri, "")
	case "patch":
		s.handlePatch(w, r, res, ri, "")
	case "delete":
		s.handleDelete(w, r, res, ri)
	case "deletecollection":
		s.handleDeleteCollection(w, r, res, ri)
	default:
		writeError(w, apierrors.NewMethodNotSupported(schemaGR(res.Group, res.Name), r.Method))
	}
}

// getObject reads one object.
func (s *Server) getObject(ctx context.Context, res *Resource, ns, name string) (kruntime.Object, int64, error) {
	kv, err := s.store.Get(ctx, res.storeKey(ns, name))
	if err != nil {
		return nil, 0, storeError(res, name, err)
	}
	obj, err := fromStore(res, kv)
	return obj, kv.Rev, err
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	ctx, cancel := requestContext(r)
	defer cancel()
	obj, _, err := s.getObject(ctx, res, ri.Namespace, ri.Name)
	if err != nil {
		writeError(w, err)
		return
	}
	s.writeObject(w, r, res, http.StatusOK, obj)
}

// writeObject answers with obj, as a Table when the client asked for one.
func (s *Server) writeObject(w http.ResponseWriter, r *http.Request, res *Resource, code int, obj kruntime.Object) {
	switch viewOf(r) {
	case viewTable:
		t, err := s.table(res, r, []kruntime.Object{obj}, "", "")
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, code, t)
	case viewPartial:
		writeJSON(w, code, partialObject(obj))
	default:
		writeJSON(w, code, obj)
	}
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	ctx, cancel := requestContext(r)
	defer cancel()
	obj, warnings, err := decodeRequest(r, res)
	if err != nil {
		writeError(w, err)
		return
	}
	created, err := s.create(ctx, res, ri.Namespace, obj, isDryRun(r))
	if err != nil {
		writeError(w, err)
		return
	}
	writeWarnings(w, warnings)
	s.writeObject(w, r, res, http.StatusCreated, created)
}

// decodeRequest reads the body of a create or update as an object of
// res's kind, under the request's fieldValidation mode.
func decodeRequest(r *http.Request, res *Resource) (kruntime.Object, []string, error) {
	mode, err := fieldValidation(r)
	if err != nil {
		return nil, nil, err
	}
	data, err := readBody(r)
	if err != nil {
		return nil, nil, err
	}
	return decodeObject(res, data, mode)
}

// create stores a new object after defaulting and validation.
func (s *Server) create(ctx context.Context, res *Resource, ns string, obj kruntime.Object, dryRun bool) (kruntime.Object, error) {
	m := accessor(obj)
	if res.Namespaced {
		if m.GetNamespace() != "" && m.GetNamespace() != ns {
			return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
		m.SetNamespace(ns)
		if err := s.checkNamespace(ctx, ns); err != nil {
			return nil, err
		}
	} else {
		m.SetNamespace("")
	}
	if m.GetResourceVersion() != "" {
		return nil, apierrors.NewBadRequest("resourceVersion should not be set on objects to be created")
	}
	generated := m.GetName() == "" && m.GetGenerateName() != ""
	m.SetUID(types.UID(uuid.NewUUID()))
	m.SetCreationTimestamp(metav1.NewTime(s.now().UTC().Truncate(1e9)))
	m.SetDeletionTimestamp(nil)
	m.SetDeletionGracePeriodSeconds(nil)
	m.SetManagedFields(nil)
	if hasField(obj, "Spec") {
		m.SetGeneration(1)
	}
	if res.HasSubresource("status") && res.Kind != "Node" {
		// Status is written through /status, not on create (nodes are the
		// exception, as in Kubernetes: their agent may post it at once).
		resetField(obj, "Status")
	}
	if res.Default != nil {
		res.Default(obj)
	}
	if err := s.admit(ctx, obj); err != nil {
		return nil, err
	}
	alloc, err := s.allocateFor(ctx, nil, obj)
	if err != nil {
		return nil, err
	}
	stored := false
	defer func() { alloc.finish(stored) }()
	for attempt := 0; ; attempt++ {
		if generated {
			m.SetName(m.GetGenerateName() + rand.String(5))
		}
		if errs := s.validate(res, obj, nil); len(errs) > 0 {
			return nil, invalid(res, m.GetName(), errs)
		}
		data, err := toStore(res, obj)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		if dryRun {
			return obj, nil
		}
		rev, err := s.store.Create(ctx, res.storeKey(ns, m.GetName()), data)
		if errors.Is(err, store.ErrExists) && generated && attempt < 8 {
			continue
		}
		if err != nil {
			return nil, storeError(res, m.GetName(), err)
		}
		setRV(obj, rev)
		stored = true
		return obj, nil
	}
}

// checkNamespace refuses content in a namespace that is missing or terminating.
func (s *Server) checkNamespace(ctx context.Context, ns string) error {
	nsRes, _ := s.reg.Lookup("", "v1", "namespaces")
	obj, _, err := s.getObject(ctx, nsRes, "", ns)
	if err != nil {
		return err
	}
	if n := obj.(*corev1.Namespace); n.DeletionTimestamp != nil || n.Status.Phase == corev1.NamespaceTerminating {
		return apierrors.NewForbidden(schemaGR("", "namespaces"), ns, fmt.Errorf("unable to create new content in namespace %s because it is being terminated", ns))
	}
	return nil
}

func (s *Server) validate(res *Resource, obj, old kruntime.Object) (errs fieldErrors) {
	errs = validateMeta(res, accessor(obj))
	if res.Validate != nil {
		errs = append(errs, res.Validate(obj, old)...)
	}
	return errs
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo, sub string) {
	ctx, cancel := requestContext(r)
	defer cancel()
	obj, warnings, err := decodeRequest(r, res)
	if err != nil {
		writeError(w, err)
		return
	}
	m := accessor(obj)
	if m.GetName() != ri.Name {
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.GetName(), ri.Name)))
		return
	}
	if res.Namespaced && m.GetNamespace() != "" && m.GetNamespace() != ri.Namespace {
		writeError(w, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request"))
		return
	}
	precondition := m.GetResourceVersion()
	out, err := s.update(ctx, res, ri.Namespace, ri.Name, sub, precondition, isDryRun(r), func(kruntime.Object) (kruntime.Object, error) {
		return obj.DeepCopyObject(), nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeWarnings(w, warnings)
	s.writeObject(w, r, res, http.StatusOK, out)
}

// update is Kubernetes' guaranteed update: read, let change compute the
// new object, keep what the verb may not change, validate, write with the
// read revision as precondition, retry on conflict unless the client gave
// a resourceVersion of its own (then a mismatch is its 409).
func (s *Server) update(ctx context.Context, res *Resource, ns, name, sub, precondition string, dryRun bool, change func(old kruntime.Object) (kruntime.Object, error)) (kruntime.Object, error) {
	for {
		old, rev, err := s.getObject(ctx, res, ns, name)
		if err != nil {
			return nil, err
		}
		if precondition != "" && precondition != strconv.FormatInt(rev, 10) {
			return nil, storeError(res, name, store.ErrConflict)
		}
		obj, err := change(old.DeepCopyObject())
		if err != nil {
			return nil, err
		}
		obj = s.prepareUpdate(res, sub, old, obj)
		alloc, err := s.allocateFor(ctx, old, obj)
		if err != nil {
			return nil, err
		}
		if errs := s.validate(res, obj, old); len(errs) > 0 {
			alloc.finish(false)
			return nil, invalid(res, name, errs)
		}
		out, stored, err := s.writeUpdate(ctx, res, ns, name, rev, old, obj, dryRun)
		alloc.finish(stored)
		if errors.Is(err, store.ErrConflict) && precondition == "" {
			continue
		}
		if err != nil {
			return nil, storeError(res, name, err)
		}
		return out, nil
	}
}

// writeUpdate writes obj over old at rev, or removes it when its last
// finalizer is gone; stored reports whether obj is now in the store.
// Errors are the store's.
func (s *Server) writeUpdate(ctx context.Context, res *Resource, ns, name string, rev int64, old, obj kruntime.Object, dryRun bool) (out kruntime.Object, stored bool, err error) {
	if dryRun {
		return obj, false, nil
	}
	if apiequality.Semantic.DeepEqual(old, obj) {
		return obj, false, nil // nothing changed: no write, no event, as Kubernetes does
	}
	if m := accessor(obj); m.GetDeletionTimestamp() != nil && finalized(obj) {
		// The last finalizer is gone: the object goes now.
		kv, err := s.store.Delete(ctx, res.storeKey(ns, name), rev)
		if err != nil {
			return nil, false, err
		}
		s.releaseFor(old, obj)
		setRV(obj, kv.Rev)
		return obj, false, nil
	}
	data, err := toStore(res, obj)
	if err != nil {
		return nil, false, err
	}
	newRev, err := s.store.Update(ctx, res.storeKey(ns, name), rev, data)
	if err != nil {
		return nil, false, err
	}
	setRV(obj, newRev)
	return obj, true, nil
}

// prepareUpdate keeps what an update of the object (sub "") or of its
// status (sub "status") may not change.
func (s *Server) prepareUpdate(res *Resource, sub string, old, obj kruntime.Object) kruntime.Object {
	if sub == "status" || sub == "finalize" {
		// Only status changes through /status; only a namespace's
		// spec.finalizers through /finalize.
		out := old.DeepCopyObject()
		copyField(out, obj, map[string]string{"status": "Status", "finalize": "Spec"}[sub])
		accessor(out).SetResourceVersion(accessor(obj).GetResourceVersion())
		return out
	}
	om, m := accessor(old), accessor(obj)
	m.SetUID(om.GetUID())
	m.SetNamespace(om.GetNamespace())
	m.SetCreationTimestamp(om.GetCreationTimestamp())
	m.SetDeletionTimestamp(om.GetDeletionTimestamp())
	m.SetDeletionGracePeriodSeconds(om.GetDeletionGracePeriodSeconds())
	m.SetGeneration(om.GetGeneration())
	m.SetManagedFields(nil)
	if res.HasSubresource("status") && sub != "binding" {
		// Status changes through /status only (binding also sets PodScheduled).
		copyField(obj, old, "Status")
	}
	if res.Default != nil {
		res.Default(obj)
	}
	if hasField(obj, "Spec") && !apiequality.Semantic.DeepEqual(fieldOf(old, "Spec"), fieldOf(obj, "Spec")) {
		m.SetGeneration(om.GetGeneration() + 1)
	}
	return obj
}

// finalized reports whether nothing holds a deleted object any longer: no
// finalizers, and for a namespace no spec.finalizers either.
func finalized(obj kruntime.Object) bool {
	if ns, ok := obj.(*corev1.Namespace); ok && len(ns.Spec.Finalizers) > 0 {
		return false
	}
	return len(accessor(obj).GetFinalizers()) == 0
}

// hasField, fieldOf and copyField reach the Spec and Status of any typed object.
func hasField(obj kruntime.Object, name string) bool {
	return reflect.ValueOf(obj).Elem().FieldByName(name).IsValid()
}

func fieldOf(obj kruntime.Object, name string) any {
	f := reflect.ValueOf(obj).Elem().FieldByName(name)
	if !f.IsValid() {
		return nil
	}
	return f.Interface()
}

func resetField(obj kruntime.Object, name string) {
	if f := reflect.ValueOf(obj).Elem().FieldByName(name); f.IsValid() {
		f.Set(reflect.Zero(f.Type()))
	}
}

func copyField(dst, src kruntime.Object, name string) {
	d := reflect.ValueOf(dst).Elem().FieldByName(name)
	sv := reflect.ValueOf(src).Elem().FieldByName(name)
	if d.IsValid() && sv.IsValid() {
		d.Set(sv)
	}
}

func isDryRun(r *http.Request) bool {
	for _, v := range r.URL.Query()["dryRun"] {
		if v == "All" {
			return true
		}
	}
	return false
}

func writeWarnings(w http.ResponseWriter, warnings []string) {
	for _, msg := range warnings {
		w.Header().Add("Warning", `299 - `+strconv.Quote(msg))
	}
}

// decodeInto decodes a JSON body into v with a 400 naming the problem.
func decodeInto(data []byte, v any, what string) error {
	if err := json.Unmarshal(data, v); err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("the body is not a valid %s: %v", what, err))
	}
	return nil
}
