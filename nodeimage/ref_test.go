package nodeimage

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildStatic builds a tiny static Go program in dir and returns its path.
func buildStatic(t *testing.T, dir string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "static")
	cmd := exec.Command(gobin, "build", "-o", out, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=", "GO111MODULE=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// buildDynamic builds a dynamically linked C program in dir, or skips.
func buildDynamic(t *testing.T, dir string) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc on PATH")
	}
	src := filepath.Join(dir, "main.c")
	if err := os.WriteFile(src, []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "dynamic")
	if b, err := exec.Command(gcc, "-o", out, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
	return out
}

func TestRef(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "mini")
	content := []byte("not really a binary")
	if err := os.WriteFile(path, content, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	want := "mini-node:" + hex.EncodeToString(sum[:])[:12]

	got, err := Ref(path)
	if err != nil {
		t.Fatalf("Ref: %v", err)
	}
	if got != want {
		t.Errorf("Ref = %q, want %q", got, want)
	}
	if _, err := Ref(filepath.Join(dir, "missing")); err == nil {
		t.Error("Ref of a missing file: want an error")
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	text := filepath.Join(dir, "script.sh")
	if err := os.WriteFile(text, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    func(t *testing.T) string
		wantErr string // "" means no error
	}{
		{"static Go binary", func(t *testing.T) string { return buildStatic(t, t.TempDir()) }, ""},
		{"dynamic C binary", func(t *testing.T) string { return buildDynamic(t, t.TempDir()) }, "is dynamically linked; node images need a static binary: build it with CGO_ENABLED=0"},
		{"not ELF", func(*testing.T) string { return text }, "is not a Linux ELF executable"},
		{"missing", func(*testing.T) string { return filepath.Join(dir, "missing") }, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := tt.path(t)
			err := Check(path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check(%s) = %v, want nil", path, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Check(%s) = %v, want an error containing %q", path, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), path) && tt.name != "missing" {
				t.Errorf("error %q does not name the binary %s", err, path)
			}
		})
	}
}
