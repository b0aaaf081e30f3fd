package kubeletapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/minidev/mini/cluster/agent/logs"
)

// containerLogs serves GET /containerLogs/{namespace}/{pod}/{container}
// with the kubelet's query parameters.
func (s *Server) containerLogs(w http.ResponseWriter, r *http.Request) {
	ns, pod, ctr := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	opts, previous, err := logOptions(r.URL.Query(), time.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	path, done, err := s.cfg.Provider.LogFile(ns, pod, ctr, previous)
	if err != nil {
		// As the kubelet: the message reaches the user as a BadRequest.
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out := &flushWriter{w: w}
	w.Header().Set("Content-Type", "text/plain")
	if err := logs.Read(r.Context(), path, opts, out, done); err != nil && r.Context().Err() == nil {
		if !out.wrote {
			http.Error(w, fmt.Sprintf("read logs of container %q in pod %s/%s: %v", ctr, ns, pod, err), http.StatusInternalServerError)
			return
		}
		s.log.Warn("Failed to stream container logs", "pod", ns+"/"+pod, "container", ctr, "err", err)
	}
}

// logOptions parses the kubelet's containerLogs query.
func logOptions(q url.Values, now time.Time) (logs.Options, bool, error) {
	var o logs.Options
	var previous bool
	var err error
	boolean := func(name string, dst *bool) {
		if v := q.Get(name); v != "" && err == nil {
			if *dst, err = strconv.ParseBool(v); err != nil {
				err = fmt.Errorf("query parameter %s=%q is not a boolean", name, v)
			}
		}
	}
	integer := func(name string, min int64) *int64 {
		v := q.Get(name)
		if v == "" || err != nil {
			return nil
		}
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || n < min {
			err = fmt.Errorf("query parameter %s=%q must be an integer of at least %d", name, v, min)
			return nil
		}
		return &n
	}
	boolean("follow", &o.Follow)
	boolean("previous", &previous)
	boolean("timestamps", &o.Timestamps)
	o.TailLines = integer("tailLines", 0)
	o.LimitBytes = integer("limitBytes", 1)
	sinceSeconds := integer("sinceSeconds", 1)
	if err != nil {
		return o, false, err
	}
	if st := q.Get("sinceTime"); st != "" {
		if sinceSeconds != nil {
			return o, false, errors.New("at most one of sinceTime or sinceSeconds may be specified")
		}
		t, err := time.Parse(time.RFC3339, st)
		if err != nil {
			return o, false, fmt.Errorf("query parameter sinceTime=%q is not an RFC3339 time", st)
		}
		o.Since = t
	}
	if sinceSeconds != nil {
		o.Since = now.Add(-time.Duration(*sinceSeconds) * time.Second)
	}
	return o, previous, nil
}

// flushWriter lets logs.Read flush the response whenever it waits for new
// records, so that followed logs reach the client as they are written.
type flushWriter struct {
	w     http.ResponseWriter
	wrote bool
}

func (f *flushWriter) Write(p []byte) (int, error) {
	f.wrote = true
	return f.w.Write(p)
}

func (f *flushWriter) Flush() {
	_ = http.NewResponseController(f.w).Flush()
}
