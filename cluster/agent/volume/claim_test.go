package volume

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// claims is a ClaimLookup over fixed objects, answering NotFound as the API does.
type claims struct {
	pvcs []*corev1.PersistentVolumeClaim
	pvs  []*corev1.PersistentVolume
}

func (c *claims) PersistentVolumeClaim(_ context.Context, ns, name string) (*corev1.PersistentVolumeClaim, error) {
	for _, p := range c.pvcs {
		if p.Namespace == ns && p.Name == name {
			return p, nil
		}
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "persistentvolumeclaims"}, name)
}

func (c *claims) PersistentVolume(_ context.Context, name string) (*corev1.PersistentVolume, error) {
	for _, p := range c.pvs {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "persistentvolumes"}, name)
}

func (c *claims) PersistentVolumes(context.Context) ([]corev1.PersistentVolume, error) {
	out := make([]corev1.PersistentVolume, 0, len(c.pvs))
	for _, p := range c.pvs {
		out = append(out, *p)
	}
	return out, nil
}

func boundClaim(name, pv string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name)},
		Spec: corev1.PersistentVolumeClaimSpec{VolumeName: pv}, Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}
}

func localPV(name, path, claim string) *corev1.PersistentVolume {
	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: path}}}}
	if claim != "" {
		pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: "ns", Name: claim, UID: types.UID("uid-" + claim)}
	}
	return pv
}

func TestSetupClaim(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	existing := filepath.Join(root, "existing")
	if err := os.MkdirAll(existing, 0o700); err != nil {
		t.Fatal(err)
	}
	hostDir := filepath.Join(root, "host")
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	hostPV := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-host"}, Spec: corev1.PersistentVolumeSpec{
		PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostDir, Type: &dirOrCreate}},
		ClaimRef:               &corev1.ObjectReference{Namespace: "ns", Name: "host", UID: "uid-host"}}}
	nfsPV := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-nfs"}, Spec: corev1.PersistentVolumeSpec{
		PersistentVolumeSource: corev1.PersistentVolumeSource{NFS: &corev1.NFSVolumeSource{Server: "x", Path: "/"}},
		ClaimRef:               &corev1.ObjectReference{Namespace: "ns", Name: "nfs", UID: "uid-nfs"}}}
	pending := boundClaim("pending", "")
	pending.Status.Phase = corev1.ClaimPending
	lookup := &claims{
		pvcs: []*corev1.PersistentVolumeClaim{boundClaim("data", "pv-data"), boundClaim("old", "pv-old"), pending,
			boundClaim("host", "pv-host"), boundClaim("nfs", "pv-nfs"), boundClaim("other", "pv-data"), boundClaim("gone", "pv-gone")},
		pvs: []*corev1.PersistentVolume{localPV("pv-data", filepath.Join(root, "pvc-data"), "data"), localPV("pv-old", existing, "old"), hostPV, nfsPV},
	}
	tests := []struct {
		claim, wantPath, wantErr string
		wantMode                 os.FileMode
	}{
		{claim: "data", wantPath: filepath.Join(root, "pvc-data"), wantMode: 0o777},
		{claim: "old", wantPath: existing, wantMode: 0o700},
		{claim: "host", wantPath: hostDir, wantMode: 0o755},
		{claim: "missing", wantErr: `MountVolume.SetUp failed for volume "v" : error processing PVC ns/missing: failed to fetch PVC from API server: persistentvolumeclaims "missing" not found`},
		{claim: "pending", wantErr: `MountVolume.SetUp failed for volume "v" : PVC ns/pending has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")`},
		{claim: "gone", wantErr: `MountVolume.SetUp failed for volume "v" : error processing PVC ns/gone: failed to fetch PV pv-gone from API server`},
		{claim: "other", wantErr: `MountVolume.SetUp failed for volume "v" : persistentvolume pv-data is not bound to claim ns/other`},
		{claim: "nfs", wantErr: `MountVolume.SetUp failed for volume "v" : persistentvolume pv-nfs: unsupported volume source`},
	}
	for _, tt := range tests {
		t.Run(tt.claim, func(t *testing.T) {
			t.Parallel()
			m := New(Config{Dir: t.TempDir(), Lookup: newStore(), Claims: lookup, Mounter: &fakeMounter{}})
			pod := podWith("1", corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: tt.claim}}})
			paths, err := m.Setup(context.Background(), pod)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Setup error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			if paths["v"] != tt.wantPath {
				t.Fatalf("path = %q, want %q", paths["v"], tt.wantPath)
			}
			if got := mode(t, tt.wantPath); got != tt.wantMode {
				t.Errorf("mode = %o, want %o", got, tt.wantMode)
			}
			// The volume outlives the pod: tearing the pod down keeps it.
			if err := m.Teardown(pod.UID); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(tt.wantPath); err != nil {
				t.Errorf("volume gone after pod teardown: %v", err)
			}
		})
	}
}

func TestPodMountsReadOnlyClaim(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		claimRO, vmRO  bool
		wantReadOnlies []bool // data, scratch
	}{
		{name: "writable", wantReadOnlies: []bool{false, false}},
		{name: "claim readOnly in the pod", claimRO: true, wantReadOnlies: []bool{true, false}},
		{name: "mount readOnly", vmRO: true, wantReadOnlies: []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pod := podWith("1",
				corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "c", ReadOnly: tt.claimRO}}},
				corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
			c := &pod.Spec.Containers[0]
			c.VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data", ReadOnly: tt.vmRO}, {Name: "scratch", MountPath: "/tmp"}}
			dir := t.TempDir()
			ms, err := PodMounts(pod, c, map[string]string{"data": dir, "scratch": dir}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []bool
			for _, m := range ms {
				got = append(got, m.ReadOnly)
			}
			if !slices.Equal(got, tt.wantReadOnlies) {
				t.Errorf("read-only = %v, want %v", got, tt.wantReadOnlies)
			}
			if c.VolumeMounts[0].ReadOnly != tt.vmRO {
				t.Errorf("PodMounts changed the pod's container")
			}
		})
	}
}

func TestSweepLocalVolumes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, d := range []string{"pvc-live", "pvc-gone", "pvc-static-target", "keep-me"} {
		if err := os.MkdirAll(filepath.Join(dir, d, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	lookup := &claims{pvs: []*corev1.PersistentVolume{
		localPV("pvc-live", filepath.Join(dir, "pvc-live"), ""),
		localPV("my-static", filepath.Join(dir, "pvc-static-target", "sub"), ""),
	}}
	m := New(Config{Dir: t.TempDir(), Lookup: newStore(), Claims: lookup, LocalVolumesDir: dir})
	removed, err := m.SweepLocalVolumes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "pvc-gone")}; !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	left := listDir(t, dir)
	slices.Sort(left)
	if want := []string{"keep-me", "pvc-live", "pvc-static-target"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}
