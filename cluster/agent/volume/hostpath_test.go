package volume

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestHostPath(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "dir")
	file := filepath.Join(root, "file")
	sock := filepath.Join(root, "s.sock")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	missing := func(name string) string { return filepath.Join(root, name) }
	tests := []struct {
		name    string
		path    string
		typ     corev1.HostPathType
		wantErr string
		created os.FileMode // type of what must exist afterwards, for the OrCreate types
	}{
		{name: "unset, missing is fine", path: missing("nothing"), typ: corev1.HostPathUnset},
		{name: "directory", path: dir, typ: corev1.HostPathDirectory},
		{name: "directory missing", path: missing("nodir"), typ: corev1.HostPathDirectory, wantErr: "hostPath type check failed: " + missing("nodir") + " is not a directory"},
		{name: "directory is a file", path: file, typ: corev1.HostPathDirectory, wantErr: "hostPath type check failed: " + file + " is not a directory"},
		{name: "directoryOrCreate creates parents", path: missing("new/deep"), typ: corev1.HostPathDirectoryOrCreate, created: os.ModeDir},
		{name: "directoryOrCreate on a file", path: file, typ: corev1.HostPathDirectoryOrCreate, wantErr: "is not a directory"},
		{name: "file", path: file, typ: corev1.HostPathFile},
		{name: "file is a dir", path: dir, typ: corev1.HostPathFile, wantErr: "hostPath type check failed: " + dir + " is not a file"},
		{name: "fileOrCreate", path: missing("newfile"), typ: corev1.HostPathFileOrCreate, created: 0},
		{name: "fileOrCreate on a dir", path: dir, typ: corev1.HostPathFileOrCreate, wantErr: "is not a file"},
		{name: "socket", path: sock, typ: corev1.HostPathSocket},
		{name: "socket is a file", path: file, typ: corev1.HostPathSocket, wantErr: "hostPath type check failed: " + file + " is not a socket file"},
		{name: "char device", path: "/dev/null", typ: corev1.HostPathCharDev},
		{name: "char device is a file", path: file, typ: corev1.HostPathCharDev, wantErr: "is not a character device"},
		{name: "block device is a char device", path: "/dev/null", typ: corev1.HostPathBlockDev, wantErr: "hostPath type check failed: /dev/null is not a block device"},
		{name: "invalid type", path: dir, typ: "Weird", wantErr: "Weird is an invalid volume type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, _, _ := newManager(t, newStore())
			pod := podWith("hp", corev1.Volume{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: tt.path, Type: &tt.typ}}})
			paths, err := m.Setup(context.Background(), pod)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `volume "h"`) {
					t.Fatalf("Setup error = %v, want one naming volume h and containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			if paths["h"] != tt.path {
				t.Errorf("path = %q, want %q", paths["h"], tt.path)
			}
			if tt.typ == corev1.HostPathDirectoryOrCreate || tt.typ == corev1.HostPathFileOrCreate {
				fi, err := os.Stat(tt.path)
				if err != nil || fi.Mode().Type() != tt.created {
					t.Errorf("created %s: %v, %v", tt.path, fi, err)
				}
			}
		})
	}
}
