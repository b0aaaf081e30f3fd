package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCLIContext stores a docker CLI context called name with host in dir.
func writeCLIContext(t *testing.T, dir, name, host string) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	meta := filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]))
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"Name":%q,"Metadata":{},"Endpoints":{"docker":{"Host":%q,"SkipTLSVerify":false}}}`, name, host)
	if err := os.WriteFile(filepath.Join(meta, "meta.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCLIContextHost(t *testing.T) {
	tests := []struct {
		name        string
		dockerHost  string
		envContext  string
		config      string // config.json; "" for none
		contexts    map[string]string
		wantHost    string
		wantContext string
		wantErr     string
	}{
		{name: "nothing configured"},
		{name: "default context", config: `{"currentContext":"default"}`},
		{name: "config without context", config: `{"auths":{}}`},
		{
			name: "current context", config: `{"currentContext":"colima"}`,
			contexts: map[string]string{"colima": "unix:///home/u/.colima/default/docker.sock"},
			wantHost: "unix:///home/u/.colima/default/docker.sock", wantContext: "colima",
		},
		{
			name: "DOCKER_CONTEXT wins over config", envContext: "desktop-linux", config: `{"currentContext":"colima"}`,
			contexts: map[string]string{"colima": "unix:///a.sock", "desktop-linux": "unix:///b.sock"},
			wantHost: "unix:///b.sock", wantContext: "desktop-linux",
		},
		{
			name: "DOCKER_HOST wins over contexts", dockerHost: "tcp://127.0.0.1:2375", envContext: "colima",
			contexts: map[string]string{"colima": "unix:///a.sock"},
		},
		{name: "missing context", config: `{"currentContext":"gone"}`, wantErr: `docker context "gone"`},
		{
			name: "ssh context", config: `{"currentContext":"remote"}`,
			contexts: map[string]string{"remote": "ssh://me@box"}, wantErr: "over ssh",
		},
		{name: "broken config", config: `{`, wantErr: "read docker CLI config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("DOCKER_CONFIG", dir)
			t.Setenv("DOCKER_HOST", tt.dockerHost)
			t.Setenv("DOCKER_CONTEXT", tt.envContext)
			if tt.config != "" {
				if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(tt.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for name, host := range tt.contexts {
				writeCLIContext(t, dir, name, host)
			}
			host, name, err := cliContextHost()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("cliContextHost = %q, %q, %v; want an error containing %q", host, name, err, tt.wantErr)
				}
				return
			}
			if err != nil || host != tt.wantHost || name != tt.wantContext {
				t.Fatalf("cliContextHost = %q, %q, %v; want %q, %q", host, name, err, tt.wantHost, tt.wantContext)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		err     error
		want    []string
		notWant []string
	}{
		{
			name: "nothing listens",
			err:  errors.New("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"),
			want: []string{"at unix:///x.sock: nothing answers there; is the Docker daemon running? start it or set DOCKER_HOST"},
		},
		{
			name: "permission denied",
			err:  errors.New("permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: dial unix /var/run/docker.sock: connect: permission denied"),
			want: []string{"permission denied; add your user to the docker group"},
		},
		{
			name:    "TLS hint on two lines",
			err:     errors.New("malformed HTTP response.\n* Are you trying to connect to a TLS-enabled daemon without TLS?"),
			want:    []string{"malformed HTTP response. * Are you trying"},
			notWant: []string{"\n"},
		},
		{
			name: "timeout",
			err:  fmt.Errorf("ping: %w", context.DeadlineExceeded),
			want: []string{"no answer within"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msg := unreachable(context.Background(), "unix:///x.sock", tt.err).Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(msg, w) {
					t.Errorf("message %q contains %q", msg, w)
				}
			}
		})
	}
}
