package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/containerd/v2/pkg/archive"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/singleflight"
	corev1 "k8s.io/api/core/v1"
)

// Config is what a Store needs.
type Config struct {
	// Dir holds the store (/var/lib/mini/images on a node).
	Dir string
	// Source is where images are fetched from; nil allows only images
	// already on the node.
	Source Source
	Log    *slog.Logger
}

// Image is an image on the node, ready to be a container's root.
type Image struct {
	ID     string              // sha256:..., the config digest (Docker's image ID)
	Ref    string              // the normalized reference it was asked by
	Config ocispec.ImageConfig // Entrypoint, Cmd, Env, WorkingDir, User, ExposedPorts
	Layers []string            // unpacked layer directories, lowest first
	Size   int64               // bytes of the uncompressed layers
}

// Store is the node's image cache. It is safe for concurrent use.
type Store struct {
	cfg Config
	log *slog.Logger
	un  unpacker

	flight singleflight.Group
	joined atomic.Int64 // callers that have joined a transfer, for tests

	mu   sync.Mutex // guards refs and refs.json
	refs refsFile
}

// refsFile is refs.json.
type refsFile struct {
	Refs  map[string]string `json:"refs"`  // normalized ref -> image ID
	Sizes map[string]int64  `json:"sizes"` // image ID -> bytes
}

// NewStore opens (creating) the store in cfg.Dir and empties its tmp dir
// of layers a previous life left half-unpacked.
func NewStore(cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("image store: Config.Dir is required")
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if err := os.RemoveAll(filepath.Join(cfg.Dir, "tmp")); err != nil {
		return nil, fmt.Errorf("image store %s: clean tmp: %w", cfg.Dir, err)
	}
	for _, d := range []string{"tmp", "configs", filepath.Join("layers", "sha256")} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("image store %s: %w", cfg.Dir, err)
		}
	}
	s := &Store{cfg: cfg, log: log, un: unpacker{dir: cfg.Dir, convert: archive.OverlayConvertWhiteout},
		refs: refsFile{Refs: map[string]string{}, Sizes: map[string]int64{}}}
	b, err := os.ReadFile(s.refsPath())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("image store: %w", err)
	default:
		if err := json.Unmarshal(b, &s.refs); err != nil {
			return nil, fmt.Errorf("image store: %s is corrupt (remove it to forget the node's image names): %w", s.refsPath(), err)
		}
		if s.refs.Refs == nil {
			s.refs.Refs = map[string]string{}
		}
		if s.refs.Sizes == nil {
			s.refs.Sizes = map[string]int64{}
		}
	}
	return s, nil
}

func (s *Store) refsPath() string { return filepath.Join(s.cfg.Dir, "refs.json") }

func (s *Store) configPath(id string) string {
	return filepath.Join(s.cfg.Dir, "configs", strings.TrimPrefix(id, "sha256:")+".json")
}

// Ensure returns the image for ref under policy (Kubernetes' semantics,
// against the host's image store): Always asks the host for the image ID
// and transfers only when the node's differs; IfNotPresent transfers only
// when the node lacks ref; Never fails with ErrNeverPull then. An empty
// policy is defaulted as Kubernetes does. pulling, if not nil, is called
// right before a transfer starts; fetched reports whether one happened.
// Concurrent calls for one ref share one transfer.
func (s *Store) Ensure(ctx context.Context, ref string, policy corev1.PullPolicy, pulling func()) (img *Image, fetched bool, err error) {
	norm, err := Normalize(ref)
	if err != nil {
		return nil, false, err
	}
	pol, err := effectivePolicy(policy, norm)
	if err != nil {
		return nil, false, err
	}
	local := s.lookup(norm)
	localID := ""
	if local != nil {
		localID = local.ID
	}
	hostID := ""
	if pol == corev1.PullAlways {
		if s.cfg.Source == nil {
			return nil, false, fmt.Errorf("image %s: pull policy Always but the node has no image source", norm)
		}
		info, err := s.cfg.Source.Inspect(ctx, norm)
		if err != nil {
			return nil, false, fmt.Errorf("image %s: %w", norm, err)
		}
		hostID = info.ID
	}
	act, err := decide(pol, localID, hostID)
	if err != nil {
		return nil, false, fmt.Errorf("image %s: %w", norm, err)
	}
	if act == useLocal {
		return local, false, nil
	}
	if hostID != "" {
		// The node may hold the host's image under another name.
		if img := s.byID(hostID, norm); img != nil {
			if err := s.setRef(norm, hostID, img.Size); err != nil {
				return nil, false, err
			}
			return img, false, nil
		}
	}
	if s.cfg.Source == nil {
		return nil, false, fmt.Errorf("image %s is not on the node and the node has no image source", norm)
	}
	if pulling != nil {
		pulling()
	}
	img, err = s.transfer(ctx, norm)
	if err != nil {
		return nil, false, err
	}
	return img, true, nil
}

