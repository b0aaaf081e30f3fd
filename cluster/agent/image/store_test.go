package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// hostStore serves the control plane's image endpoints from archives held
// in memory, keyed by normalized ref, as a host's Docker would.
type hostStore struct {
	mu       sync.Mutex
	archives map[string][]byte
	ids      map[string]string
	saves    atomic.Int32
	release  chan struct{} // if set, save waits for it before answering
}

func (h *hostStore) set(ref string, archive []byte, id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.archives[ref], h.ids[ref], h.archives[id], h.ids[id] = archive, id, archive, id
}

func (h *hostStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer node-token" {
		http.Error(w, `{"kind":"Status","message":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	ref := r.URL.Query().Get("ref")
	h.mu.Lock()
	archive, id := h.archives[ref], h.ids[ref]
	h.mu.Unlock()
	if archive == nil {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"kind":"Status","message":"image %q is not in the host's Docker image store"}`, ref)
		return
	}
	switch r.URL.Path {
	case inspectPath:
		json.NewEncoder(w).Encode(Info{ID: id, RepoTags: []string{ref}, Size: int64(len(archive))})
	case savePath:
		h.saves.Add(1)
		if h.release != nil {
			<-h.release
		}
		w.Header().Set("Content-Type", "application/x-tar")
		w.Write(archive)
	default:
		http.NotFound(w, r)
	}
}

// newTestStore returns a store in a temp dir fetching from host.
func newTestStore(t *testing.T, host *hostStore) (*Store, string) {
	t.Helper()
	srv := httptest.NewServer(host)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	s, err := NewStore(Config{Dir: dir, Source: NewHTTPSource(srv.URL, srv.Client(), "node-token")})
	if err != nil {
		t.Fatal(err)
	}
	var denied []string
	s.un.convert = permissiveConvert(&denied)
	return s, dir
}

func newHost() *hostStore {
	return &hostStore{archives: map[string][]byte{}, ids: map[string]string{}}
}

