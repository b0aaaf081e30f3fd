package runtime

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// makeRoot builds a small rootfs: files (mode) and symlinks (target).
func makeRoot(t *testing.T, files map[string]os.FileMode, links map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, mode := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if mode.IsDir() {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
	}
	for p, target := range links {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestSecureJoin(t *testing.T) {
	t.Parallel()
	root := makeRoot(t,
		map[string]os.FileMode{"/usr/bin/busybox": 0o755, "/etc/hosts": 0o644},
		map[string]string{
			"/bin":          "usr/bin",      // relative
			"/etc/evil":     "/../../../..", // climbs out
			"/etc/abs":      "/usr/bin",     // absolute: inside root
			"/etc/loop":     "/etc/loop",
			"/etc/dotdot":   "../../../etc/hosts",
			"/usr/bin/sh":   "busybox",
			"/proc":         "/etc/evil/run/proc",
			"/var/run":      "../run",
			"/etc/resolv":   "/run/resolv.conf",
			"/usr/bin/link": "/bin/sh",
		})
	tests := []struct {
		path, want string
		wantErr    bool
	}{
		{path: "/bin/sh", want: "/usr/bin/busybox"},
		{path: "bin/sh", want: "/usr/bin/busybox"},
		{path: "/usr/bin/link", want: "/usr/bin/busybox"},
		{path: "/etc/evil", want: "/"},
		{path: "/etc/evil/etc/passwd", want: "/etc/passwd"},
		{path: "/../../etc/hosts", want: "/etc/hosts"},
		{path: "/etc/dotdot", want: "/etc/hosts"},
		{path: "/proc/1", want: "/run/proc/1"},
		{path: "/etc/abs/x", want: "/usr/bin/x"},
		{path: "/var/run/secrets/token", want: "/run/secrets/token"},
		{path: "/etc/resolv", want: "/run/resolv.conf"},
		{path: "", want: "/"},
		{path: "/etc/loop", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			got, err := secureJoin(root, tt.path)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), syscall.ELOOP.Error()) {
					t.Fatalf("secureJoin(%q) = %q, %v; want ELOOP", tt.path, got, err)
				}
				return
			}
			if err != nil || got != filepath.Join(root, tt.want) {
				t.Errorf("secureJoin(%q) = %q, %v; want %q", tt.path, got, err, filepath.Join(root, tt.want))
			}
		})
	}
}

func TestLookPath(t *testing.T) {
	t.Parallel()
	root := makeRoot(t,
		map[string]os.FileMode{"/usr/bin/busybox": 0o755, "/usr/bin/data": 0o644, "/opt/app/run": 0o700, "/sbin/dir": os.ModeDir | 0o755},
		map[string]string{"/bin/sh": "/usr/bin/busybox", "/usr/local/bin/escape": "/../../usr/bin/busybox"})
	tests := []struct {
		name, cmd string
		env       []string
		want      string
		wantErr   string
	}{
		{name: "default PATH", cmd: "sh", want: "/bin/sh"},
		{name: "symlink resolved in root", cmd: "escape", want: "/usr/local/bin/escape"},
		{name: "PATH from env", cmd: "sh", env: []string{"PATH=/bin"}, want: "/bin/sh"},
		{name: "first match wins", cmd: "busybox", env: []string{"PATH=/usr/bin:/bin"}, want: "/usr/bin/busybox"},
		{name: "last PATH wins", cmd: "run", env: []string{"PATH=/bin", "PATH=/opt/app"}, want: "/opt/app/run"},
		{name: "not executable", cmd: "data", env: []string{"PATH=/usr/bin"}, wantErr: `exec: "data": executable file not found in $PATH`},
		{name: "directory", cmd: "dir", env: []string{"PATH=/sbin"}, wantErr: "not found"},
		{name: "missing", cmd: "nope", wantErr: `exec: "nope": executable file not found in $PATH`},
		{name: "relative PATH entry skipped", cmd: "busybox", env: []string{"PATH=usr/bin"}, wantErr: "not found"},
		{name: "path with slash as is", cmd: "./x/y", want: "./x/y"},
		{name: "absolute as is", cmd: "/nope", want: "/nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := lookPath(root, tt.cmd, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("lookPath(%q) = %q, %v; want error %q", tt.cmd, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("lookPath(%q) = %q, %v; want %q", tt.cmd, got, err, tt.want)
			}
		})
	}
}

func TestMaskedPaths(t *testing.T) {
	t.Parallel()
	// Docker's lists (moby oci/defaults.go): what a pod must not see or change.
	for _, p := range []string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/sys/firmware", "/proc/acpi", "/proc/scsi"} {
		if !slices.Contains(maskedPaths, p) {
			t.Errorf("%s is not masked", p)
		}
	}
	for _, p := range []string{"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"} {
		if !slices.Contains(readonlyPaths, p) {
			t.Errorf("%s is not read-only", p)
		}
	}
	seen := map[string]bool{}
	for _, p := range append(append([]string{}, maskedPaths...), readonlyPaths...) {
		if seen[p] || !filepath.IsAbs(p) || !(strings.HasPrefix(p, "/proc/") || strings.HasPrefix(p, "/sys/")) {
			t.Errorf("bad or duplicate entry %q", p)
		}
		seen[p] = true
	}
}

func TestMaskKind(t *testing.T) {
	t.Parallel()
	if src, fstype, flags, data := maskKind(true); src != "tmpfs" || fstype != "tmpfs" || flags != syscall.MS_RDONLY || data != "size=0" {
		t.Errorf("dir mask = %q %q %#x %q, want a read-only empty tmpfs", src, fstype, flags, data)
	}
	if src, fstype, flags, _ := maskKind(false); src != "/dev/null" || fstype != "" || flags != syscall.MS_BIND {
		t.Errorf("file mask = %q %q %#x, want /dev/null bound", src, fstype, flags)
	}
}
