package volume

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

func TestSetupVolumes(t *testing.T) {
	t.Parallel()
	s := newStore(
		configMap("cfg", map[string]string{"app.conf": "port=80", "other": "o"}),
		secret("creds", map[string]string{"user": "admin", "pass": "pw"}),
	)
	cmVol := func(name string, items []corev1.KeyToPath, optional bool) corev1.Volume {
		return corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}, Items: items, Optional: ptr.To(optional)}}}
	}
	tests := []struct {
		name    string
		vol     corev1.Volume
		files   map[string]string      // path in the volume → content
		modes   map[string]os.FileMode // path → mode
		tmpfs   bool
		wantErr string
	}{
		{name: "configMap all keys", vol: cmVol("cfg", nil, false),
			files: map[string]string{"app.conf": "port=80", "other": "o"}, modes: map[string]os.FileMode{"app.conf": 0o644}},
		{name: "configMap items, modes, defaultMode", vol: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, DefaultMode: ptr.To[int32](0o600),
			Items: []corev1.KeyToPath{{Key: "app.conf", Path: "conf/app.conf", Mode: ptr.To[int32](0o400)}, {Key: "other", Path: "o"}}}}},
			files: map[string]string{"conf/app.conf": "port=80", "o": "o"}, modes: map[string]os.FileMode{"conf/app.conf": 0o400, "o": 0o600}},
		{name: "configMap missing", vol: cmVol("app-config", nil, false),
			wantErr: `MountVolume.SetUp failed for volume "v" : configmap "app-config" not found`},
		{name: "configMap optional missing is empty", vol: cmVol("app-config", nil, true), files: map[string]string{}},
		{name: "configMap missing item key", vol: cmVol("cfg", []corev1.KeyToPath{{Key: "nope", Path: "x"}}, false),
			wantErr: `MountVolume.SetUp failed for volume "v" : configmap references non-existent config key: nope`},
		{name: "configMap optional missing item key skipped", vol: cmVol("cfg", []corev1.KeyToPath{{Key: "nope", Path: "x"}, {Key: "other", Path: "y"}}, true),
			files: map[string]string{"y": "o"}},
		{name: "secret on tmpfs", vol: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", DefaultMode: ptr.To[int32](0o440)}}},
			files: map[string]string{"user": "admin", "pass": "pw"}, modes: map[string]os.FileMode{"pass": 0o440}, tmpfs: true},
		{name: "secret missing", vol: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "nope"}}},
			wantErr: `MountVolume.SetUp failed for volume "v" : secret "nope" not found`},
		{name: "secret missing key", vol: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds",
			Items: []corev1.KeyToPath{{Key: "token", Path: "t"}}}}},
			wantErr: `MountVolume.SetUp failed for volume "v" : references non-existent secret key: token`},
		{name: "downwardAPI", vol: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
			{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
			{Path: "name", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}, Mode: ptr.To[int32](0o400)},
			{Path: "mem", ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "app", Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}},
		}}}},
			files: map[string]string{"labels": `app="web"`, "name": "web", "mem": "64"}, modes: map[string]os.FileMode{"name": 0o400, "labels": 0o644}, tmpfs: true},
		{name: "downwardAPI bad field", vol: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
			{Path: "ip", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}}}}},
			wantErr: `MountVolume.SetUp failed for volume "v" : item ip: unsupported fieldPath: status.podIP`},
		{name: "projected", vol: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			DefaultMode: ptr.To[int32](0o640),
			Sources: []corev1.VolumeProjection{
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Items: []corev1.KeyToPath{{Key: "app.conf", Path: "app.conf"}}}},
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Items: []corev1.KeyToPath{{Key: "user", Path: "creds/user"}}}},
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "gone"}, Optional: ptr.To(true)}},
				{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "ns", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
			}}}},
			files: map[string]string{"app.conf": "port=80", "creds/user": "admin", "ns": "ns"}, modes: map[string]os.FileMode{"creds/user": 0o640}, tmpfs: true},
		{name: "projected service account token", vol: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}},
			wantErr: `MountVolume.SetUp failed for volume "v" : serviceAccountToken projection "token" is not supported yet (mini issues no service account tokens)`},
		{name: "projected cluster trust bundle", vol: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ClusterTrustBundle: &corev1.ClusterTrustBundleProjection{Path: "ca.pem"}}}}}},
			wantErr: `MountVolume.SetUp failed for volume "v" : clusterTrustBundle projection "ca.pem" is not supported`},
		{name: "projected missing secret", vol: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "gone"}}}}}}},
			wantErr: `MountVolume.SetUp failed for volume "v" : secret "gone" not found`},
		{name: "persistentVolumeClaim", vol: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}},
			wantErr: `MountVolume.SetUp failed for volume "v" : persistentVolumeClaim volumes need a claim lookup`},
		{name: "unsupported", vol: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "x", Path: "/"}}},
			wantErr: `MountVolume.SetUp failed for volume "v" : unsupported volume type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, fm, dir := newManager(t, s)
			pod := podWith("1", tt.vol)
			pod.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}
			paths, err := m.Setup(context.Background(), pod)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Setup error = %v, want %q", err, tt.wantErr)
				}
				if _, ok := paths["v"]; ok {
					t.Errorf("failed volume has a path")
				}
				return
			}
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			want := filepath.Join(dir, "uid-1", "volumes", "v")
			if paths["v"] != want {
				t.Fatalf("path = %q, want %q", paths["v"], want)
			}
			if _, mounted := fm.mounted[want]; mounted != tt.tmpfs {
				t.Errorf("tmpfs mounted = %v, want %v", mounted, tt.tmpfs)
			}
			for p, content := range tt.files {
				if got := readFile(t, filepath.Join(want, p)); got != content {
					t.Errorf("%s = %q, want %q", p, got, content)
				}
			}
			for p, md := range tt.modes {
				if got := mode(t, filepath.Join(want, p)); got != md {
					t.Errorf("mode of %s = %o, want %o", p, got, md)
				}
			}
			var visible []string
			for _, n := range listDir(t, want) {
				if !strings.HasPrefix(n, "..") {
					visible = append(visible, n)
				}
			}
			var wantVisible []string
			for p := range tt.files {
				top, _, _ := strings.Cut(p, "/")
				if !slices.Contains(wantVisible, top) {
					wantVisible = append(wantVisible, top)
				}
			}
			slices.Sort(wantVisible)
			if !slices.Equal(visible, wantVisible) {
				t.Errorf("visible entries = %v, want %v", visible, wantVisible)
			}
		})
	}
}

func TestEmptyDir(t *testing.T) {
	t.Parallel()
	m, fm, dir := newManager(t, newStore())
	m.cfg.Allocatable = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
	pod := podWith("2",
		corev1.Volume{Name: "disk", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		corev1.Volume{Name: "mem", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: ptr.To(resource.MustParse("16Mi"))}}},
		corev1.Volume{Name: "mem-node", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
	)
	paths, err := m.Setup(context.Background(), pod)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if got := mode(t, paths["disk"]); got != 0o777 {
		t.Errorf("emptyDir mode = %o, want 777", got)
	}
	wantMounts := map[string]int64{paths["mem"]: 16 << 20, paths["mem-node"]: 1 << 30}
	if len(fm.mounted) != 2 || fm.mounted[paths["mem"]] != wantMounts[paths["mem"]] || fm.mounted[paths["mem-node"]] != wantMounts[paths["mem-node"]] {
		t.Errorf("tmpfs mounts = %v, want %v", fm.mounted, wantMounts)
	}
	if err := os.WriteFile(filepath.Join(paths["disk"], "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Setup again keeps the data and mounts nothing twice.
	fm.mounted = nil
	if _, err := m.Setup(context.Background(), pod); err != nil {
		t.Fatalf("second Setup: %v", err)
	}
	if len(fm.mounted) != 0 || readFile(t, filepath.Join(paths["disk"], "f")) != "x" {
		t.Errorf("second Setup mounted %v or lost data", fm.mounted)
	}
	if err := m.Teardown(pod.UID); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	slices.Sort(fm.unmounts)
	if want := []string{paths["mem"], paths["mem-node"]}; !slices.Equal(fm.unmounts, want) {
		t.Errorf("unmounts = %v, want %v", fm.unmounts, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "uid-2")); !os.IsNotExist(err) {
		t.Errorf("pod dir still there after Teardown: %v", err)
	}
	if err := m.Teardown(pod.UID); err != nil {
		t.Errorf("second Teardown: %v", err)
	}
	if err := m.Teardown(""); err == nil {
		t.Errorf("Teardown of an empty uid succeeded")
	}
}

func TestTmpfsSize(t *testing.T) {
	t.Parallel()
	lim := func(s string) corev1.Container {
		return corev1.Container{Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(s)}}}
	}
	gi := resource.MustParse("1Gi")
	tests := []struct {
		name  string
		ctrs  []corev1.Container
		size  *resource.Quantity
		alloc corev1.ResourceList
		want  int64
	}{
		{name: "nothing known", ctrs: []corev1.Container{{}}, want: 0},
		{name: "node allocatable", ctrs: []corev1.Container{{}}, alloc: corev1.ResourceList{corev1.ResourceMemory: gi}, want: 1 << 30},
		{name: "pod limit sum", ctrs: []corev1.Container{lim("64Mi"), lim("32Mi")}, alloc: corev1.ResourceList{corev1.ResourceMemory: gi}, want: 96 << 20},
		{name: "one container unlimited", ctrs: []corev1.Container{lim("64Mi"), {}}, alloc: corev1.ResourceList{corev1.ResourceMemory: gi}, want: 1 << 30},
		{name: "sizeLimit smaller", ctrs: []corev1.Container{lim("64Mi")}, size: ptr.To(resource.MustParse("8Mi")), want: 8 << 20},
		{name: "sizeLimit larger", ctrs: []corev1.Container{lim("64Mi")}, size: ptr.To(resource.MustParse("2Gi")), want: 64 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: tt.ctrs}}
			if got := tmpfsSize(pod, tt.size, tt.alloc); got != tt.want {
				t.Errorf("tmpfsSize = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	s := newStore(configMap("cfg", map[string]string{"a": "1", "b": "2"}), secret("creds", map[string]string{"k": "v"}))
	m, _, _ := newManager(t, s)
	pod := podWith("3",
		corev1.Volume{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
		corev1.Volume{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds"}}},
		corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	)
	paths, err := m.Setup(context.Background(), pod)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if changed, err := m.Update(context.Background(), pod); err != nil || changed {
		t.Fatalf("Update without changes = %v, %v", changed, err)
	}
	s.put(configMap("cfg", map[string]string{"a": "1!", "c": "3"}))
	if changed, err := m.Update(context.Background(), pod); err != nil || !changed {
		t.Fatalf("Update after a change = %v, %v", changed, err)
	}
	if got := readFile(t, filepath.Join(paths["cfg"], "a")); got != "1!" {
		t.Errorf("a = %q after update", got)
	}
	if _, err := os.Lstat(filepath.Join(paths["cfg"], "b")); !os.IsNotExist(err) {
		t.Errorf("removed key b still visible: %v", err)
	}
	if got := readFile(t, filepath.Join(paths["cfg"], "c")); got != "3" {
		t.Errorf("c = %q", got)
	}
	_ = s.secrets.Delete(secret("creds", nil))
	changed, err := m.Update(context.Background(), pod)
	if changed || err == nil || !strings.Contains(err.Error(), `update volume "sec" of pod ns/web: secret "creds" not found`) {
		t.Fatalf("Update with the secret gone = %v, %v", changed, err)
	}
	if got := readFile(t, filepath.Join(paths["sec"], "k")); got != "v" {
		t.Errorf("secret content lost when the secret went: %q", got)
	}
}

func TestFSGroup(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	m, _, _ := newManager(t, newStore(configMap("cfg", map[string]string{"a": "1"})))
	pod := podWith("4",
		corev1.Volume{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, DefaultMode: ptr.To[int32](0o600)}}},
		corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	)
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{FSGroup: ptr.To[int64](2345)}
	paths, err := m.Setup(context.Background(), pod)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	check := func(p string, wantMode os.FileMode) {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if gid := statGID(fi); gid != 2345 || fi.Mode()&(os.ModePerm|os.ModeSetgid) != wantMode {
			t.Errorf("%s: gid %d mode %v, want gid 2345 mode %v", p, gid, fi.Mode(), wantMode)
		}
	}
	check(filepath.Join(paths["cfg"], "a"), 0o640)
	check(paths["data"], os.ModeSetgid|0o777)
}
