package pki

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCARoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cluster string
		wantCN  string
	}{
		{name: "default", cluster: "dev", wantCN: "mini-dev-ca"},
		{name: "dashed", cluster: "team-a", wantCN: "mini-team-a-ca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ca, err := NewCA(tt.cluster)
			if err != nil {
				t.Fatalf("NewCA: %v", err)
			}
			if got := ca.Cert.Subject.CommonName; got != tt.wantCN {
				t.Errorf("CN = %q, want %q", got, tt.wantCN)
			}
			if !ca.Cert.IsCA || ca.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
				t.Errorf("IsCA=%v KeyUsage=%v, want a CA with CertSign", ca.Cert.IsCA, ca.Cert.KeyUsage)
			}
			if left := time.Until(ca.Cert.NotAfter); left < 9*365*24*time.Hour {
				t.Errorf("CA valid for %v, want about ten years", left)
			}

			dir := filepath.Join(t.TempDir(), "state")
			if err := ca.Write(dir); err != nil {
				t.Fatalf("Write: %v", err)
			}
			for file, mode := range map[string]os.FileMode{CACertFile: 0o644, CAKeyFile: 0o600} {
				fi, err := os.Stat(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != mode {
					t.Errorf("%s mode = %v, want %v", file, got, mode)
				}
			}
			loaded, err := LoadCA(dir)
			if err != nil {
				t.Fatalf("LoadCA: %v", err)
			}
			if !loaded.Cert.Equal(ca.Cert) {
				t.Error("loaded certificate differs from the written one")
			}
			if !publicKeysEqual(loaded.Key.Public(), ca.Key.Public()) {
				t.Error("loaded key differs from the written one")
			}
			if string(loaded.CertPEM) != string(ca.CertPEM) {
				t.Error("loaded CertPEM differs from the written one")
			}
		})
	}
}

func TestNewCARejectsEmptyName(t *testing.T) {
	t.Parallel()
	if _, err := NewCA(""); err == nil {
		t.Fatal("NewCA(\"\") succeeded, want an error")
	}
}

func TestLoadCAErrorsNameTheFile(t *testing.T) {
	t.Parallel()
	other, err := NewCA("other")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := encodeKey(other.Key)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		breakIt  func(t *testing.T, dir string)
		wantFile string
	}{
		{
			name:     "missing cert",
			breakIt:  func(t *testing.T, dir string) { remove(t, filepath.Join(dir, CACertFile)) },
			wantFile: CACertFile,
		},
		{
			name:     "missing key",
			breakIt:  func(t *testing.T, dir string) { remove(t, filepath.Join(dir, CAKeyFile)) },
			wantFile: CAKeyFile,
		},
		{
			name:     "garbage cert",
			breakIt:  func(t *testing.T, dir string) { write(t, filepath.Join(dir, CACertFile), []byte("nope")) },
			wantFile: CACertFile,
		},
		{
			name:     "garbage key",
			breakIt:  func(t *testing.T, dir string) { write(t, filepath.Join(dir, CAKeyFile), []byte("nope")) },
			wantFile: CAKeyFile,
		},
		{
			name:     "key of another CA",
			breakIt:  func(t *testing.T, dir string) { write(t, filepath.Join(dir, CAKeyFile), otherKey) },
			wantFile: CAKeyFile,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ca, err := NewCA("dev")
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := ca.Write(dir); err != nil {
				t.Fatal(err)
			}
			tt.breakIt(t, dir)
			_, err = LoadCA(dir)
			if err == nil {
				t.Fatal("LoadCA succeeded, want an error")
			}
			if want := filepath.Join(dir, tt.wantFile); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		})
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
