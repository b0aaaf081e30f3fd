package apiserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	kruntime "k8s.io/apimachinery/pkg/runtime"
)

// selector matches objects by label and field selectors.
type selector struct {
	labels labels.Selector
	fields fields.Selector
	res    *Resource
}

// parseSelector reads labelSelector and fieldSelector; a field Kubernetes
// does not index for the resource is a 400, as in Kubernetes.
func parseSelector(res *Resource, q url.Values) (selector, error) {
	sel := selector{labels: labels.Everything(), fields: fields.Everything(), res: res}
	if v := q.Get("labelSelector"); v != "" {
		ls, err := labels.Parse(v)
		if err != nil {
			return sel, apierrors.NewBadRequest(fmt.Sprintf("unable to parse labelSelector %q: %v", v, err))
		}
		sel.labels = ls
	}
	if v := q.Get("fieldSelector"); v != "" {
		fs, err := fields.ParseSelector(v)
		if err != nil {
			return sel, apierrors.NewBadRequest(fmt.Sprintf("unable to parse fieldSelector %q: %v", v, err))
		}
		known := fieldSet(res, res.New())
		for _, req := range fs.Requirements() {
			if _, ok := known[req.Field]; !ok {
				return sel, apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", req.Field))
			}
		}
		sel.fields = fs
	}
	return sel, nil
}

// fieldSet is the field-selector view of obj.
func fieldSet(res *Resource, obj kruntime.Object) fields.Set {
	m := accessor(obj)
	set := fields.Set{"metadata.name": m.GetName()}
	if res.Namespaced {
		set["metadata.namespace"] = m.GetNamespace()
	}
	if res.Fields != nil {
		for k, v := range res.Fields(obj) {
			set[k] = v
		}
	}
	return set
}

func (sel selector) matches(obj kruntime.Object) bool {
	if !sel.labels.Empty() && !sel.labels.Matches(labels.Set(accessor(obj).GetLabels())) {
		return false
	}
	return sel.fields.Empty() || sel.fields.Matches(fieldSet(sel.res, obj))
}

// continueToken is the opaque `continue` of a paged list.
type continueToken struct {
	Rev   int64  `json:"rv"`
	After string `json:"after"`
}

func encodeContinue(t continueToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeContinue(s string) (continueToken, error) {
	var t continueToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil {
		return t, apierrors.NewBadRequest("the continue token is not valid: " + err.Error())
	}
	return t, nil
}

// listObjects lists a collection with selectors and limit/continue. It
// returns the items, the revision of the list and the continue token.
func (s *Server) listObjects(ctx context.Context, res *Resource, ns string, q url.Values) ([]kruntime.Object, int64, string, error) {
	sel, err := parseSelector(res, q)
	if err != nil {
		return nil, 0, "", err
	}
	limit := 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			return nil, 0, "", apierrors.NewBadRequest("limit must be a non-negative integer: " + v)
		}
	}
	prefix := res.storePrefix(ns)
	after, listRev := "", int64(0)
	if c := q.Get("continue"); c != "" {
		tok, err := decodeContinue(c)
		if err != nil {
			return nil, 0, "", err
		}
		after, listRev = tok.After, tok.Rev
	}
	var items []kruntime.Object
	for {
		page := 0
		if limit > 0 {
			page = limit - len(items)
		}
		kvs, rev, more, err := s.store.List(ctx, prefix, after, page)
		if err != nil {
			return nil, 0, "", storeError(res, "", err)
		}
		if listRev == 0 {
			listRev = rev
		}
		for _, kv := range kvs {
			obj, err := fromStore(res, kv)
			if err != nil {
				return nil, 0, "", err
			}
			if sel.matches(obj) {
				items = append(items, obj)
			}
			after = kv.Key
		}
		if !more {
			return items, listRev, "", nil
		}
		if limit > 0 && len(items) >= limit {
			return items, listRev, encodeContinue(continueToken{Rev: listRev, After: after}), nil
		}
	}
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	ctx, cancel := requestContext(r)
	defer cancel()
	items, rev, cont, err := s.listObjects(ctx, res, ri.Namespace, r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	s.writeList(w, r, res, items, rev, cont)
}

// list is the wire form of a <Kind>List; items are already typed objects.
type list struct {
	Kind       string            `json:"kind"`
	APIVersion string            `json:"apiVersion"`
	Metadata   map[string]string `json:"metadata"`
	Items      []kruntime.Object `json:"items"`
}

func (s *Server) writeList(w http.ResponseWriter, r *http.Request, res *Resource, items []kruntime.Object, rev int64, cont string) {
	switch viewOf(r) {
	case viewTable:
		t, err := s.table(res, r, items, strconv.FormatInt(rev, 10), cont)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
		return
	case viewPartial:
		writeJSON(w, http.StatusOK, partialList(items, metav1.ListMeta{ResourceVersion: strconv.FormatInt(rev, 10), Continue: cont}))
		return
	}
	md := map[string]string{"resourceVersion": strconv.FormatInt(rev, 10)}
	if cont != "" {
		md["continue"] = cont
	}
	if items == nil {
		items = []kruntime.Object{}
	}
	writeJSON(w, http.StatusOK, list{Kind: res.Kind + "List", APIVersion: res.APIVersion(), Metadata: md, Items: items})
}
