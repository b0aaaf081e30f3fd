package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/v2/pkg/archive"
	"github.com/spf13/cobra"
)

// unpack reads a `docker save` stream on stdin in one pass: each layer.tar
// is applied into a temp dir (whiteouts converted to overlayfs format:
// .wh.NAME -> 0:0 char device, .wh..wh..opq -> trusted.overlay.opaque=y)
// while hashed; the sha256 of the uncompressed layer is its diffID, the
// cache key: STORE/layers/sha256/<diffID>. Images go to STORE/images/<ref>.json.
func unpackCmd() *cobra.Command {
	return &cobra.Command{Use: "unpack STORE < docker-save.tar", Args: cobra.ExactArgs(1), RunE: func(_ *cobra.Command, a []string) error {
		return unpack(a[0], os.Stdin)
	}}
}

type manifestItem struct {
	Config   string
	RepoTags []string
	Layers   []string
}

type imageRecord struct {
	Ref     string          `json:"ref"`
	DiffIDs []string        `json:"diffIDs"` // bottom first
	Config  json.RawMessage `json:"config"`
}

func unpack(store string, r io.Reader) error {
	tmpRoot := filepath.Join(store, "tmp")
	layersDir := filepath.Join(store, "layers", "sha256")
	for _, d := range []string{tmpRoot, layersDir, filepath.Join(store, "images")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	byName := map[string]string{} // layer path in the archive -> diffID
	jsons := map[string][]byte{}
	var manifest []manifestItem
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := path.Clean(hdr.Name)
		switch {
		case strings.HasSuffix(name, "/layer.tar"):
			tmp, err := os.MkdirTemp(tmpRoot, "layer-")
			if err != nil {
				return err
			}
			h := sha256.New()
			if _, err := archive.Apply(context.Background(), tmp, io.TeeReader(tr, h),
				archive.WithConvertWhiteout(archive.OverlayConvertWhiteout)); err != nil {
				return fmt.Errorf("apply %s: %w", name, err)
			}
			io.Copy(h, tr) // the tar's trailing padding is part of the digest
			diffID := "sha256:" + hex.EncodeToString(h.Sum(nil))
			dst := filepath.Join(layersDir, strings.TrimPrefix(diffID, "sha256:"))
			if _, err := os.Stat(dst); err == nil {
				os.RemoveAll(tmp) // cache hit
				fmt.Printf("layer %s: %s (cached)\n", name, diffID)
			} else if err := os.Rename(tmp, dst); err != nil {
				return err
			} else {
				fmt.Printf("layer %s: %s (unpacked)\n", name, diffID)
			}
			byName[name] = diffID
		case name == "manifest.json":
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				return err
			}
		case strings.HasSuffix(name, ".json") && !strings.Contains(name, "/"):
			b, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			jsons[name] = b
		}
	}
	for _, m := range manifest {
		var cfg struct {
			RootFS struct {
				DiffIDs []string `json:"diff_ids"`
			} `json:"rootfs"`
		}
		if err := json.Unmarshal(jsons[m.Config], &cfg); err != nil {
			return fmt.Errorf("config %s: %w", m.Config, err)
		}
		var ids []string
		for i, l := range m.Layers {
			id := byName[path.Clean(l)]
			if i >= len(cfg.RootFS.DiffIDs) || cfg.RootFS.DiffIDs[i] != id {
				return fmt.Errorf("layer %s: digest %s does not match the config's diff_ids", l, id)
			}
			ids = append(ids, id)
		}
		for _, ref := range m.RepoTags {
			b, _ := json.MarshalIndent(imageRecord{Ref: ref, DiffIDs: ids, Config: jsons[m.Config]}, "", " ")
			fn := filepath.Join(store, "images", strings.NewReplacer("/", "_", ":", "_").Replace(ref)+".json")
			if err := os.WriteFile(fn, b, 0o644); err != nil {
				return err
			}
			fmt.Printf("image %s: %d layers, verified\n", ref, len(ids))
		}
	}
	return nil
}
