package testimages

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/docker"
)

// dockerCLI runs the docker CLI and returns its trimmed output.
func dockerCLI(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestIntegrationEnsure(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI on PATH")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	d, err := docker.New(ctx)
	if err != nil {
		t.Skipf("Docker unreachable: %v", err)
	}
	defer d.Close()

	for i, what := range []string{"cold", "warm"} {
		start := time.Now()
		if err := Ensure(ctx, d, "../.."); err != nil {
			t.Fatalf("Ensure (%s): %v", what, err)
		}
		t.Logf("Ensure (%s, run %d) took %s", what, i+1, time.Since(start).Round(time.Millisecond))
	}
	for _, ref := range []string{Server, Busybox} {
		if ok, err := d.ImageExists(ctx, ref); err != nil || !ok {
			t.Fatalf("ImageExists(%s) = %v, %v after Ensure", ref, ok, err)
		}
	}

	// Busybox: applets on PATH, the nobody user.
	if out := dockerCLI(ctx, t, "run", "--rm", Busybox, "echo", "ok"); out != "ok" {
		t.Errorf("busybox echo ok printed %q", out)
	}
	if out := dockerCLI(ctx, t, "run", "--rm", "--user", "nobody", Busybox, "sh", "-c", "id -u; id -un; ls -ld /tmp"); !strings.HasPrefix(out, "65534\nnobody\ndrwxrwxrwt") {
		t.Errorf("busybox as nobody printed %q", out)
	}

	// Server: HTTP on 8080 at the container's address, SIGTERM ends it with 0.
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "mini-testimages-" + hex.EncodeToString(b)
	id := dockerCLI(ctx, t, "run", "-d", "--name", name, Server)
	t.Cleanup(func() {
		_ = exec.CommandContext(context.WithoutCancel(ctx), "docker", "rm", "-f", name).Run()
	})
	ip := dockerCLI(ctx, t, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name)
	want := "hello from " + id[:12] + "\n"
	var body string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + ip + ":8080/")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server at %s:8080 never answered: %v; logs:\n%s", ip, err, dockerCLI(ctx, t, "logs", name))
		}
	}
	if body != want {
		t.Errorf("GET / = %q, want %q", body, want)
	}
	dockerCLI(ctx, t, "stop", "-t", "10", name)
	if code := dockerCLI(ctx, t, "inspect", "-f", "{{.State.ExitCode}}", name); code != "0" {
		t.Errorf("exit code after docker stop = %s, want 0", code)
	}
	logs := dockerCLI(ctx, t, "logs", name)
	for _, line := range []string{"listening on :8080", "started", "GET / 200", "got SIGTERM"} {
		if !strings.Contains(logs, line) {
			t.Errorf("server logs lack %q:\n%s", line, logs)
		}
	}
}
