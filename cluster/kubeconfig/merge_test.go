package kubeconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// otherConfig is a kubeconfig as another tool would leave it.
const otherConfig = `apiVersion: v1
kind: Config
clusters:
- name: kind-foo
  cluster:
    server: https://127.0.0.1:33333
    insecure-skip-tls-verify: true
users:
- name: kind-foo
  user:
    token: other-token
contexts:
- name: kind-foo
  context:
    cluster: kind-foo
    user: kind-foo
    namespace: team
current-context: kind-foo
preferences:
  colors: true
`

func load(t *testing.T, path string) *clientcmdapi.Config {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return cfg
}

func assertOtherKept(t *testing.T, cfg *clientcmdapi.Config) {
	t.Helper()
	if c := cfg.Clusters["kind-foo"]; c == nil || c.Server != "https://127.0.0.1:33333" || !c.InsecureSkipTLSVerify {
		t.Errorf("cluster kind-foo = %+v, want it unchanged", c)
	}
	if u := cfg.AuthInfos["kind-foo"]; u == nil || u.Token != "other-token" {
		t.Errorf("user kind-foo = %+v, want it unchanged", u)
	}
	if c := cfg.Contexts["kind-foo"]; c == nil || c.Namespace != "team" || c.Cluster != "kind-foo" {
		t.Errorf("context kind-foo = %+v, want it unchanged", c)
	}
	if !cfg.Preferences.Colors {
		t.Error("preferences.colors was lost")
	}
}

func writeFile(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing *string // nil: no file
		subdir   bool    // the directory is missing too
		wantPerm os.FileMode
	}{
		{name: "missing file and dir", subdir: true, wantPerm: 0o600},
		{name: "empty file", existing: ptr(""), wantPerm: 0o600},
		{name: "other contexts", existing: ptr(otherConfig), wantPerm: 0o640},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tt.subdir {
				dir = filepath.Join(dir, ".kube")
			}
			path := filepath.Join(dir, "config")
			if tt.existing != nil {
				writeFile(t, path, *tt.existing, tt.wantPerm)
			}
			c := testCluster(t, "dev", "https://127.0.0.1:6443")
			if err := Merge(path, c); err != nil {
				t.Fatalf("Merge: %v", err)
			}
			cfg := load(t, path)
			name := ContextName("dev")
			if cfg.CurrentContext != name {
				t.Errorf("current-context = %q, want %q", cfg.CurrentContext, name)
			}
			rc, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
			if err != nil {
				t.Fatalf("ClientConfig: %v", err)
			}
			if rc.Host != c.Server || rc.BearerToken != c.Token || string(rc.CAData) != string(c.CAPEM) {
				t.Errorf("client config = host %q token %q, want %q %q and the CA", rc.Host, rc.BearerToken, c.Server, c.Token)
			}
			if tt.existing != nil && strings.Contains(*tt.existing, "kind-foo") {
				assertOtherKept(t, cfg)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != tt.wantPerm {
				t.Errorf("mode = %v, want %v", got, tt.wantPerm)
			}
			assertNoStrayFiles(t, dir, "config")
		})
	}
}

func TestMergeIdempotentAndReplaces(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config")
	writeFile(t, path, otherConfig, 0o600)
	c := testCluster(t, "dev", "https://127.0.0.1:6443")
	if err := Merge(path, c); err != nil {
		t.Fatal(err)
	}
	first := readFile(t, path)
	if err := Merge(path, c); err != nil {
		t.Fatal(err)
	}
	if second := readFile(t, path); second != first {
		t.Errorf("second Merge changed the file:\n%s\n---\n%s", first, second)
	}

	// A cluster re-created with a new port and token replaces its entries.
	c2 := testCluster(t, "dev", "https://127.0.0.1:7443")
	if err := Merge(path, c2); err != nil {
		t.Fatal(err)
	}
	cfg := load(t, path)
	name := ContextName("dev")
	if got := cfg.Clusters[name].Server; got != c2.Server {
		t.Errorf("server = %q, want %q", got, c2.Server)
	}
	if got := cfg.AuthInfos[name].Token; got != c2.Token {
		t.Errorf("token = %q, want the new one", got)
	}
	if n := len(cfg.Contexts); n != 2 {
		t.Errorf("%d contexts, want 2", n)
	}
	assertOtherKept(t, cfg)
}

func TestRemove(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		current     string // current-context before Remove
		wantCurrent string
	}{
		{name: "current is mini", current: "mini-dev", wantCurrent: ""},
		{name: "current is other", current: "kind-foo", wantCurrent: "kind-foo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "config")
			writeFile(t, path, otherConfig, 0o600)
			for _, name := range []string{"dev", "prod"} {
				if err := Merge(path, testCluster(t, name, "https://127.0.0.1:6443")); err != nil {
					t.Fatal(err)
				}
			}
			cfg := load(t, path)
			cfg.CurrentContext = tt.current
			if err := clientcmd.WriteToFile(*cfg, path); err != nil {
				t.Fatal(err)
			}

			if err := Remove(path, "dev"); err != nil {
				t.Fatalf("Remove: %v", err)
			}
			cfg = load(t, path)
			if _, ok := cfg.Clusters["mini-dev"]; ok {
				t.Error("cluster mini-dev still present")
			}
			if _, ok := cfg.AuthInfos["mini-dev"]; ok {
				t.Error("user mini-dev still present")
			}
			if _, ok := cfg.Contexts["mini-dev"]; ok {
				t.Error("context mini-dev still present")
			}
			if _, ok := cfg.Contexts["mini-prod"]; !ok {
				t.Error("context mini-prod was removed too")
			}
			if cfg.CurrentContext != tt.wantCurrent {
				t.Errorf("current-context = %q, want %q", cfg.CurrentContext, tt.wantCurrent)
			}
			assertOtherKept(t, cfg)

			before := readFile(t, path)
			if err := Remove(path, "dev"); err != nil {
				t.Fatalf("second Remove: %v", err)
			}
			if after := readFile(t, path); after != before {
				t.Error("second Remove changed the file")
			}
			assertNoStrayFiles(t, dir, "config")
		})
	}
}

func TestRemoveMissingFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "config"), filepath.Join(dir, "nodir", "config")} {
		if err := Remove(path, "dev"); err != nil {
			t.Errorf("Remove(%s): %v", path, err)
		}
	}
	assertNoStrayFiles(t, dir)
}

func TestMalformedKubeconfigIsLeftAlone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		op      func(path string) error
	}{
		{name: "merge garbage", content: "{{{ not yaml", op: func(p string) error {
			return Merge(p, Cluster{Name: "dev", Server: "https://127.0.0.1:6443", CAPEM: []byte("pem"), Token: "t"})
		}},
		{name: "merge wrong shape", content: "clusters: 42\n", op: func(p string) error {
			return Merge(p, Cluster{Name: "dev", Server: "https://127.0.0.1:6443", CAPEM: []byte("pem"), Token: "t"})
		}},
		{name: "remove garbage", content: "{{{ not yaml", op: func(p string) error { return Remove(p, "dev") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "config")
			writeFile(t, path, tt.content, 0o600)
			err := tt.op(path)
			if err == nil {
				t.Fatal("want an error for a malformed kubeconfig")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if got := readFile(t, path); got != tt.content {
				t.Errorf("file was changed to:\n%s", got)
			}
			assertNoStrayFiles(t, dir, "config")
		})
	}
}

func TestMergeThroughSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "dotfiles-kubeconfig")
	writeFile(t, target, otherConfig, 0o600)
	link := filepath.Join(dir, "config")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	if err := Merge(link, testCluster(t, "dev", "https://127.0.0.1:6443")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("%s is no longer a symlink (err %v)", link, err)
	}
	cfg := load(t, target)
	if _, ok := cfg.Contexts["mini-dev"]; !ok {
		t.Error("symlink target did not get the mini-dev context")
	}
	assertOtherKept(t, cfg)
}

func TestClientcmdLockIsNotTouched(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	writeFile(t, path+".lock", "", 0o600) // clientcmd's convention, not ours
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path+".lock", old, old); err != nil {
		t.Fatal(err)
	}
	c := testCluster(t, "dev", "https://127.0.0.1:6443")
	if err := Merge(path, c); err != nil {
		t.Fatal(err)
	}
	if err := Remove(path, "dev"); err != nil {
		t.Fatal(err)
	}
	assertNoStrayFiles(t, dir, "config", "config.lock")
}

func TestLock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		lockAge  time.Duration
		wantErr  bool
		wantLock bool // the lock file still exists afterwards
	}{
		{name: "stale lock is broken", lockAge: time.Minute},
		{name: "just stale", lockAge: 11 * time.Second},
		{name: "fresh lock times out", lockAge: 0, wantErr: true, wantLock: true},
		{name: "nearly stale lock times out", lockAge: 4 * time.Second, wantErr: true, wantLock: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "config")
			writeFile(t, path, otherConfig, 0o600)
			lockName := path + lockSuffix
			writeFile(t, lockName, "12345\n", 0o600)
			clk := &fakeClock{now: time.Now()}
			mtime := clk.now.Add(-tt.lockAge)
			if err := os.Chtimes(lockName, mtime, mtime); err != nil {
				t.Fatal(err)
			}
			l := defaultLocker
			l.clock = clk

			err := l.merge(path, testCluster(t, "dev", "https://127.0.0.1:6443"))
			if (err != nil) != tt.wantErr {
				t.Fatalf("merge: err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), lockName) {
					t.Errorf("error %q does not name the lock file %s", err, lockName)
				}
				if got := readFile(t, path); got != otherConfig {
					t.Errorf("locked kubeconfig was changed to:\n%s", got)
				}
				if waited := clk.slept(); waited < l.timeout {
					t.Errorf("gave up after %v, want %v", waited, l.timeout)
				}
			}
			_, statErr := os.Stat(lockName)
			if gotLock := statErr == nil; gotLock != tt.wantLock {
				t.Errorf("lock file exists = %v, want %v", gotLock, tt.wantLock)
			}
		})
	}
}

func TestConcurrentMerges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	writeFile(t, path, otherConfig, 0o600)
	const n = 8
	clusters := make([]Cluster, n)
	for i := range clusters {
		clusters[i] = testCluster(t, fmt.Sprintf("c%d", i), fmt.Sprintf("https://127.0.0.1:%d", 6000+i))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, c := range clusters {
		wg.Go(func() { errs[i] = Merge(path, c) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Merge c%d: %v", i, err)
		}
	}
	cfg := load(t, path)
	for _, c := range clusters {
		if _, ok := cfg.Contexts[ContextName(c.Name)]; !ok {
			t.Errorf("context %s lost in concurrent merges", ContextName(c.Name))
		}
	}
	assertOtherKept(t, cfg)
	assertNoStrayFiles(t, dir, "config")
}

// fakeClock advances only when slept on.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	total time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.total += d
}

func (c *fakeClock) slept() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

var _ clock = (*fakeClock)(nil)

func ptr[T any](v T) *T { return &v }
