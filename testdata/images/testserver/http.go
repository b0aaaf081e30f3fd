package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

func newMux(hostname string) *http.ServeMux {
	var failing atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", hostname)
	})
	mux.HandleFunc("/hostname", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, hostname)
	})
	mux.HandleFunc("/env", func(w http.ResponseWriter, _ *http.Request) {
		env := os.Environ()
		sort.Strings(env)
		fmt.Fprint(w, strings.Join(env, "\n")+"\n")
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if failing.Load() {
			http.Error(w, "failing", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, _ *http.Request) {
		failing.Store(true)
		fmt.Fprintln(w, "healthz now fails")
	})
	mux.HandleFunc("/recover", func(w http.ResponseWriter, _ *http.Request) {
		failing.Store(false)
		fmt.Fprintln(w, "healthz now ok")
	})
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) {
		if _, err := os.Stat("/tmp/notready"); err == nil {
			http.Error(w, "not ready: /tmp/notready exists", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/exit", handleExit)
	mux.HandleFunc("/sleep", handleSleep)
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		lines := []string{"Host: " + r.Host}
		for k, vs := range r.Header {
			for _, v := range vs {
				lines = append(lines, k+": "+v)
			}
		}
		sort.Strings(lines)
		fmt.Fprint(w, strings.Join(lines, "\n")+"\n")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, r.Body)
	})
	mux.HandleFunc("/dns", handleDNS)
	return mux
}

func handleExit(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.URL.Query().Get("code"))
	if err != nil {
		http.Error(w, "want /exit?code=N", http.StatusBadRequest)
		return
	}
	w.Header().Set("Connection", "close")
	fmt.Fprintf(w, "exiting with %d\n", code)
	_ = http.NewResponseController(w).Flush()
	go func() {
		time.Sleep(100 * time.Millisecond) // let the answer leave
		fmt.Printf("exiting with %d\n", code)
		os.Exit(code)
	}()
}

func handleSleep(w http.ResponseWriter, r *http.Request) {
	d, err := time.ParseDuration(r.URL.Query().Get("d"))
	if err != nil {
		http.Error(w, "want /sleep?d=DURATION", http.StatusBadRequest)
		return
	}
	select {
	case <-time.After(d):
		fmt.Fprintf(w, "slept %s\n", d)
	case <-r.Context().Done():
	}
}

func handleDNS(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	res := struct {
		Name  string   `json:"name"`
		Addrs []string `json:"addrs"`
		Error string   `json:"error,omitempty"`
	}{Name: name, Addrs: []string{}}
	addrs, err := net.DefaultResolver.LookupHost(r.Context(), name)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		res.Error = err.Error()
		w.WriteHeader(http.StatusBadGateway)
	} else {
		res.Addrs = addrs
	}
	_ = json.NewEncoder(w).Encode(res)
}

// logRequests prints one line per request to stdout.
func logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		h.ServeHTTP(sw, r)
		fmt.Printf("%s %s %d %s from %s\n", r.Method, r.URL.RequestURI(), sw.status, time.Since(start).Round(time.Millisecond), r.RemoteAddr)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the real writer (Flush).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