func TestStoreEnsurePolicies(t *testing.T) {
	t.Parallel()
	host := newHost()
	base := layerTar(t, testEntry{name: "bin/", dir: true}, testEntry{name: "bin/app", body: "v1"})
	v1, id1 := saveTar(t, legacyLayout, "app:v1", ocispecConfig(), base)
	top := layerTar(t, testEntry{name: "bin/", dir: true}, testEntry{name: "bin/app", body: "v2"})
	v2, id2 := saveTar(t, legacyLayout, "app:v1", ocispecConfig(), base, top)
	host.set("docker.io/library/app:v1", v1, id1)
	s, dir := newTestStore(t, host)
	ctx := t.Context()

	// Never, absent: fails without asking the host.
	if _, _, err := s.Ensure(ctx, "app:v1", corev1.PullNever, nil); !errors.Is(err, ErrNeverPull) {
		t.Fatalf("Never on an empty node: %v, want ErrNeverPull", err)
	}
	// IfNotPresent, absent: fetched, with a pulling call.
	pulls := 0
	img, fetched, err := s.Ensure(ctx, "app:v1", corev1.PullIfNotPresent, func() { pulls++ })
	if err != nil || !fetched || pulls != 1 || img.ID != id1 || img.Ref != "docker.io/library/app:v1" || len(img.Layers) != 1 {
		t.Fatalf("IfNotPresent on an empty node = %+v, %v, %v (pulls %d)", img, fetched, err, pulls)
	}
	if img.Config.WorkingDir != "/srv" || img.Config.Entrypoint[0] != "/bin/app" || img.Size != int64(len(base)) {
		t.Errorf("image config %+v size %d", img.Config, img.Size)
	}
	if b, err := os.ReadFile(filepath.Join(img.Layers[0], "bin/app")); err != nil || string(b) != "v1" {
		t.Errorf("bin/app = %q, %v", b, err)
	}
	// Present: IfNotPresent, Never and Always (same host ID) do not fetch.
	for _, p := range []corev1.PullPolicy{corev1.PullIfNotPresent, corev1.PullNever, corev1.PullAlways} {
		if img, fetched, err := s.Ensure(ctx, "docker.io/library/app:v1", p, func() { pulls++ }); err != nil || fetched || img.ID != id1 {
			t.Errorf("%s with the image present = %+v, %v, %v", p, img, fetched, err)
		}
	}
	if n := host.saves.Load(); n != 1 || pulls != 1 {
		t.Errorf("saves = %d, pulls = %d after one transfer", n, pulls)
	}
	// The host's tag moves: IfNotPresent keeps the node's, Always fetches
	// the new one, whose base layer is already on the node.
	host.set("docker.io/library/app:v1", v2, id2)
	if img, fetched, err := s.Ensure(ctx, "app:v1", corev1.PullIfNotPresent, nil); err != nil || fetched || img.ID != id1 {
		t.Errorf("IfNotPresent after the host's tag moved = %+v, %v, %v; want the node's %s", img, fetched, err, id1)
	}
	img, fetched, err = s.Ensure(ctx, "app:v1", corev1.PullAlways, nil)
	if err != nil || !fetched || img.ID != id2 || len(img.Layers) != 2 {
		t.Fatalf("Always after the host's tag moved = %+v, %v, %v; want %s fetched", img, fetched, err, id2)
	}
	if b, err := os.ReadFile(filepath.Join(img.Layers[1], "bin/app")); err != nil || string(b) != "v2" {
		t.Errorf("upper bin/app = %q, %v", b, err)
	}
	// By image ID, with nothing to fetch.
	if img, fetched, err := s.Ensure(ctx, id1, corev1.PullIfNotPresent, nil); err != nil || fetched || img.ID != id1 {
		t.Errorf("Ensure(%s) = %+v, %v, %v", id1, img, fetched, err)
	}
	// The host lacks it: ErrNotFound with the host's message.
	_, _, err = s.Ensure(ctx, "nothere", corev1.PullIfNotPresent, nil)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "not in the host's Docker image store") {
		t.Errorf("Ensure(nothere) = %v, want ErrNotFound with the host's message", err)
	}
	if _, _, err := s.Ensure(ctx, "nothere", corev1.PullAlways, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("Ensure(nothere, Always) = %v, want ErrNotFound", err)
	}

	// A new store on the same directory (an agent restart) knows the images.
	s2, err := NewStore(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if img, fetched, err := s2.Ensure(ctx, "app:v1", corev1.PullNever, nil); err != nil || fetched || img.ID != id2 || img.Size != int64(len(base)+len(top)) {
		t.Errorf("after reopening: %+v, %v, %v; want %s", img, fetched, err, id2)
	}
	// A layer gone missing makes the image absent.
	os.RemoveAll(img.Layers[1])
	if _, _, err := s2.Ensure(ctx, "app:v1", corev1.PullNever, nil); !errors.Is(err, ErrNeverPull) {
		t.Errorf("with a layer missing: %v, want ErrNeverPull", err)
	}
}

func TestStoreSharesOneTransfer(t *testing.T) {
	t.Parallel()
	host := newHost()
	host.release = make(chan struct{})
	archive, id := saveTar(t, ociLayout, "shared:1", ocispecConfig(), layerTar(t, testEntry{name: "f", body: "f"}))
	host.set("docker.io/library/shared:1", archive, id)
	s, _ := newTestStore(t, host)

	const callers = 4
	var wg sync.WaitGroup
	var pulling atomic.Int32
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img, _, err := s.Ensure(t.Context(), "shared:1", corev1.PullIfNotPresent, func() { pulling.Add(1) })
			if err == nil && img.ID != id {
				err = fmt.Errorf("got image %s, want %s", img.ID, id)
			}
			errs <- err
		}()
	}
	// Let the transfer finish once every caller has joined it.
	for s.joined.Load() < callers {
		runtime.Gosched()
	}
	close(host.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n, p := host.saves.Load(), pulling.Load(); n != 1 || p != callers {
		t.Errorf("host saved the image %d times, pulling called %d times; want 1 and %d", n, p, callers)
	}
}
