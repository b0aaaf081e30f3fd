package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/minidev/mini/cluster/pki"
	"github.com/minidev/mini/cluster/store"
	"github.com/minidev/mini/cluster/version"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxBodyBytes caps request bodies as Kubernetes does (3 MiB).
const maxBodyBytes = 3 << 20

// Config is what a Server needs.
type Config struct {
	Store    *store.Store
	Registry *Registry
	// Tokens authenticates bearer tokens; nil disables authentication (tests only).
	Tokens pki.Authenticator
	Log    *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// BookmarkInterval is how often watches that asked for bookmarks get one; 0 means 30 s.
	BookmarkInterval time.Duration
	// Version is reported at /version.
	Version string
	// NodeToken is the token that authenticates the API server to a node's
	// agent (for pods/log, exec, portforward); nil means the token of the
	// identity system:node:NAME in Tokens.
	NodeToken func(node string) (string, bool)
	// DefaultTolerationSeconds is the tolerationSeconds new pods get for
	// the not-ready and unreachable NoExecute taints (kube-apiserver's
	// --default-{not-ready,unreachable}-toleration-seconds); 0 means 300.
	// Setting it changes the Registry's pods defaulting.
	DefaultTolerationSeconds int64
	// ServiceCIDR is where Service cluster IPs come from; zero means
	// DefaultServiceCIDR (10.96.0.0/16).
	ServiceCIDR netip.Prefix
	// NodePorts is where Service node ports come from; zero means
	// DefaultNodePorts (30000-32767).
	NodePorts PortRange
}

// Server is the Kubernetes API server over a store.
type Server struct {
	cfg   Config
	store *store.Store
	reg   *Registry
	log   *slog.Logger
	now   func() time.Time
	// events shares the decoding of watch events among watchers.
	events *eventCache
	// services allocates Service IPs and node ports (serviceips*.go).
	services *serviceAllocator
}

// New returns a server; call Handler to serve it.
func New(cfg Config) *Server {
	if cfg.Registry == nil {
		cfg.Registry = NewRegistry(DefaultResources())
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BookmarkInterval == 0 {
		cfg.BookmarkInterval = 30 * time.Second
	}
	if cfg.Version == "" {
		cfg.Version = version.Version
	}
	if cfg.NodeToken == nil {
		cfg.NodeToken = nodeTokenFrom(cfg.Tokens)
	}
	setDefaultTolerationSeconds(cfg.Registry, cfg.DefaultTolerationSeconds)
	s := &Server{cfg: cfg, store: cfg.Store, reg: cfg.Registry, log: cfg.Log, now: cfg.Now, events: newEventCache(512)}
	s.services = newServiceAllocator(cfg.ServiceCIDR, cfg.NodePorts, s.loadServices)
	return s
}

// Handler returns the HTTP handler with authentication, body limits and
// panic recovery around the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", s.health)
	mux.HandleFunc("/livez", s.health)
	mux.HandleFunc("/readyz", s.health)
	mux.HandleFunc("/version", s.version)
	mux.HandleFunc("/api", s.discoveryCore)
	mux.HandleFunc("/api/", s.routeAPI)
	mux.HandleFunc("/apis", s.discoveryGroups)
	mux.HandleFunc("/apis/", s.routeAPI)
	mux.HandleFunc("/openapi/", s.openAPI)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errNoResource())
	})
	return s.recoverPanics(s.authenticate(mux))
}

// public paths answer without a token, as Kubernetes' system:public-info-viewer allows.
func public(path string) bool {
	switch path {
	case "/healthz", "/livez", "/readyz", "/version":
		return true
	}
	return false
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Tokens != nil && !public(r.URL.Path) {
			auth := r.Header.Get("Authorization")
			token, ok := strings.CutPrefix(auth, "Bearer ")
			// The message is Kubernetes' own: kubectl prints it as
			// "error: You must be logged in to the server (Unauthorized)".
			if !ok {
				writeError(w, apierrors.NewUnauthorized("Unauthorized"))
				return
			}
			if _, ok := s.cfg.Tokens.Lookup(strings.TrimSpace(token)); !ok {
				writeError(w, apierrors.NewUnauthorized("Unauthorized"))
				return
			}
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeError(w, apierrors.NewInternalError(fmt.Errorf("%v", v)))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok"))
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	v := s.cfg.Version
	major, minor := "1", "37"
	if parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3); len(parts) >= 2 {
		major, minor = parts[0], parts[1]
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"major": major, "minor": minor, "gitVersion": v, "gitCommit": "", "gitTreeState": "clean",
		"buildDate": "", "goVersion": goVersion(), "compiler": "gc", "platform": platform(),
	})
}

func (s *Server) routeAPI(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	// Discovery documents: /api/v1, /apis/GROUP, /apis/GROUP/VERSION.
	switch {
	case parts[0] == "api" && len(parts) == 2:
		s.discoveryResources(w, r, "", parts[1])
		return
	case parts[0] == "apis" && len(parts) == 2:
		s.discoveryGroup(w, r, parts[1])
		return
	case parts[0] == "apis" && len(parts) == 3:
		s.discoveryResources(w, r, parts[1], parts[2])
		return
	}
	ri, ok := parseRequest(r)
	if !ok {
		writeError(w, errNoResource())
		return
	}
	res, ok := s.reg.Lookup(ri.Group, ri.Version, ri.Resource)
	if !ok {
		writeError(w, errNoResource())
		return
	}
	if !res.Namespaced && ri.Namespace != "" {
		writeError(w, apierrors.NewNotFound(schemaGR(ri.Group, ri.Resource), ri.Name))
		return
	}
	s.serveResource(w, r, res, ri)
}

// writeJSON writes v as JSON with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeJSONRaw writes v as JSON keeping a Content-Type already set.
func writeJSONRaw(w http.ResponseWriter, code int, v any) {
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes err as a metav1.Status with its code and reason.
func writeError(w http.ResponseWriter, err error) {
	st := toStatus(err)
	writeJSON(w, int(st.Code), st)
}

func toStatus(err error) *metav1.Status {
	var st metav1.Status
	if se, ok := err.(apierrors.APIStatus); ok {
		st = se.Status()
	} else {
		st = apierrors.NewInternalError(err).Status()
	}
	st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	return &st
}

// statusError is an API error with any code and reason.
func statusError(code int32, reason metav1.StatusReason, msg string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: code, Reason: reason, Message: msg}}
}

// errNoResource is Kubernetes' answer for a path it does not serve.
func errNoResource() error {
	return statusError(http.StatusNotFound, metav1.StatusReasonNotFound, "the server could not find the requested resource")
}

// invalid returns a 422 naming each bad field.
func invalid(res *Resource, name string, errs field.ErrorList) error {
	return apierrors.NewInvalid(res.GVK().GroupKind(), name, errs)
}

// requestContext bounds a non-streaming request.
func requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), time.Minute)
}
