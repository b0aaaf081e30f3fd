package nodeimage

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// imageParts writes img and returns its image ID (the config digest), its
// config and its layer's headers, contents and entry names in order.
func imageParts(t *testing.T, img Image) (id string, config map[string]any, hdrs map[string]*tar.Header, files map[string][]byte, names []string) {
	t.Helper()
	var buf bytes.Buffer
	if err := img.WriteTar(&buf); err != nil {
		t.Fatalf("WriteTar: %v", err)
	}
	_, archive, _ := readTar(t, buf.Bytes())
	var manifest []manifestItem
	if err := json.Unmarshal(archive["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json %s: %v", archive["manifest.json"], err)
	}
	if err := json.Unmarshal(archive[manifest[0].Config], &config); err != nil {
		t.Fatalf("config: %v", err)
	}
	hdrs, files, names = readTar(t, archive[manifest[0].Layers[0]])
	return strings.TrimSuffix(manifest[0].Config, ".json"), config, hdrs, files, names
}

func TestNodeImageGolden(t *testing.T) {
	t.Parallel()
	// The node image of a fixed binary must keep its exact bytes (and so
	// its image ID) across refactorings: nodes of a running cluster are
	// matched to the image by it.
	path := filepath.Join(t.TempDir(), "mini")
	if err := os.WriteFile(path, []byte("\x7fELF golden node binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTar(&buf, path, "mini-node:0123456789ab"); err != nil {
		t.Fatal(err)
	}
	if got, want := sha(buf.Bytes()), "e218165364a7a795696da6f76c515ef13112efa00faf14d18f4c4811771069d6"; got != want {
		t.Errorf("node image archive sha256 = %s, want %s (image ID 5bb0abff37f6...)", got, want)
	}
}

func TestImageWriteTar(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "tool")
	if err := os.WriteFile(src, []byte("tool content"), 0o600); err != nil {
		t.Fatal(err)
	}
	img := Image{
		Ref: "example.com:5000/test/img:v1",
		Files: []File{
			Symlink("/bin/sh", "busybox"),
			Copy("/bin/busybox", 0o755, src),
			Bytes("/etc/passwd", 0o644, []byte("root:x:0:0::/root:/bin/sh\n")),
			Dir("/tmp", 0o1777),
			Bytes("/usr/local/bin/suid", 0o4755, []byte("x")),
			Bytes("empty", 0o600, nil),
		},
		Config: Config{
			Entrypoint: []string{"/bin/busybox"}, Cmd: []string{"sh"}, Env: []string{"PATH=/bin"},
			WorkingDir: "/tmp", User: "65534:65534", ExposedPorts: []string{"8081/udp", "8080/tcp"},
			Labels: map[string]string{"a": "b"},
		},
		CreatedBy: "test",
	}
	_, config, hdrs, files, names := imageParts(t, img)

	wantNames := []string{"bin/", "bin/busybox", "bin/sh", "empty", "etc/", "etc/passwd", "tmp/", "usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/suid"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("layer entries = %v, want %v", names, wantNames)
	}
	entries := []struct {
		name    string
		typ     byte
		mode    int64
		link    string
		content string
	}{
		{"bin/", tar.TypeDir, 0o755, "", ""},
		{"bin/busybox", tar.TypeReg, 0o755, "", "tool content"},
		{"bin/sh", tar.TypeSymlink, 0o777, "busybox", ""},
		{"empty", tar.TypeReg, 0o600, "", ""},
		{"etc/passwd", tar.TypeReg, 0o644, "", "root:x:0:0::/root:/bin/sh\n"},
		{"tmp/", tar.TypeDir, 0o1777, "", ""},
		{"usr/local/", tar.TypeDir, 0o755, "", ""},
		{"usr/local/bin/suid", tar.TypeReg, 0o4755, "", "x"},
	}
	for _, e := range entries {
		h := hdrs[e.name]
		if h == nil {
			t.Errorf("%s missing", e.name)
			continue
		}
		if h.Typeflag != e.typ || h.Mode != e.mode || h.Linkname != e.link || string(files[e.name]) != e.content {
			t.Errorf("%s: type %c mode %o link %q content %q; want %c %o %q %q",
				e.name, h.Typeflag, h.Mode, h.Linkname, files[e.name], e.typ, e.mode, e.link, e.content)
		}
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 0 {
			t.Errorf("%s: uid %d gid %d mtime %v, want root and the epoch", e.name, h.Uid, h.Gid, h.ModTime)
		}
	}

	got, _ := json.Marshal(config["config"])
	want := `{"Cmd":["sh"],"Entrypoint":["/bin/busybox"],"Env":["PATH=/bin"],"ExposedPorts":{"8080/tcp":{},"8081/udp":{}},"Labels":{"a":"b"},"User":"65534:65534","WorkingDir":"/tmp"}`
	if string(got) != want {
		t.Errorf("config = %s\nwant     %s", got, want)
	}
	if h, _ := json.Marshal(config["history"]); !strings.Contains(string(h), `"created_by":"test"`) {
		t.Errorf("history = %s, want created_by test", h)
	}
}

