package testimages

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/minidev/mini/cluster/docker"
	"github.com/minidev/mini/nodeimage"
)

// ServerSource is the test server's package, relative to the repository root.
const ServerSource = "./testdata/images/testserver"

// BuildDir is where Ensure keeps the test server binary and its lock,
// relative to the repository root: under bin/, mini's build output. A
// binary kept from run to run lets `go build` skip relinking it.
const BuildDir = "bin/testimages"

// Ensure builds the test images (Server and Busybox) and loads them into
// the engine d talks to. repoRoot is the mini repository's root, where the
// test server's source is. It always rebuilds and reloads (about 1.5 s when
// warm): go build skips an up-to-date binary and the archives are
// deterministic, so an unchanged image keeps its ID and a changed test
// server never hides behind the old tag. Concurrent calls (test packages
// run in parallel) take turns on a file lock.
func Ensure(ctx context.Context, d *docker.Client, repoRoot string) error {
	if _, err := os.Stat(BusyboxPath); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("test images: %s is missing: install Debian's busybox-static (make deps)", BusyboxPath)
	}
	busybox, err := BusyboxImage(ctx, BusyboxPath)
	if err != nil {
		return fmt.Errorf("test images: %w", err)
	}
	dir := filepath.Join(repoRoot, BuildDir)
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return fmt.Errorf("test images: %w", err)
	}
	defer unlock()
	server, err := BuildServer(ctx, repoRoot, filepath.Join(dir, "server"))
	if err != nil {
		return fmt.Errorf("test images: %w", err)
	}
	for _, img := range []nodeimage.Image{ServerImage(server), busybox} {
		if err := load(ctx, d, img); err != nil {
			return fmt.Errorf("test images: %w", err)
		}
	}
	return nil
}

// load writes img and streams it into the engine.
func load(ctx context.Context, d *docker.Client, img nodeimage.Image) error {
	rc := img.Open()
	defer rc.Close()
	if err := d.LoadImage(ctx, rc); err != nil {
		return fmt.Errorf("load %s: %w", img.Ref, err)
	}
	return nil
}

// BuildServer builds the static test server of the repository at repoRoot
// into out (CGO_ENABLED=0, -trimpath) and returns out.
func BuildServer(ctx context.Context, repoRoot, out string) (string, error) {
	out, err := filepath.Abs(out)
	if err != nil {
		return "", fmt.Errorf("build test server: %w", err)
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("build test server: the go tool is needed: %w", err)
	}
	cmd := exec.CommandContext(ctx, gobin, "build", "-trimpath", "-o", out, ServerSource)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build test server in %s: %w\n%s", repoRoot, err, b)
	}
	return out, nil
}
