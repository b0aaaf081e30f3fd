package volume

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

// TestSystemMounter runs the real tmpfs mounts where the process may mount
// (root in a node container, or a privileged CI box); it skips elsewhere.
func TestSystemMounter(t *testing.T) {
	t.Parallel()
	probe := t.TempDir()
	if err := (SystemMounter{}).MountTmpfs(probe, 1<<20); err != nil {
		if errors.Is(err, unix.EPERM) {
			t.Skipf("cannot mount here: %v", err)
		}
		t.Fatalf("MountTmpfs: %v", err)
	}
	if err := (SystemMounter{}).Unmount(probe); err != nil {
		t.Fatalf("Unmount: %v", err)
	}

	dir := t.TempDir()
	m := New(Config{Dir: dir, Lookup: newStore(secret("creds", map[string]string{"pass": "pw"}))})
	pod := podWith("real",
		corev1.Volume{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds"}}},
		corev1.Volume{Name: "mem", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
			Medium: corev1.StorageMediumMemory, SizeLimit: ptr.To(resource.MustParse("2Mi"))}}},
	)
	paths, err := m.Setup(context.Background(), pod)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	for _, name := range []string{"sec", "mem"} {
		var st unix.Statfs_t
		if err := unix.Statfs(paths[name], &st); err != nil || st.Type != unix.TMPFS_MAGIC {
			t.Errorf("volume %s is not on tmpfs: type %x, %v", name, st.Type, err)
		}
	}
	var st unix.Statfs_t
	if err := unix.Statfs(paths["mem"], &st); err != nil || st.Blocks*uint64(st.Bsize) != 2<<20 {
		t.Errorf("memory emptyDir size = %d bytes, want 2Mi (%v)", st.Blocks*uint64(st.Bsize), err)
	}
	if got := readFile(t, filepath.Join(paths["sec"], "pass")); got != "pw" {
		t.Errorf("secret file = %q", got)
	}
	if err := m.Teardown(pod.UID); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	mountinfo, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mountinfo), dir) {
		t.Errorf("mounts left under %s after Teardown", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "uid-real")); !os.IsNotExist(err) {
		t.Errorf("pod dir left after Teardown: %v", err)
	}
}