func TestImageDeterministic(t *testing.T) {
	t.Parallel()
	base := func() Image {
		return Image{
			Ref:    "t/x:1",
			Files:  []File{Bytes("/a/b", 0o644, []byte("b")), Symlink("/c", "a/b"), Dir("/d", 0o700)},
			Config: Config{Cmd: []string{"x"}, Labels: map[string]string{"k1": "1", "k2": "2"}},
		}
	}
	id := func(img Image) string {
		t.Helper()
		id, _, _, _, _ := imageParts(t, img)
		return id
	}
	ref := id(base())
	tests := []struct {
		name   string
		change func(*Image)
		same   bool
	}{
		{"same inputs", func(*Image) {}, true},
		{"files in another order", func(i *Image) { slices.Reverse(i.Files) }, true},
		{"explicit parent with the default mode", func(i *Image) { i.Files = append(i.Files, Dir("/a", 0o755)) }, true},
		{"other tag (the ID is the config's digest)", func(i *Image) { i.Ref = "t/x:2" }, true},
		{"other mode", func(i *Image) { i.Files[2].Mode = 0o755 }, false},
		{"other content", func(i *Image) { i.Files[0].Data = []byte("B") }, false},
		{"other link target", func(i *Image) { i.Files[1].Link = "a" }, false},
		{"other label", func(i *Image) { i.Config.Labels["k2"] = "3" }, false},
		{"a user", func(i *Image) { i.Config.User = "1" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			img := base()
			tt.change(&img)
			if got := id(img); (got == ref) != tt.same {
				t.Errorf("image ID %s vs %s: same = %v, want %v", got, ref, got == ref, tt.same)
			}
		})
	}
}

func TestImageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name    string
		img     Image
		wantErr string
	}{
		{"bad ref", Image{Ref: "x"}, "write image x: reference must be name:tag"},
		{"root entry", Image{Ref: "t/x:1", Files: []File{Dir("/", 0o755)}}, "root directory cannot be an entry"},
		{"duplicate", Image{Ref: "t/x:1", Files: []File{Bytes("/a", 0o644, nil), Bytes("a/", 0o644, nil)}}, "listed twice"},
		{"two kinds", Image{Ref: "t/x:1", Files: []File{{Path: "/a", Link: "b", Data: []byte("c")}}}, "set only one of"},
		{"parent is a file", Image{Ref: "t/x:1", Files: []File{Bytes("/a", 0o644, nil), Bytes("/a/b", 0o644, nil)}}, "parent /a is not a directory"},
		{"missing source", Image{Ref: "t/x:1", Files: []File{Copy("/bin/x", 0o755, filepath.Join(dir, "nope"))}}, "layer entry /bin/x: open " + dir},
		{"source is a dir", Image{Ref: "t/x:1", Files: []File{Copy("/bin/x", 0o755, dir)}}, "is not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			err := tt.img.WriteTar(&buf)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("WriteTar = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestImageOpen(t *testing.T) {
	t.Parallel()
	img := Image{Ref: "t/x:1", Files: []File{Bytes("/f", 0o644, []byte("f"))}}
	var want bytes.Buffer
	if err := img.WriteTar(&want); err != nil {
		t.Fatal(err)
	}
	rc := img.Open()
	var got bytes.Buffer
	if _, err := got.ReadFrom(rc); err != nil {
		t.Fatalf("read Open: %v", err)
	}
	rc.Close()
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Error("Open's stream differs from WriteTar's output")
	}
}
