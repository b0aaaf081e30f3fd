package volume

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// fakeMounter records tmpfs mounts instead of making them.
type fakeMounter struct {
	mu       sync.Mutex
	mounted  map[string]int64
	unmounts []string
}

func (f *fakeMounter) MountTmpfs(target string, size int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mounted == nil {
		f.mounted = map[string]int64{}
	}
	f.mounted[target] = size
	return nil
}

func (f *fakeMounter) Unmount(target string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.mounted, target)
	f.unmounts = append(f.unmounts, target)
	return nil
}

// store is podspec.Lookup backed by client-go listers over indexers, as the
// agent backs it with informers.
type store struct {
	cms, secrets cache.Indexer
}

func newStore(objs ...any) *store {
	s := &store{
		cms:     cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}),
		secrets: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}),
	}
	for _, o := range objs {
		s.put(o)
	}
	return s
}

func (s *store) put(o any) {
	switch o := o.(type) {
	case *corev1.ConfigMap:
		_ = s.cms.Update(o)
	case *corev1.Secret:
		_ = s.secrets.Update(o)
	}
}

func (s *store) ConfigMap(ns, name string) (*corev1.ConfigMap, error) {
	return listersv1.NewConfigMapLister(s.cms).ConfigMaps(ns).Get(name)
}

func (s *store) Secret(ns, name string) (*corev1.Secret, error) {
	return listersv1.NewSecretLister(s.secrets).Secrets(ns).Get(name)
}

func configMap(name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Data: data}
}

func secret(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func podWith(uid string, vols ...corev1.Volume) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: k8stypes.UID("uid-" + uid),
			Labels: map[string]string{"app": "web"}, Annotations: map[string]string{"a": "1"}},
		Spec: corev1.PodSpec{Volumes: vols, Containers: []corev1.Container{{Name: "app"}}},
	}
}

func newManager(t *testing.T, s *store) (*Manager, *fakeMounter, string) {
	t.Helper()
	dir := t.TempDir()
	fm := &fakeMounter{}
	return New(Config{Dir: dir, Lookup: s, NodeName: "node-1", Mounter: fm}), fm, dir
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return string(b)
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatalf("stat %s: %v", p, err)
	}
	return fi.Mode().Perm()
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read dir %s: %v", dir, err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func tsDirs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, n := range listDir(t, dir) {
		if m, _ := filepath.Match("..20*", n); m {
			out = append(out, n)
		}
	}
	return out
}
