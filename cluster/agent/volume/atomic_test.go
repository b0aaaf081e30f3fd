package volume

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWriteAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := map[string]fileProjection{
		"a":          {Data: []byte("one"), Mode: 0o644},
		"b":          {Data: []byte("two"), Mode: 0o400},
		"sub/c/deep": {Data: []byte("three"), Mode: 0o600},
	}
	changed, err := writeAtomic(dir, first, nil)
	if err != nil || !changed {
		t.Fatalf("first write = %v, %v; want changed", changed, err)
	}
	if got, want := listDir(t, dir), []string{"..data", "a", "b", "sub"}; !slices.Equal(got[1:], want) || !strings.HasPrefix(got[0], "..20") {
		t.Fatalf("layout = %v, want a timestamped dir then %v", got, want)
	}
	for name, link := range map[string]string{"..data": tsDirs(t, dir)[0], "a": "..data/a", "sub": "..data/sub"} {
		if got, err := os.Readlink(filepath.Join(dir, name)); err != nil || got != link {
			t.Errorf("readlink %s = %q, %v; want %q", name, got, err, link)
		}
	}
	if got := readFile(t, filepath.Join(dir, "sub/c/deep")); got != "three" {
		t.Errorf("sub/c/deep = %q", got)
	}
	for p, want := range map[string]os.FileMode{"a": 0o644, "b": 0o400, "sub/c/deep": 0o600, "..data": 0o755} {
		if got := mode(t, filepath.Join(dir, p)); got != want {
			t.Errorf("mode of %s = %o, want %o", p, got, want)
		}
	}

	// The same payload again changes nothing.
	oldTs := tsDirs(t, dir)
	if changed, err := writeAtomic(dir, first, nil); err != nil || changed {
		t.Fatalf("same write = %v, %v; want unchanged", changed, err)
	}
	if !slices.Equal(tsDirs(t, dir), oldTs) {
		t.Errorf("timestamped dirs changed on a no-op write")
	}

	// An open file of the old version keeps its content; the new one is
	// seen through the same path, and the removed keys disappear.
	f, err := os.Open(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	second := map[string]fileProjection{
		"a":   {Data: []byte("ONE"), Mode: 0o644},
		"new": {Data: []byte("n"), Mode: 0o640},
	}
	if changed, err := writeAtomic(dir, second, nil); err != nil || !changed {
		t.Fatalf("update = %v, %v; want changed", changed, err)
	}
	if got := readFile(t, filepath.Join(dir, "a")); got != "ONE" {
		t.Errorf("a after update = %q", got)
	}
	if got, want := listDir(t, dir)[1:], []string{"..data", "a", "new"}; !slices.Equal(got, want) {
		t.Errorf("entries after update = %v, want %v (b and sub removed)", got, want)
	}
	if ts := tsDirs(t, dir); len(ts) != 1 || ts[0] == oldTs[0] {
		t.Errorf("timestamped dirs after update = %v, want one new one (old %v)", ts, oldTs)
	}
	if mode(t, filepath.Join(dir, "new")) != 0o640 {
		t.Errorf("mode of new = %o", mode(t, filepath.Join(dir, "new")))
	}

	// A mode change alone is written too.
	second["a"] = fileProjection{Data: []byte("ONE"), Mode: 0o600}
	if changed, err := writeAtomic(dir, second, nil); err != nil || !changed {
		t.Fatalf("mode update = %v, %v; want changed", changed, err)
	}
	if mode(t, filepath.Join(dir, "a")) != 0o600 {
		t.Errorf("mode of a = %o, want 600", mode(t, filepath.Join(dir, "a")))
	}

	// Everything removed: only ..data (to an empty dir) remains.
	if changed, err := writeAtomic(dir, map[string]fileProjection{}, nil); err != nil || !changed {
		t.Fatalf("emptying = %v, %v", changed, err)
	}
	if got := listDir(t, dir); len(got) != 2 || got[1] != "..data" {
		t.Errorf("entries after emptying = %v", got)
	}
}

func TestWriteAtomicInvalidPaths(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, want string }{
		{"", `invalid path: must not be empty: ""`},
		{"/etc/passwd", "invalid path: must be relative path: /etc/passwd"},
		{"a/../../x", "invalid path: must not contain '..': a/../../x"},
		{"..data", "invalid path: must not start with '..': ..data"},
		{"..", "invalid path: must not contain '..': .."},
		{strings.Repeat("x", 256), "invalid path: filenames must be less than or equal to 255 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			_, err := writeAtomic(dir, map[string]fileProjection{tt.path: {Data: []byte("x"), Mode: 0o644}}, nil)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if entries := listDir(t, dir); len(entries) != 0 {
				t.Errorf("a refused payload wrote %v", entries)
			}
		})
	}
}
