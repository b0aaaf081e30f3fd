package testimages

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minidev/mini/nodeimage"
)

// layer is an image's written layer and config, read back.
type layer struct {
	hdrs   map[string]*tar.Header
	files  map[string][]byte
	config struct {
		Config struct {
			Entrypoint, Cmd, Env []string
			ExposedPorts         map[string]struct{}
		} `json:"config"`
	}
}

// readImage writes img and reads back its config and layer.
func readImage(t *testing.T, img nodeimage.Image) layer {
	t.Helper()
	var buf bytes.Buffer
	if err := img.WriteTar(&buf); err != nil {
		t.Fatalf("WriteTar: %v", err)
	}
	_, archive := untar(t, buf.Bytes())
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(archive["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json %s: %v", archive["manifest.json"], err)
	}
	if !slices.Equal(manifest[0].RepoTags, []string{img.Ref}) {
		t.Errorf("RepoTags = %v, want %s", manifest[0].RepoTags, img.Ref)
	}
	var l layer
	if err := json.Unmarshal(archive[manifest[0].Config], &l.config); err != nil {
		t.Fatalf("config: %v", err)
	}
	l.hdrs, l.files = untar(t, archive[manifest[0].Layers[0]])
	return l
}

func untar(t *testing.T, data []byte) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	hdrs, files := map[string]*tar.Header{}, map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hdrs, files
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		hdrs[h.Name], files[h.Name] = h, b
	}
}

func needBusybox(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(BusyboxPath); err != nil {
		t.Skipf("%s missing (make deps installs busybox-static): %v", BusyboxPath, err)
	}
}

func TestBusyboxImage(t *testing.T) {
	t.Parallel()
	needBusybox(t)
	img, err := BusyboxImage(t.Context(), BusyboxPath)
	if err != nil {
		t.Fatalf("BusyboxImage: %v", err)
	}
	l := readImage(t, img)

	host, err := os.ReadFile(BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	if h := l.hdrs["bin/busybox"]; h == nil || h.Mode != 0o755 || !bytes.Equal(l.files["bin/busybox"], host) {
		t.Errorf("bin/busybox = %+v, want the host's busybox, mode 0755", h)
	}
	out, err := exec.Command(BusyboxPath, "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	links := 0
	for _, h := range l.hdrs {
		if h.Typeflag == tar.TypeSymlink {
			links++
			if !strings.HasPrefix(h.Name, "bin/") || h.Linkname != "busybox" {
				t.Errorf("symlink %s -> %s, want bin/X -> busybox", h.Name, h.Linkname)
			}
		}
	}
	if want := len(strings.Fields(string(out))) - 1; links != want || want < 100 {
		t.Errorf("%d applet symlinks, want %d (busybox --list without busybox)", links, want)
	}
	for _, applet := range []string{"sh", "echo", "sleep", "wget", "nslookup", "id", "cat"} {
		if h := l.hdrs["bin/"+applet]; h == nil || h.Typeflag != tar.TypeSymlink {
			t.Errorf("applet /bin/%s missing", applet)
		}
	}
	checkBase(t, l)
	c := l.config.Config
	if !slices.Equal(c.Env, []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin"}) || !slices.Equal(c.Cmd, []string{"sh"}) || c.Entrypoint != nil {
		t.Errorf("config = %+v, want PATH and CMD [sh], no entrypoint", c)
	}
}

// checkBase checks what both images hold besides their program.
func checkBase(t *testing.T, l layer) {
	t.Helper()
	for _, line := range []string{"root:x:0:0:", "nobody:x:65534:65534:"} {
		if !strings.Contains(string(l.files["etc/passwd"]), "\n"+line) && !strings.HasPrefix(string(l.files["etc/passwd"]), line) {
			t.Errorf("/etc/passwd = %q, want a line %q", l.files["etc/passwd"], line)
		}
	}
	if g := string(l.files["etc/group"]); g != "root:x:0:\nnobody:x:65534:\n" {
		t.Errorf("/etc/group = %q", g)
	}
	if h := l.hdrs["tmp/"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("/tmp = %+v, want a dir with mode 1777", h)
	}
}

func TestBusyboxImageErrors(t *testing.T) {
	t.Parallel()
	text := filepath.Join(t.TempDir(), "busybox")
	if err := os.WriteFile(text, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dynamic, err := exec.LookPath("ls") // the host's coreutils are dynamic
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path, wantErr string }{
		{"missing", filepath.Join(t.TempDir(), "nope"), "no such file or directory; install Debian's busybox-static (make deps)"},
		{"not ELF", text, ": EOF; install Debian's busybox-static (make deps)"},
		{"dynamic", dynamic, "is dynamically linked; install Debian's busybox-static (make deps)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := BusyboxImage(t.Context(), tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("BusyboxImage(%s) = %v, want an error containing %q", tt.path, err, tt.wantErr)
			}
		})
	}
}

func TestServerImage(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "server")
	if err := os.WriteFile(bin, []byte("\x7fELF server"), 0o700); err != nil {
		t.Fatal(err)
	}
	l := readImage(t, ServerImage(bin))
	if h := l.hdrs["server"]; h == nil || h.Mode != 0o755 || string(l.files["server"]) != "\x7fELF server" {
		t.Errorf("/server = %+v, want the binary, mode 0755", h)
	}
	checkBase(t, l)
	c := l.config.Config
	if !slices.Equal(c.Entrypoint, []string{"/server"}) || c.Cmd != nil {
		t.Errorf("entrypoint %v cmd %v, want [/server] and none", c.Entrypoint, c.Cmd)
	}
	_, tcp := c.ExposedPorts["8080/tcp"]
	_, udp := c.ExposedPorts["8081/udp"]
	if len(c.ExposedPorts) != 2 || !tcp || !udp {
		t.Errorf("ExposedPorts = %v, want 8080/tcp and 8081/udp", c.ExposedPorts)
	}
}
