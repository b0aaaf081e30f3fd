package podspec

import (
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

var rootfs = fstest.MapFS{
	"etc/passwd": {Data: []byte(`root:x:0:0:root:/root:/bin/sh
# comment
nginx:x:101:101:nginx user:/nonexistent:/bin/false
app:x:1000:1000::/home/app:/bin/sh
`)},
	"etc/group": {Data: []byte(`root:x:0:root
wheel:x:10:root,app
nginx:x:101:
app:x:1000:
staff:x:50:app
`)},
}

func openIn(fsys fs.FS) func(string) (io.ReadCloser, error) {
	return func(p string) (io.ReadCloser, error) { return fsys.Open(strings.TrimPrefix(p, "/")) }
}

func TestUser(t *testing.T) {
	t.Parallel()
	empty := fstest.MapFS{}
	tests := []struct {
		name      string
		imageUser string
		pod       *corev1.PodSecurityContext
		ctr       *corev1.SecurityContext
		fsys      fs.FS
		uid, gid  uint32
		extra     []uint32
		wantErr   string
	}{
		{name: "empty is root with root's groups", fsys: rootfs, uid: 0, gid: 0, extra: []uint32{0, 10}},
		{name: "empty, no files", fsys: empty, uid: 0, gid: 0, extra: []uint32{0}},
		{name: "numeric uid from passwd", imageUser: "1000", fsys: rootfs, uid: 1000, gid: 1000, extra: []uint32{1000, 10, 50}},
		{name: "numeric uid unknown, no files", imageUser: "4242", fsys: empty, uid: 4242, gid: 0, extra: []uint32{0}},
		{name: "uid:gid", imageUser: "4242:4343", fsys: empty, uid: 4242, gid: 4343, extra: []uint32{4343}},
		{name: "name", imageUser: "nginx", fsys: rootfs, uid: 101, gid: 101, extra: []uint32{101}},
		{name: "name:group", imageUser: "app:staff", fsys: rootfs, uid: 1000, gid: 50, extra: []uint32{50, 10}},
		{name: "name:gid", imageUser: "app:7", fsys: rootfs, uid: 1000, gid: 7, extra: []uint32{7, 10, 50}},
		{name: "uid:group", imageUser: "5:wheel", fsys: rootfs, uid: 5, gid: 10, extra: []uint32{10}},
		{name: "unknown name", imageUser: "ghost", fsys: rootfs, wantErr: "unable to find user ghost: no matching entries in passwd file"},
		{name: "name without passwd", imageUser: "nginx", fsys: empty, wantErr: "unable to find user nginx: no matching entries in passwd file"},
		{name: "unknown group", imageUser: "app:ghosts", fsys: rootfs, wantErr: "unable to find group ghosts: no matching entries in group file"},
		{name: "runAsUser over image", imageUser: "nginx", pod: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000)}, fsys: rootfs,
			uid: 1000, gid: 1000, extra: []uint32{1000, 10, 50}},
		{name: "container over pod", pod: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), RunAsGroup: ptr.To[int64](3000)},
			ctr: &corev1.SecurityContext{RunAsUser: ptr.To[int64](2000)}, fsys: rootfs, uid: 2000, gid: 3000, extra: []uint32{3000}},
		{name: "runAsGroup over image group", imageUser: "app:staff", ctr: &corev1.SecurityContext{RunAsGroup: ptr.To[int64](77)}, fsys: rootfs,
			uid: 1000, gid: 77, extra: []uint32{77, 10, 50}},
		{name: "supplementalGroups and fsGroup", imageUser: "1000",
			pod:  &corev1.PodSecurityContext{SupplementalGroups: []int64{4000, 10}, FSGroup: ptr.To[int64](2000)},
			fsys: rootfs, uid: 1000, gid: 1000, extra: []uint32{1000, 10, 50, 4000, 2000}},
		{name: "strict policy ignores /etc/group", imageUser: "1000",
			pod:  &corev1.PodSecurityContext{SupplementalGroupsPolicy: ptr.To(corev1.SupplementalGroupsPolicyStrict), SupplementalGroups: []int64{4000}},
			fsys: rootfs, uid: 1000, gid: 1000, extra: []uint32{1000, 4000}},
		{name: "runAsNonRoot, image root", pod: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)}, fsys: rootfs,
			wantErr: `container has runAsNonRoot and image will run as root (pod: "web_ns(uid-1)", container: app)`},
		{name: "runAsNonRoot, image uid 0 with group", imageUser: "0:10", ctr: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}, fsys: rootfs,
			wantErr: `container has runAsNonRoot and image will run as root (pod: "web_ns(uid-1)", container: app)`},
		{name: "runAsNonRoot, image named user", imageUser: "nginx", ctr: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}, fsys: rootfs,
			wantErr: `container has runAsNonRoot and image has non-numeric user (nginx), cannot verify user is non-root (pod: "web_ns(uid-1)", container: app)`},
		{name: "runAsNonRoot, runAsUser 0", pod: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](0)}, fsys: rootfs,
			wantErr: `container's runAsUser breaks non-root policy (pod: "web_ns(uid-1)", container: app)`},
		{name: "runAsNonRoot satisfied by runAsUser", imageUser: "root", pod: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
			ctr: &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000)}, fsys: rootfs, uid: 1000, gid: 1000, extra: []uint32{1000, 10, 50}},
		{name: "runAsNonRoot, numeric image user", imageUser: "101", ctr: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}, fsys: rootfs,
			uid: 101, gid: 101, extra: []uint32{101}},
		{name: "container may lift runAsNonRoot", pod: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
			ctr: &corev1.SecurityContext{RunAsNonRoot: ptr.To(false)}, fsys: empty, uid: 0, gid: 0, extra: []uint32{0}},
		{name: "negative runAsUser", ctr: &corev1.SecurityContext{RunAsUser: ptr.To[int64](-1)}, fsys: empty, wantErr: "runAsUser -1 is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "uid-1"},
				Spec:       corev1.PodSpec{SecurityContext: tt.pod, Containers: []corev1.Container{{Name: "app", SecurityContext: tt.ctr}}},
			}
			uid, gid, extra, err := User(pod, &pod.Spec.Containers[0], tt.imageUser, openIn(tt.fsys))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("User error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("User: %v", err)
			}
			if uid != tt.uid || gid != tt.gid || !slices.Equal(extra, tt.extra) {
				t.Errorf("User = %d, %d, %v; want %d, %d, %v", uid, gid, extra, tt.uid, tt.gid, tt.extra)
			}
		})
	}
}

func TestUserOpenError(t *testing.T) {
	t.Parallel()
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}
	boom := errors.New("boom")
	_, _, _, err := User(pod, &pod.Spec.Containers[0], "app", func(string) (io.ReadCloser, error) { return nil, boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "/etc/passwd") {
		t.Errorf("User error = %v, want it to wrap boom and name /etc/passwd", err)
	}
}
