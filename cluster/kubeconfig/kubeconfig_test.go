package kubeconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/minidev/mini/cluster/pki"
)

// testCluster returns a Cluster with a real CA so client configs can use it.
func testCluster(t *testing.T, name, server string) Cluster {
	t.Helper()
	ca, err := pki.NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := pki.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	return Cluster{Name: name, Server: server, CAPEM: ca.CertPEM, Token: tok}
}

func TestContextName(t *testing.T) {
	t.Parallel()
	if got := ContextName("dev"); got != "mini-dev" {
		t.Errorf("ContextName(dev) = %q, want mini-dev", got)
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		server string
	}{
		{name: "dev", server: "https://127.0.0.1:6443"},
		{name: "ci-2", server: "https://127.0.0.1:40123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := testCluster(t, tt.name, tt.server)
			data, err := Build(c)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			cfg, err := clientcmd.Load(data)
			if err != nil {
				t.Fatalf("clientcmd.Load: %v\n%s", err, data)
			}
			want := ContextName(tt.name)
			if cfg.CurrentContext != want {
				t.Errorf("current-context = %q, want %q", cfg.CurrentContext, want)
			}
			if ctx := cfg.Contexts[want]; ctx == nil || ctx.Cluster != want || ctx.AuthInfo != want {
				t.Errorf("context %s = %+v, want cluster and user %s", want, ctx, want)
			}
			rc, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
			if err != nil {
				t.Fatalf("ClientConfig: %v", err)
			}
			if rc.Host != tt.server {
				t.Errorf("Host = %q, want %q", rc.Host, tt.server)
			}
			if rc.BearerToken != c.Token {
				t.Errorf("BearerToken = %q, want %q", rc.BearerToken, c.Token)
			}
			if string(rc.CAData) != string(c.CAPEM) {
				t.Errorf("CAData differs from the CA PEM")
			}
		})
	}
}

func TestBuildRejectsIncompleteCluster(t *testing.T) {
	t.Parallel()
	full := Cluster{Name: "dev", Server: "https://127.0.0.1:6443", CAPEM: []byte("pem"), Token: "t"}
	tests := []struct {
		name   string
		change func(*Cluster)
		want   string
	}{
		{name: "no name", change: func(c *Cluster) { c.Name = "" }, want: "name"},
		{name: "no server", change: func(c *Cluster) { c.Server = "" }, want: "server"},
		{name: "no CA", change: func(c *Cluster) { c.CAPEM = nil }, want: "CA"},
		{name: "no token", change: func(c *Cluster) { c.Token = "" }, want: "token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := full
			tt.change(&c)
			_, err := Build(c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build: err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	t.Parallel()
	c := testCluster(t, "dev", "https://127.0.0.1:6443")
	path := filepath.Join(t.TempDir(), "clusters", "dev", "kubeconfig")
	if err := WriteFile(path, c); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %v, want 0600", got)
	}
	want, err := Build(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != string(want) {
		t.Errorf("file content differs from Build:\n%s\n---\n%s", got, want)
	}
	assertNoStrayFiles(t, filepath.Dir(path), "kubeconfig")
}

func TestDefaultPath(t *testing.T) {
	// t.Setenv forbids t.Parallel.
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	sep := string(filepath.ListSeparator)
	tests := []struct {
		name string
		env  string
		want string
	}{
		{name: "unset", env: "", want: filepath.Join(home, ".kube", "config")},
		{name: "one", env: "/a/config", want: "/a/config"},
		{name: "several", env: "/a/config" + sep + "/b/config", want: "/a/config"},
		{name: "leading empty", env: sep + "/b/config", want: "/b/config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.env)
			if got := DefaultPath(); got != tt.want {
				t.Errorf("DefaultPath() = %q, want %q", got, tt.want)
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// assertNoStrayFiles fails if dir holds anything but the named files: no
// temporary files or locks may be left behind.
func assertNoStrayFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, n := range names {
		allowed[n] = true
	}
	for _, e := range entries {
		if !allowed[e.Name()] {
			t.Errorf("stray file %s left in %s", e.Name(), dir)
		}
	}
}
