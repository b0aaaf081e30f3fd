package cluster

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/minidev/mini/cluster/internal/atomicfile"
)

// enginesFile remembers, per Docker engine, what mini learned about it.
const enginesFile = "engines.json"

// engineFacts is what mini remembers of one engine.
type engineFacts struct {
	// PrivilegedRefused: the engine refused --privileged ("unable to apply
	// caps"); nodes go straight to the fallback, saving a failed container
	// start (~1.4 s here) per node on every up.
	PrivilegedRefused bool      `json:"privilegedRefused"`
	Seen              time.Time `json:"seen"`
}

func (p *Provider) enginesPath() string { return filepath.Join(p.Home, enginesFile) }

// rememberedRefusal applies what mini knows of this engine to the Docker
// client; it reports whether the engine is known to refuse --privileged.
func (p *Provider) rememberedRefusal(ctx context.Context) bool {
	id, err := p.Docker.EngineID(ctx)
	if err != nil {
		return false
	}
	facts := p.readEngines()
	if facts[id].PrivilegedRefused {
		p.Docker.AssumeUnprivileged()
		return true
	}
	return false
}

// rememberRefusal records that this engine refused --privileged.
func (p *Provider) rememberRefusal(ctx context.Context) {
	id, err := p.Docker.EngineID(ctx)
	if err != nil {
		return
	}
	facts := p.readEngines()
	facts[id] = engineFacts{PrivilegedRefused: true, Seen: time.Now().UTC()}
	b, err := json.MarshalIndent(facts, "", "  ")
	if err != nil {
		return
	}
	if err := os.MkdirAll(p.Home, 0o700); err == nil {
		_ = atomicfile.Write(p.enginesPath(), b, 0o600)
	}
}

func (p *Provider) readEngines() map[string]engineFacts {
	facts := map[string]engineFacts{}
	if b, err := os.ReadFile(p.enginesPath()); err == nil {
		_ = json.Unmarshal(b, &facts) // a damaged file is only a lost hint
	}
	return facts
}
