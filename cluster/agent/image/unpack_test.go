package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/containerd/containerd/v2/pkg/archive"
	"golang.org/x/sys/unix"
)

// permissiveConvert is archive.OverlayConvertWhiteout, except that a
// whiteout the test process may not create (no CAP_MKNOD, or no
// CAP_SYS_ADMIN for trusted.* xattrs) is noted in denied instead of failing.
func permissiveConvert(denied *[]string) archive.ConvertWhiteout {
	return func(hdr *tar.Header, path string) (bool, error) {
		ok, err := archive.OverlayConvertWhiteout(hdr, path)
		if err != nil && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EACCES)) {
			*denied = append(*denied, filepath.Base(path)+": "+err.Error())
			return false, nil
		}
		return ok, err
	}
}

// whiteoutLayers are two layers: the lower has a/x, a/y, o/old, f; the
// upper deletes a/x, makes o opaque with o/new, and adds g.
func whiteoutLayers(t *testing.T) (lower, upper []byte) {
	lower = layerTar(t,
		testEntry{name: "a/", dir: true}, testEntry{name: "a/x", body: "x"}, testEntry{name: "a/y", body: "y"},
		testEntry{name: "o/", dir: true}, testEntry{name: "o/old", body: "old"}, testEntry{name: "f", body: "f1"})
	upper = layerTar(t,
		testEntry{name: "a/", dir: true}, testEntry{name: "a/.wh.x"},
		testEntry{name: "o/", dir: true}, testEntry{name: "o/.wh..wh..opq"}, testEntry{name: "o/new", body: "new"},
		testEntry{name: "g", body: "g"})
	return lower, upper
}

func TestUnpackLayouts(t *testing.T) {
	t.Parallel()
	for _, layout := range []string{legacyLayout, legacyManifestFirst, ociLayout, ociGzipIndexOnly} {
		t.Run(layout, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, d := range []string{"tmp", "layers/sha256"} {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			var denied []string
			u := &unpacker{dir: dir, convert: permissiveConvert(&denied)}
			lower, upper := whiteoutLayers(t)
			// The lower layer twice, as an image whose two steps left the same files.
			tarball, id := saveTar(t, layout, "docker.io/library/test:1", ocispecConfig(), lower, upper, lower)
			c, err := u.read(t.Context(), bytes.NewReader(tarball))
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			got, err := resolve(c, "docker.io/library/test:1")
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if got.id != id || len(got.diffIDs) != 3 || got.diffIDs[0] != "sha256:"+sha(lower) || got.diffIDs[1] != "sha256:"+sha(upper) || got.diffIDs[2] != got.diffIDs[0] {
				t.Fatalf("resolve = id %s diffIDs %v; want id %s, [lower upper lower]", got.id, got.diffIDs, id)
			}
			if want := int64(2*len(lower) + len(upper)); got.size != want {
				t.Errorf("size = %d, want %d", got.size, want)
			}
			low, up := u.layerDir(got.diffIDs[0]), u.layerDir(got.diffIDs[1])
			for path, want := range map[string]string{
				low + "/a/x": "x", low + "/a/y": "y", low + "/o/old": "old", low + "/f": "f1",
				up + "/o/new": "new", up + "/g": "g",
			} {
				if b, err := os.ReadFile(path); err != nil || string(b) != want {
					t.Errorf("%s = %q, %v; want %q", strings.TrimPrefix(path, dir), b, err, want)
				}
			}
			for _, p := range []string{up + "/a/.wh.x", up + "/o/.wh..wh..opq", up + "/a/y", up + "/o/old"} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s exists in the upper layer", strings.TrimPrefix(p, dir))
				}
			}
			if entries, err := os.ReadDir(filepath.Join(dir, "tmp")); err != nil || len(entries) != 0 {
				t.Errorf("tmp holds %v, %v; want nothing", entries, err)
			}
			checkWhiteouts(t, up, denied)
		})
	}
}

// checkWhiteouts checks the overlay whiteouts in the upper layer: a/x a
// 0:0 character device, o marked opaque. It runs last as it may skip.
func checkWhiteouts(t *testing.T, up string, denied []string) {
	t.Helper()
	if len(denied) > 0 {
		t.Skipf("cannot check the overlay whiteouts: this process may not create them (%s); run the test as root", strings.Join(denied, "; "))
	}
	var st unix.Stat_t
	if err := unix.Lstat(up+"/a/x", &st); err != nil {
		t.Fatalf("whiteout a/x: %v", err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFCHR || st.Rdev != 0 {
		t.Errorf("a/x mode %o rdev %d; want a 0:0 character device", st.Mode, st.Rdev)
	}
	buf := make([]byte, 8)
	n, err := unix.Lgetxattr(up+"/o", "trusted.overlay.opaque", buf)
	if err != nil || string(buf[:n]) != "y" {
		t.Errorf("o trusted.overlay.opaque = %q, %v; want y", buf[:n], err)
	}
}

func TestUnpackRejects(t *testing.T) {
	t.Parallel()
	lower, upper := whiteoutLayers(t)
	good, _ := saveTar(t, legacyLayout, "docker.io/library/test:1", ocispecConfig(), lower)
	// A config whose diff_ids do not match: the lower layer claimed as upper.
	swapped, _ := saveTar(t, legacyLayout, "docker.io/library/test:1", ocispecConfig(), upper)
	swapped = bytes.Replace(swapped, []byte(sha(upper)), []byte(sha(lower)), 1)
	for _, tc := range []struct {
		name    string
		archive []byte
		want    string
	}{
		{"not a tar", []byte("garbage that is not a tar archive at all, but long enough"), "read image archive"},
		{"no manifest", layerTar(t, testEntry{name: "x", body: "y"}), "neither manifest.json nor index.json"},
		{"truncated", good[:len(good)/2], "unexpected EOF"},
		{"diff_ids mismatch", swapped, "corrupt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "tmp"), 0o700)
			os.MkdirAll(filepath.Join(dir, "layers/sha256"), 0o700)
			var denied []string
			u := &unpacker{dir: dir, convert: permissiveConvert(&denied)}
			c, err := u.read(t.Context(), bytes.NewReader(tc.archive))
			if err == nil {
				_, err = resolve(c, "docker.io/library/test:1")
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
