package store

import (
	"path/filepath"
	"testing"
)

// TestReopenAcrossFreelistModes: a file written with bbolt's freelist in
// every commit (as stores before NoFreelistSync were) opens with the
// current options and back, keeping every key and the revision.
func TestReopenAcrossFreelistModes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	modes := []struct {
		name string
		wo   writerOptions
	}{
		{"freelist synced", writerOptions{maxBatch: defaultMaxBatch, syncFreelist: true}},
		{"current", writerOptions{maxBatch: defaultMaxBatch}},
		{"freelist synced again", writerOptions{maxBatch: defaultMaxBatch, syncFreelist: true}},
	}
	keys := []string{"/a", "/b", "/c"}
	for i, m := range modes {
		s, err := open(path, Options{}, m.wo)
		if err != nil {
			t.Fatalf("%s: open: %v", m.name, err)
		}
		if got := s.Rev(); got != int64(2*i) {
			t.Errorf("%s: Rev() = %d, want %d", m.name, got, 2*i)
		}
		for _, k := range keys[:i] {
			if _, err := s.Get(t.Context(), k); err != nil {
				t.Errorf("%s: Get(%s): %v", m.name, k, err)
			}
		}
		mustCreate(t, s, keys[i], m.name)
		mustUpdate(t, s, keys[i], m.name+" updated")
		if err := s.Close(); err != nil {
			t.Fatalf("%s: close: %v", m.name, err)
		}
	}
}
