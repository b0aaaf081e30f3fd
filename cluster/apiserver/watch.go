package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/minidev/mini/cluster/store"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// initialEventsEnd is the bookmark annotation that ends the initial events
// of a streaming list (client-go informers wait for it).
const initialEventsEnd = "k8s.io/initial-events-end"

// watchEvent is one line of a watch stream.
type watchEvent struct {
	Type   watch.EventType `json:"type"`
	Object any             `json:"object"`
}

// handleWatch streams changes: the synthetic ADDED events Kubernetes sends
// for "start at most recent" and for sendInitialEvents, then every change
// after the start revision, selectors applied to old and new object alike
// (an object leaving the selection is DELETED, one entering it ADDED).
func (s *Server) handleWatch(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	q := r.URL.Query()
	if ri.Name != "" {
		// GET .../pods/NAME?watch=true watches one object.
		q.Set("fieldSelector", joinSelector(q.Get("fieldSelector"), "metadata.name="+ri.Name))
	}
	sel, err := parseSelector(res, q)
	if err != nil {
		writeError(w, err)
		return
	}
	bookmarks := q.Get("allowWatchBookmarks") == "true"
	sendInitial := q.Get("sendInitialEvents") == "true"
	if sendInitial && q.Get("resourceVersionMatch") != "NotOlderThan" {
		writeError(w, apierrors.NewBadRequest("sendInitialEvents requires resourceVersionMatch=NotOlderThan"))
		return
	}
	if q.Has("sendInitialEvents") && !sendInitial && q.Get("sendInitialEvents") != "false" {
		writeError(w, apierrors.NewBadRequest("sendInitialEvents must be true or false"))
		return
	}
	timeout := 30 * time.Minute
	if v := q.Get("timeoutSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, apierrors.NewBadRequest("timeoutSeconds must be a non-negative integer: "+v))
			return
		}
		if n > 0 {
			timeout = time.Duration(n) * time.Second
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()

	rv := q.Get("resourceVersion")
	var initial []kruntime.Object
	var from int64
	if sendInitial || rv == "" || rv == "0" {
		lq := q
		lq.Del("limit")
		lq.Del("continue")
		initial, from, _, err = s.listObjects(ctx, res, ri.Namespace, lq)
		if err != nil {
			writeError(w, err)
			return
		}
	} else if from, err = strconv.ParseInt(rv, 10, 64); err != nil || from < 0 {
		writeError(w, apierrors.NewBadRequest("resourceVersion is not valid: "+rv))
		return
	}
	events, err := s.store.Watch(ctx, res.storePrefix(ri.Namespace), from)
	ew := newEventWriter(w, r, s, res)
	if errors.Is(err, store.ErrExpired) {
		// As Kubernetes: 200, then an ERROR event carrying 410 Expired.
		st := toStatus(apierrors.NewResourceExpired("too old resource version: " + rv + " (" + strconv.FormatInt(s.store.Rev(), 10) + ")"))
		ew.write(watch.Error, st)
		return
	}
	if err != nil {
		writeError(w, storeError(res, "", err))
		return
	}
	for _, obj := range initial {
		if !ew.object(watch.Added, obj) {
			return
		}
	}
	if sendInitial {
		if !ew.bookmark(from, true) {
			return
		}
	}
	ew.flush()
	last := from
	tick := time.NewTicker(s.cfg.BookmarkInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if bookmarks && !ew.bookmark(last, false) {
				return
			}
			ew.flush()
		case ev, ok := <-events:
			if !ok {
				return // store closed or watcher too slow: the client re-watches
			}
			last = ev.Rev
			typ, d, err := s.translate(res, sel, ev)
			if err != nil {
				s.log.Error("Failed to decode watch event", "key", ev.Key, "err", err)
				continue
			}
			if typ != "" && !ew.decoded(typ, d) {
				return
			}
			if len(events) == 0 {
				ew.flush()
			}
		}
	}
}

// translate turns a store event into the watch event a selective watcher
// sees; typ is empty when the watcher sees nothing. The decoding is shared
// by all watchers of the event.
func (s *Server) translate(res *Resource, sel selector, ev store.Event) (watch.EventType, *decodedEvent, error) {
	d := s.events.get(res, ev)
	if d.err != nil {
		return "", nil, d.err
	}
	prevMatch := d.prev != nil && sel.matches(d.prev)
	curMatch := sel.matches(d.cur)
	switch ev.Type {
	case store.Added:
		if curMatch {
			return watch.Added, d, nil
		}
	case store.Modified:
		switch {
		case curMatch && prevMatch:
			return watch.Modified, d, nil
		case curMatch:
			return watch.Added, d, nil
		case prevMatch:
			return watch.Deleted, d, nil
		}
	case store.Deleted:
		if curMatch || prevMatch {
			return watch.Deleted, d, nil
		}
	}
	return "", nil, nil
}

// eventWriter writes watch events, as Tables when the client asked.
type eventWriter struct {
	w       http.ResponseWriter
	r       *http.Request
	s       *Server
	res     *Resource
	enc     *json.Encoder
	flusher http.Flusher
	view    view
}

func newEventWriter(w http.ResponseWriter, r *http.Request, s *Server, res *Resource) *eventWriter {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	return &eventWriter{w: w, r: r, s: s, res: res, enc: json.NewEncoder(w), flusher: f, view: viewOf(r)}
}

func (e *eventWriter) write(typ watch.EventType, obj any) bool {
	if err := e.enc.Encode(watchEvent{Type: typ, Object: obj}); err != nil {
		return false
	}
	if typ == watch.Error {
		e.flush()
	}
	return true
}

func (e *eventWriter) object(typ watch.EventType, obj kruntime.Object) bool {
	switch e.view {
	case viewTable:
		t, err := e.s.table(e.res, e.r, []kruntime.Object{obj}, accessor(obj).GetResourceVersion(), "")
		if err != nil {
			return e.write(watch.Error, toStatus(err))
		}
		return e.write(typ, t)
	case viewPartial:
		return e.write(typ, partialObject(obj))
	}
	return e.write(typ, obj)
}

// decoded writes a shared decoded event: its JSON as is, or a Table row.
func (e *eventWriter) decoded(typ watch.EventType, d *decodedEvent) bool {
	if e.view != viewFull {
		return e.object(typ, d.cur)
	}
	return e.write(typ, d.curJSON)
}

// bookmark tells the client it has seen everything up to rev.
func (e *eventWriter) bookmark(rev int64, end bool) bool {
	obj := e.res.New()
	if tm, err := meta.TypeAccessor(obj); err == nil {
		tm.SetKind(e.res.Kind)
		tm.SetAPIVersion(e.res.APIVersion())
	}
	m := accessor(obj)
	setRV(obj, rev)
	if end {
		m.SetAnnotations(map[string]string{initialEventsEnd: "true"})
	}
	switch e.view {
	case viewTable:
		return e.write(watch.Bookmark, &metav1.Table{
			TypeMeta: metav1.TypeMeta{Kind: "Table", APIVersion: "meta.k8s.io/v1"},
			ListMeta: metav1.ListMeta{ResourceVersion: strconv.FormatInt(rev, 10)},
		})
	case viewPartial:
		return e.write(watch.Bookmark, partialObject(obj))
	}
	return e.write(watch.Bookmark, obj)
}

func (e *eventWriter) flush() {
	if e.flusher != nil {
		e.flusher.Flush()
	}
}

func joinSelector(a, b string) string {
	if a == "" {
		return b
	}
	return a + "," + b
}
