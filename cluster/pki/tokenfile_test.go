package pki

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTokenFileReloads: a token added to the file after it was opened is
// accepted once the file changed; the extra tokens stay.
func TestTokenFileReloads(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), TokensFile)
	if err := WriteTokens(path, Tokens{"admin-token": {User: "mini-admin"}}); err != nil {
		t.Fatal(err)
	}
	f, err := OpenTokenFile(path, Tokens{"internal": {User: "system:kube-controller-manager"}})
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := f.Lookup("admin-token"); !ok || id.User != "mini-admin" {
		t.Fatalf("admin token: %v %v", id, ok)
	}
	if _, ok := f.Lookup("node-3-token"); ok {
		t.Fatal("an unknown token was accepted")
	}
	if err := WriteTokens(path, Tokens{"admin-token": {User: "mini-admin"}, "node-3-token": {User: "system:node:n3"}}); err != nil {
		t.Fatal(err)
	}
	// A new mtime, even on a file system with coarse timestamps.
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * reloadEvery)
	for {
		if id, ok := f.Lookup("node-3-token"); ok && id.User == "system:node:n3" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the token added to the file is still refused")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if tok, ok := f.TokenFor("system:node:n3"); !ok || tok != "node-3-token" {
		t.Errorf("TokenFor = %q %v", tok, ok)
	}
	if _, ok := f.Lookup("internal"); !ok {
		t.Error("the extra token was lost on reload")
	}
}
