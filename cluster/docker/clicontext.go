package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// cliContextHost returns the engine address of the docker CLI's current
// context, so mini talks to the same engine as `docker` does (Docker Desktop
// on Linux, colima, rootless Docker and others install a context rather
// than use /var/run/docker.sock). It returns "" when DOCKER_HOST is set
// (which wins, as in the CLI) or the context is "default". The CLI keeps a
// context's endpoint in <config>/contexts/meta/<sha256 of name>/meta.json.
func cliContextHost() (host, name string, err error) {
	if os.Getenv("DOCKER_HOST") != "" {
		return "", "", nil
	}
	configDir := os.Getenv("DOCKER_CONFIG")
	if configDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", "", nil
		}
		configDir = filepath.Join(home, ".docker")
	}
	name = os.Getenv("DOCKER_CONTEXT")
	if name == "" {
		var cfg struct{ CurrentContext string }
		b, err := os.ReadFile(filepath.Join(configDir, "config.json"))
		if errors.Is(err, fs.ErrNotExist) {
			return "", "", nil
		}
		if err != nil {
			return "", "", fmt.Errorf("read docker CLI config: %w", err)
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			return "", "", fmt.Errorf("read docker CLI config %s: %w", filepath.Join(configDir, "config.json"), err)
		}
		name = cfg.CurrentContext
	}
	if name == "" || name == "default" {
		return "", "", nil
	}
	sum := sha256.Sum256([]byte(name))
	metaPath := filepath.Join(configDir, "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json")
	b, err := os.ReadFile(metaPath)
	if err != nil {
		return "", name, fmt.Errorf("docker context %q: %w; run `docker context use default` or set DOCKER_HOST", name, err)
	}
	var meta struct {
		Endpoints map[string]struct{ Host string }
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return "", name, fmt.Errorf("docker context %q: read %s: %w", name, metaPath, err)
	}
	host = meta.Endpoints["docker"].Host
	switch {
	case host == "":
		return "", name, fmt.Errorf("docker context %q has no Docker endpoint; set DOCKER_HOST", name)
	case strings.HasPrefix(host, "ssh://"):
		return "", name, fmt.Errorf("docker context %q reaches its engine over ssh (%s), which mini does not support; set DOCKER_HOST to a unix or tcp address", name, host)
	}
	return host, name, nil
}
