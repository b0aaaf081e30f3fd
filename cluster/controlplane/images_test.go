package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/minidev/mini/cluster/docker"
	"github.com/minidev/mini/cluster/pki"
)

// fakeDocker holds one image, "app:1"; other refs are not found.
type fakeDocker struct{ saveErr error }

func (f fakeDocker) InspectImage(_ context.Context, ref string) (docker.ImageInfo, error) {
	if ref != "app:1" {
		return docker.ImageInfo{}, fmt.Errorf("inspect image %s: %w", ref, cerrdefs.ErrNotFound)
	}
	return docker.ImageInfo{ID: "sha256:abc", Size: 42}, nil
}

func (f fakeDocker) SaveImage(_ context.Context, ref string) (io.ReadCloser, error) {
	if f.saveErr != nil {
		return nil, f.saveErr
	}
	if ref != "app:1" {
		return nil, fmt.Errorf("save image %s: %w", ref, cerrdefs.ErrNotFound)
	}
	return io.NopCloser(strings.NewReader("tar bytes")), nil
}

func TestImageHandler(t *testing.T) {
	t.Parallel()
	tokens := pki.Tokens{"good": {User: "system:node:n1"}}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api") })
	handler := func(backend imageBackend, connErr error) http.Handler {
		h := newImageHandler(tokens, slog.New(slog.DiscardHandler))
		h.connect = func(context.Context) (imageBackend, io.Closer, error) { return backend, nil, connErr }
		return withImages(api, h)
	}
	for _, tc := range []struct {
		name      string
		backend   imageBackend
		connErr   error
		method    string
		target    string
		token     string
		wantCode  int
		wantType  string
		wantBody  string // contained in the body
		wantField string // for JSON answers: a field that must be set
	}{
		{name: "inspect", backend: fakeDocker{}, target: "/mini/v1/images/inspect?ref=app:1", token: "good", wantCode: 200, wantType: "application/json", wantBody: `"id":"sha256:abc","repoTags":[],"size":42`},
		{name: "save streams the tar", backend: fakeDocker{}, target: "/mini/v1/images/save?ref=app:1", token: "good", wantCode: 200, wantType: "application/x-tar", wantBody: "tar bytes"},
		{name: "inspect missing", backend: fakeDocker{}, target: "/mini/v1/images/inspect?ref=nope:2", token: "good", wantCode: 404, wantBody: `image \"nope:2\" is not in the host's Docker image store: docker build or docker pull it on the host`},
		{name: "save missing", backend: fakeDocker{}, target: "/mini/v1/images/save?ref=nope:2", token: "good", wantCode: 404, wantBody: "docker build or docker pull it on the host"},
		{name: "no token", backend: fakeDocker{}, target: "/mini/v1/images/inspect?ref=app:1", wantCode: 401, wantBody: "Unauthorized"},
		{name: "bad token", backend: fakeDocker{}, target: "/mini/v1/images/inspect?ref=app:1", token: "bad", wantCode: 401, wantBody: "Unauthorized"},
		{name: "no ref", backend: fakeDocker{}, target: "/mini/v1/images/save", token: "good", wantCode: 400, wantBody: "ref query parameter is required"},
		{name: "unknown endpoint", backend: fakeDocker{}, target: "/mini/v1/images/push?ref=a", token: "good", wantCode: 404, wantBody: "no endpoint"},
		{name: "POST", backend: fakeDocker{}, method: http.MethodPost, target: "/mini/v1/images/save?ref=app:1", token: "good", wantCode: 405, wantBody: "use GET"},
		{name: "docker unreachable", connErr: errors.New("cannot reach the Docker engine at unix:///x"), target: "/mini/v1/images/save?ref=app:1", token: "good", wantCode: 503, wantBody: "cannot reach the host's Docker engine"},
		{name: "docker fails", backend: fakeDocker{saveErr: errors.New("disk on fire")}, target: "/mini/v1/images/save?ref=app:1", token: "good", wantCode: 500, wantBody: "disk on fire"},
		{name: "API requests pass through", target: "/api/v1/pods", wantCode: 200, wantBody: "api"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, tc.target, nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			rec := httptest.NewRecorder()
			handler(tc.backend, tc.connErr).ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != tc.wantCode || !strings.Contains(body, tc.wantBody) {
				t.Fatalf("%s %s = %d %q; want %d containing %q", method, tc.target, rec.Code, body, tc.wantCode, tc.wantBody)
			}
			if tc.wantType != "" && rec.Header().Get("Content-Type") != tc.wantType {
				t.Errorf("Content-Type = %q, want %q", rec.Header().Get("Content-Type"), tc.wantType)
			}
			if rec.Code >= 400 {
				var st struct {
					Kind    string `json:"kind"`
					Code    int    `json:"code"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Kind != "Status" || st.Code != tc.wantCode || st.Message == "" {
					t.Errorf("error body %q is not a Status with code %d: %v", body, tc.wantCode, err)
				}
			}
		})
	}
}

func TestImageHandlerConnectsOnce(t *testing.T) {
	t.Parallel()
	h := newImageHandler(pki.Tokens{"good": {User: "u"}}, slog.New(slog.DiscardHandler))
	connects := 0
	h.connect = func(context.Context) (imageBackend, io.Closer, error) {
		connects++
		if connects == 1 {
			return nil, nil, errors.New("engine down")
		}
		return fakeDocker{}, io.NopCloser(nil), nil
	}
	codes := []int{}
	for range 3 {
		req := httptest.NewRequest(http.MethodGet, "/mini/v1/images/inspect?ref=app:1", nil)
		req.Header.Set("Authorization", "Bearer good")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		codes = append(codes, rec.Code)
	}
	if fmt.Sprint(codes) != "[503 200 200]" || connects != 2 {
		t.Errorf("codes %v after %d connects; want [503 200 200] after 2 (retry after a failure, then keep the client)", codes, connects)
	}
	if err := h.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
