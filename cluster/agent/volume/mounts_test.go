package volume

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestMounts(t *testing.T) {
	t.Parallel()
	m, _, _ := newManager(t, newStore(configMap("cfg", map[string]string{"app.conf": "port=80"})))
	pod := podWith("m",
		corev1.Volume{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
		corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	)
	paths, err := m.Setup(context.Background(), pod)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	data := paths["data"]
	outside := t.TempDir()
	for _, step := range []func() error{
		func() error { return os.WriteFile(filepath.Join(data, "file"), []byte("f"), 0o644) },
		func() error { return os.Symlink(outside, filepath.Join(data, "escape")) },
		func() error { return os.Symlink("/etc/passwd", filepath.Join(data, "passwd")) },
		func() error { return os.Mkdir(filepath.Join(data, "real"), 0o755) },
		func() error { return os.Symlink("real", filepath.Join(data, "inside")) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	cfgFile, err := filepath.EvalSymlinks(filepath.Join(paths["cfg"], "app.conf"))
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"POD_NAME=web-0", "EMPTY="}
	tests := []struct {
		name    string
		mounts  []corev1.VolumeMount
		want    []Mount
		wantErr string
		created string // a directory the subPath must have created
	}{
		{name: "plain and read-only", mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}, {Name: "data", MountPath: "/ro", ReadOnly: true}},
			want: []Mount{{Source: data, Destination: "/data"}, {Source: data, Destination: "/ro", ReadOnly: true}}},
		{name: "configMap always read-only", mounts: []corev1.VolumeMount{{Name: "cfg", MountPath: "/etc/app"}},
			want: []Mount{{Source: paths["cfg"], Destination: "/etc/app", ReadOnly: true}}},
		{name: "subPath of a configMap key is the resolved file", mounts: []corev1.VolumeMount{{Name: "cfg", MountPath: "/etc/app.conf", SubPath: "app.conf"}},
			want: []Mount{{Source: cfgFile, Destination: "/etc/app.conf", ReadOnly: true}}},
		{name: "subPath file", mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/f", SubPath: "file"}},
			want: []Mount{{Source: filepath.Join(data, "file"), Destination: "/f"}}},
		{name: "subPath created", mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/logs", SubPath: "logs/app"}},
			want: []Mount{{Source: filepath.Join(data, "logs/app"), Destination: "/logs"}}, created: filepath.Join(data, "logs/app")},
		{name: "subPathExpr", mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/p", SubPathExpr: "pods/$(POD_NAME)"}},
			want: []Mount{{Source: filepath.Join(data, "pods/web-0"), Destination: "/p"}}, created: filepath.Join(data, "pods/web-0")},
		{name: "symlink inside the volume", mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/i", SubPath: "inside"}},
			want: []Mount{{Source: filepath.Join(data, "real"), Destination: "/i"}}},
		{name: "subPathExpr missing variable", mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/p", SubPathExpr: "$(NOPE)/$(EMPTY)"}},
			wantErr: `volumeMount "data" of container "app": missing value for EMPTY, NOPE`},
		{name: "subPath with ..", mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/x", SubPath: "a/../../x"}},
			wantErr: "unable to provision SubPath `a/../../x`: must not contain '..'"},
		{name: "subPathExpr expanding to ..", mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/x", SubPathExpr: "$(D)/etc"}},
			wantErr: "must not contain '..'"},
		{name: "absolute subPath", mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/x", SubPath: "/etc"}},
			wantErr: "error SubPath `/etc` must not be an absolute path"},
		{name: "symlink escape to a dir", mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/x", SubPath: "escape"}},
			wantErr: "not within volume path"},
		{name: "symlink escape below", mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/x", SubPath: "escape/new"}},
			wantErr: "not within volume path"},
		{name: "symlink escape to a file", mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/x", SubPath: "passwd"}},
			wantErr: "not within volume path"},
		{name: "unknown volume", mounts: []corev1.VolumeMount{{Name: "nope", MountPath: "/x"}},
			wantErr: `cannot find volume "nope" to mount into container "app"`},
		{name: "parents first", mounts: []corev1.VolumeMount{
			{Name: "data", MountPath: "/a/b/c"}, {Name: "cfg", MountPath: "/a/b"}, {Name: "data", MountPath: "/a"}, {Name: "data", MountPath: "/z/"}},
			want: []Mount{{Source: data, Destination: "/a"}, {Source: data, Destination: "/z/"},
				{Source: paths["cfg"], Destination: "/a/b", ReadOnly: true}, {Source: data, Destination: "/a/b/c"}}},
	}
	envWith := append(slices.Clone(env), "D=..")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &corev1.Container{Name: "app", VolumeMounts: tt.mounts}
			got, err := Mounts(c, paths, envWith)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Mounts error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Mounts: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Mounts =\n%v\nwant\n%v", got, tt.want)
			}
			if tt.created != "" {
				if fi, err := os.Stat(tt.created); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o777 {
					t.Errorf("subPath dir %s: %v %v, want a 0777 directory like its volume", tt.created, fi, err)
				}
			}
		})
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("something was created outside the volume: %v", entries)
	}
}