// transfer fetches norm once for all concurrent callers. The transfer
// goes on if the caller that started it gives up, so the others get it.
func (s *Store) transfer(ctx context.Context, norm string) (*Image, error) {
	ch := s.flight.DoChan(norm, func() (any, error) {
		return s.fetch(context.WithoutCancel(ctx), norm)
	})
	s.joined.Add(1)
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("fetch image %s: %w", norm, ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		img := *r.Val.(*Image)
		return &img, nil
	}
}

// fetch transfers norm from the source and records it.
func (s *Store) fetch(ctx context.Context, norm string) (*Image, error) {
	start := time.Now()
	rc, err := s.cfg.Source.Save(ctx, norm)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	c, err := s.un.read(ctx, rc)
	if err != nil {
		return nil, fmt.Errorf("fetch image %s: %w", norm, err)
	}
	u, err := resolve(c, norm)
	if err != nil {
		return nil, fmt.Errorf("fetch image %s: %w", norm, err)
	}
	if isID(norm) && u.id != norm {
		return nil, fmt.Errorf("fetch image %s: the host sent image %s", norm, u.id)
	}
	if err := writeFileAtomic(s.configPath(u.id), u.config); err != nil {
		return nil, fmt.Errorf("store config of image %s: %w", norm, err)
	}
	if err := s.setRef(norm, u.id, u.size); err != nil {
		return nil, err
	}
	img := s.byID(u.id, norm)
	if img == nil {
		return nil, fmt.Errorf("fetch image %s: unpacked image %s is incomplete", norm, u.id)
	}
	s.log.Info("Fetched image", "ref", norm, "id", u.id, "layers", len(u.diffIDs), "cachedLayers", u.cached,
		"bytes", u.size, "duration", time.Since(start).Round(time.Millisecond))
	return img, nil
}

// lookup returns the node's complete image for the normalized ref, or nil.
func (s *Store) lookup(norm string) *Image {
	id := norm
	if !isID(norm) {
		s.mu.Lock()
		id = s.refs.Refs[norm]
		s.mu.Unlock()
		if id == "" {
			return nil
		}
	}
	return s.byID(id, norm)
}

// byID returns the node's image id, named ref, if its config and all its
// layers are present; else nil.
func (s *Store) byID(id, ref string) *Image {
	b, err := os.ReadFile(s.configPath(id))
	if err != nil {
		return nil
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(b, &cfg); err != nil {
		s.log.Warn("Ignoring a corrupt image config", "path", s.configPath(id), "err", err)
		return nil
	}
	img := &Image{ID: id, Ref: ref, Config: cfg.Config}
	for _, d := range cfg.RootFS.DiffIDs {
		dir := s.un.layerDir(d.String())
		if _, err := os.Stat(dir); err != nil {
			return nil
		}
		img.Layers = append(img.Layers, dir)
	}
	s.mu.Lock()
	img.Size = s.refs.Sizes[id]
	s.mu.Unlock()
	return img
}

// setRef records ref -> id (and id's size) in refs.json.
func (s *Store) setRef(ref, id string, size int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !isID(ref) {
		s.refs.Refs[ref] = id
	}
	if size > 0 {
		s.refs.Sizes[id] = size
	}
	b, err := json.MarshalIndent(s.refs, "", "  ")
	if err != nil {
		return fmt.Errorf("record image %s: %w", ref, err)
	}
	if err := writeFileAtomic(s.refsPath(), b); err != nil {
		return fmt.Errorf("record image %s: %w", ref, err)
	}
	return nil
}

// writeFileAtomic replaces path with data: readers see the old or the new
// file, never a part.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
