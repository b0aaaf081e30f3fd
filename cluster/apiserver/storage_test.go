package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func TestStorageClassValidation(t *testing.T) {
	t.Parallel()
	wffc := ptr.To(storagev1.VolumeBindingWaitForFirstConsumer)
	base := func() *storagev1.StorageClass {
		sc := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "fast"}, Provisioner: "mini.dev/local-path", VolumeBindingMode: wffc}
		defaultStorageClass(sc)
		return sc
	}
	tests := []struct {
		name   string
		change func(sc, old *storagev1.StorageClass) *storagev1.StorageClass // returns old, nil on create
		want   []string
	}{
		{name: "valid", change: func(sc, _ *storagev1.StorageClass) *storagev1.StorageClass { return nil }},
		{name: "no provisioner", change: func(sc, _ *storagev1.StorageClass) *storagev1.StorageClass { sc.Provisioner = ""; return nil },
			want: []string{"provisioner: Required value"}},
		{name: "bad provisioner", change: func(sc, _ *storagev1.StorageClass) *storagev1.StorageClass { sc.Provisioner = "a b"; return nil },
			want: []string{`provisioner: Invalid value: "a b"`}},
		{name: "bad reclaim policy", change: func(sc, _ *storagev1.StorageClass) *storagev1.StorageClass {
			sc.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimRecycle)
			return nil
		}, want: []string{`reclaimPolicy: Unsupported value: "Recycle"`}},
		{name: "bad binding mode", change: func(sc, _ *storagev1.StorageClass) *storagev1.StorageClass {
			sc.VolumeBindingMode = ptr.To(storagev1.VolumeBindingMode("Later"))
			return nil
		}, want: []string{`volumeBindingMode: Unsupported value: "Later"`}},
		{name: "update of provisioner and mode", change: func(sc, old *storagev1.StorageClass) *storagev1.StorageClass {
			sc.Provisioner = "other.dev/x"
			sc.VolumeBindingMode = ptr.To(storagev1.VolumeBindingImmediate)
			return old
		}, want: []string{"provisioner: Forbidden: updates to provisioner are forbidden.", "volumeBindingMode: Invalid value: \"Immediate\": field is immutable"}},
		{name: "update of expansion", change: func(sc, old *storagev1.StorageClass) *storagev1.StorageClass {
			sc.AllowVolumeExpansion = ptr.To(true)
			return old
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := base()
			var old kruntime.Object
			if o := tt.change(sc, base()); o != nil {
				old = o
			}
			var got []string
			for _, e := range validateStorageClassHook(sc, old) {
				got = append(got, e.Error())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("errors = %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %d = %q, want prefix %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestStorageClassTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		sc       *storagev1.StorageClass
		wantName string
		want     []any
	}{
		{name: "default class", sc: &storagev1.StorageClass{
			ObjectMeta:  metav1.ObjectMeta{Name: "standard", CreationTimestamp: created, Annotations: map[string]string{isDefaultClassAnnotation: "true"}},
			Provisioner: "mini.dev/local-path", ReclaimPolicy: ptr.To(corev1.PersistentVolumeReclaimDelete),
			VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer)},
			wantName: "standard (default)", want: []any{"mini.dev/local-path", "Delete", "WaitForFirstConsumer", false, "3h"}},
		{name: "other class", sc: &storagev1.StorageClass{
			ObjectMeta:  metav1.ObjectMeta{Name: "manual", CreationTimestamp: created, Annotations: map[string]string{isDefaultClassAnnotation: "false"}},
			Provisioner: "kubernetes.io/no-provisioner", ReclaimPolicy: ptr.To(corev1.PersistentVolumeReclaimRetain), AllowVolumeExpansion: ptr.To(true)},
			wantName: "manual", want: []any{"kubernetes.io/no-provisioner", "Retain", "Immediate", true, "3h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := storageClassTable.Name(tt.sc); got != tt.wantName {
				t.Errorf("name = %q, want %q", got, tt.wantName)
			}
			if got := storageClassTable.Cells(tt.sc, printerNow); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("cells = %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestDefaultStorageClassAdmission: over HTTP, a claim without a class gets
// the newest default class; one naming a class, or "" keeps it; `kubectl
// get sc` shows the default.
func TestDefaultStorageClassAdmission(t *testing.T) {
	t.Parallel()
	c, url := semanticsServer(t)
	ctx := context.Background()
	claim := func(name string, class *string) *corev1.PersistentVolumeClaim {
		pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: class, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}
		out, err := c.CoreV1().PersistentVolumeClaims("default").Create(ctx, pvc, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := claim("before", nil).Spec.StorageClassName; got != nil {
		t.Errorf("without a default class: storageClassName = %q, want nil", *got)
	}
	for _, name := range []string{"standard", "fast"} {
		sc := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{isDefaultClassAnnotation: "true"}},
			Provisioner: "mini.dev/local-path"}
		if name == "fast" {
			sc.Annotations = nil
		}
		if _, err := c.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name  string
		class *string
		want  string
	}{{"none", nil, "standard"}, {"named", ptr.To("fast"), "fast"}, {"empty", ptr.To(""), ""}} {
		if got := claim(tt.name, tt.class).Spec.StorageClassName; got == nil || *got != tt.want {
			t.Errorf("claim %s: storageClassName = %v, want %q", tt.name, got, tt.want)
		}
	}
	sc, err := c.StorageV1().StorageClasses().Get(ctx, "fast", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *sc.ReclaimPolicy != corev1.PersistentVolumeReclaimDelete || *sc.VolumeBindingMode != storagev1.VolumeBindingImmediate {
		t.Errorf("defaults: reclaimPolicy %s, volumeBindingMode %s", *sc.ReclaimPolicy, *sc.VolumeBindingMode)
	}
	sc.Provisioner = "other.dev/x"
	if _, err := c.StorageV1().StorageClasses().Update(ctx, sc, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("update of provisioner: err = %v, want Invalid", err)
	}
	req, _ := http.NewRequest(http.MethodGet, url+"/apis/storage.k8s.io/v1/storageclasses", nil)
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var table metav1.Table
	if err := json.NewDecoder(resp.Body).Decode(&table); err != nil {
		t.Fatal(err)
	}
	var names, cols []string
	for _, r := range table.Rows {
		names = append(names, r.Cells[0].(string))
	}
	for _, c := range table.ColumnDefinitions {
		cols = append(cols, c.Name)
	}
	if want := []string{"fast", "standard (default)"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names = %q, want %q", names, want)
	}
	if want := []string{"Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age"}; !reflect.DeepEqual(cols, want) {
		t.Errorf("columns = %q, want %q", cols, want)
	}
}
