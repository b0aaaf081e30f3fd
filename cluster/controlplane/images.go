package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/minidev/mini/cluster/docker"
	"github.com/minidev/mini/cluster/pki"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ImagesPath prefixes the endpoints through which nodes fetch images from
// the host's Docker image store.
const ImagesPath = "/mini/v1/images/"

// imageBackend is the part of the Docker client the image endpoints use.
type imageBackend interface {
	InspectImage(ctx context.Context, ref string) (docker.ImageInfo, error)
	SaveImage(ctx context.Context, ref string) (io.ReadCloser, error)
}

// connectTimeout bounds the first contact with Docker.
const connectTimeout = 20 * time.Second

// imageHandler serves GET ImagesPath+"inspect?ref=R" (the image's ID, tags
// and size as JSON) and GET ImagesPath+"save?ref=R" (the `docker save` tar
// stream) to any holder of a valid bearer token. It connects to Docker on
// the first request, with the environment the CLI has (DOCKER_HOST, ...),
// and tries again on the next request if Docker was unreachable.
type imageHandler struct {
	tokens  pki.Authenticator
	log     *slog.Logger
	connect func(ctx context.Context) (imageBackend, io.Closer, error)

	mu      sync.Mutex
	backend imageBackend
	closer  io.Closer
}

func newImageHandler(tokens pki.Authenticator, log *slog.Logger) *imageHandler {
	return &imageHandler{tokens: tokens, log: log, connect: func(ctx context.Context) (imageBackend, io.Closer, error) {
		c, err := docker.New(ctx)
		if err != nil {
			return nil, nil, err
		}
		return c, c, nil
	}}
}

// withImages sends requests under ImagesPath to images, the rest to api.
func withImages(api http.Handler, images *imageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, ImagesPath) {
			images.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// Close releases the Docker client, if one was made.
func (h *imageHandler) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closer == nil {
		return nil
	}
	err := h.closer.Close()
	h.backend, h.closer = nil, nil
	return err
}

func (h *imageHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		writeStatus(w, http.StatusUnauthorized, metav1.StatusReasonUnauthorized, "Unauthorized")
		return
	}
	if _, ok := h.tokens.Lookup(strings.TrimSpace(token)); !ok {
		writeStatus(w, http.StatusUnauthorized, metav1.StatusReasonUnauthorized, "Unauthorized")
		return
	}
	if r.Method != http.MethodGet {
		writeStatus(w, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s: use GET", r.Method, r.URL.Path))
		return
	}
	op := strings.TrimPrefix(r.URL.Path, ImagesPath)
	if op != "inspect" && op != "save" {
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, fmt.Sprintf("no endpoint %s: use %sinspect or %ssave", r.URL.Path, ImagesPath, ImagesPath))
		return
	}
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, "the ref query parameter is required (an image name or ID)")
		return
	}
	backend, err := h.client(r.Context())
	if err != nil {
		h.log.Error("Failed to connect to Docker for images", "err", err)
		writeStatus(w, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable,
			fmt.Sprintf("the control plane cannot reach the host's Docker engine to fetch image %q: %v", ref, err))
		return
	}
	if op == "inspect" {
		h.inspect(w, r, backend, ref)
		return
	}
	h.save(w, r, backend, ref)
}

// client returns the Docker client, connecting on first use.
func (h *imageHandler) client(ctx context.Context) (imageBackend, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.backend != nil {
		return h.backend, nil
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	b, c, err := h.connect(cctx)
	if err != nil {
		return nil, err
	}
	h.backend, h.closer = b, c
	return b, nil
}

func (h *imageHandler) inspect(w http.ResponseWriter, r *http.Request, backend imageBackend, ref string) {
	info, err := backend.InspectImage(r.Context(), ref)
	if err != nil {
		h.writeDockerError(w, ref, err)
		return
	}
	if info.RepoTags == nil {
		info.RepoTags = []string{}
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(info); err != nil {
		h.log.Debug("Failed to write image info", "ref", ref, "err", err)
	}
}

func (h *imageHandler) save(w http.ResponseWriter, r *http.Request, backend imageBackend, ref string) {
	rc, err := backend.SaveImage(r.Context(), ref)
	if err != nil {
		h.writeDockerError(w, ref, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/x-tar")
	start := time.Now()
	n, err := io.Copy(w, rc)
	if err != nil {
		// The status line is gone: abort so the client sees a broken
		// stream instead of a short, valid-looking one.
		h.log.Error("Failed to stream image", "ref", ref, "bytes", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	h.log.Info("Sent image", "ref", ref, "bytes", n, "duration", time.Since(start).Round(time.Millisecond))
}

// writeDockerError answers for a failed Docker call about ref.
func (h *imageHandler) writeDockerError(w http.ResponseWriter, ref string, err error) {
	switch {
	case docker.IsNotFound(err):
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, notOnHostMessage(ref))
	case docker.IsUnreachable(err):
		h.log.Error("Failed to reach Docker for images", "ref", ref, "err", err)
		writeStatus(w, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable,
			fmt.Sprintf("the control plane cannot reach the host's Docker engine to fetch image %q: %v", ref, err))
	default:
		h.log.Error("Failed to fetch image from Docker", "ref", ref, "err", err)
		writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, err.Error())
	}
}

// notOnHostMessage tells the user how to make ref available.
func notOnHostMessage(ref string) string {
	return fmt.Sprintf("image %q is not in the host's Docker image store: docker build or docker pull it on the host", ref)
}

// writeStatus writes a Kubernetes-style Status error.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	st := metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Message:  msg,
		Reason:   reason,
		Code:     int32(code),
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(st)
}
