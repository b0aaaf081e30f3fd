package nodeimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// readTar returns the files of a tar stream by name, and the names in order.
func readTar(t *testing.T, data []byte) (map[string]*tar.Header, map[string][]byte, []string) {
	t.Helper()
	hdrs := map[string]*tar.Header{}
	files := map[string][]byte{}
	var names []string
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read tar entry %s: %v", h.Name, err)
		}
		hdrs[h.Name], files[h.Name] = h, b
		names = append(names, h.Name)
	}
	return hdrs, files, names
}

func writeFakeBinary(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mini")
	if err := os.WriteFile(path, []byte(content), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestWriteTar(t *testing.T) {
	t.Parallel()
	binary := "\x7fELF pretend this is mini"
	path := writeFakeBinary(t, binary)
	ref, err := Ref(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTar(&buf, path, ref); err != nil {
		t.Fatalf("WriteTar: %v", err)
	}
	_, files, _ := readTar(t, buf.Bytes())

	var manifest []manifestItem
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(manifest) != 1 || len(manifest[0].Layers) != 1 || !slices.Equal(manifest[0].RepoTags, []string{ref}) {
		t.Fatalf("manifest.json = %+v, want one image tagged %s with one layer", manifest, ref)
	}
	m := manifest[0]

	configBytes, ok := files[m.Config]
	if !ok {
		t.Fatalf("config %s missing from the archive", m.Config)
	}
	if want := sha(configBytes) + ".json"; m.Config != want {
		t.Errorf("config name %s, want its digest %s", m.Config, want)
	}
	var config struct {
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
		Config       struct {
			Entrypoint, Cmd, Env []string
			Labels               map[string]string
		} `json:"config"`
		RootFS struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(configBytes, &config); err != nil {
		t.Fatalf("config: %v", err)
	}
	layer, ok := files[m.Layers[0]]
	if !ok {
		t.Fatalf("layer %s missing from the archive", m.Layers[0])
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"architecture", config.Architecture, runtime.GOARCH},
		{"os", config.OS, "linux"},
		{"entrypoint", config.Config.Entrypoint, []string{"/mini"}},
		{"cmd", config.Config.Cmd, []string{"agent"}},
		{"env", config.Config.Env, []string{"PATH=/"}},
		{"label", config.Config.Labels[LabelBinarySHA256], sha([]byte(binary))},
		{"rootfs type", config.RootFS.Type, "layers"},
		{"diff_ids", config.RootFS.DiffIDs, []string{"sha256:" + sha(layer)}},
	}
	for _, c := range checks {
		if !equalAny(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}

	var repos map[string]map[string]string
	if err := json.Unmarshal(files["repositories"], &repos); err != nil {
		t.Fatalf("repositories: %v", err)
	}
	repo, tag, _ := strings.Cut(ref, ":")
	if repos[repo][tag] == "" {
		t.Errorf("repositories = %v, want an entry for %s", repos, ref)
	}

	// The layer: the binary at /mini, mode 0755, and empty directories.
	lh, lf, names := readTar(t, layer)
	wantNames := []string{"etc/", "mini", "run/", "tmp/", "var/", "var/lib/", "var/lib/mini/"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("layer entries = %v, want %v", names, wantNames)
	}
	if string(lf["mini"]) != binary {
		t.Errorf("layer /mini = %q, want the binary", lf["mini"])
	}
	wantModes := map[string]int64{"mini": 0o755, "tmp/": 0o1777, "var/lib/mini/": 0o755}
	for name, mode := range wantModes {
		if h := lh[name]; h == nil || h.Mode != mode {
			t.Errorf("layer %s mode = %v, want %o", name, h, mode)
		}
	}
	for name, h := range lh {
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 0 {
			t.Errorf("layer %s: uid %d gid %d mtime %v, want root and the epoch", name, h.Uid, h.Gid, h.ModTime)
		}
	}
}

func equalAny(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestWriteTarDeterministic(t *testing.T) {
	t.Parallel()
	write := func(path string) []byte {
		t.Helper()
		ref, err := Ref(path)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteTar(&buf, path, ref); err != nil {
			t.Fatalf("WriteTar: %v", err)
		}
		return buf.Bytes()
	}
	a := writeFakeBinary(t, "binary one")
	a2 := writeFakeBinary(t, "binary one") // same content, other file and time
	b := writeFakeBinary(t, "binary two")
	if !bytes.Equal(write(a), write(a2)) {
		t.Error("two archives of one binary differ")
	}
	if bytes.Equal(write(a), write(b)) {
		t.Error("archives of two binaries are equal")
	}
}

func TestWriteTarErrors(t *testing.T) {
	t.Parallel()
	path := writeFakeBinary(t, "x")
	tests := []struct {
		name, path, ref, wantErr string
	}{
		{"no tag", path, "mini-node", "reference must be name:tag"},
		{"empty tag", path, "mini-node:", "reference must be name:tag"},
		{"missing binary", filepath.Join(t.TempDir(), "nope"), "mini-node:abc", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := WriteTar(io.Discard, tt.path, tt.ref)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("WriteTar = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	path := writeFakeBinary(t, "some binary")
	var want bytes.Buffer
	if err := WriteTar(&want, path, "mini-node:test"); err != nil {
		t.Fatal(err)
	}
	rc := Open(path, "mini-node:test")
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read Open: %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Error("Open's stream differs from WriteTar's output")
	}

	// An error surfaces from Read; closing early ends the writer.
	rc = Open(filepath.Join(t.TempDir(), "nope"), "mini-node:test")
	if _, err := io.ReadAll(rc); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("read Open of a missing binary = %v, want its error", err)
	}
	rc.Close()
	rc = Open(path, "mini-node:test")
	rc.Close()
}
