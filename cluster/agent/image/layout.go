package image

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"runtime"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// manifestItem is one entry of a `docker save` manifest.json.
type manifestItem struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// unpacked is an image whose layers are all in the node's layer store.
type unpacked struct {
	id      string // sha256:<hex> of config
	config  []byte
	diffIDs []string // lowest first
	size    int64    // sum of the uncompressed layer tars
	cached  int      // layers the node already had
}

// resolve finds the image for ref in c (manifest.json, else the OCI
// index.json) and checks every layer against the config's diff_ids.
func resolve(c *contents, ref string) (*unpacked, error) {
	configName, layerNames, err := c.manifest(ref)
	if err != nil {
		return nil, err
	}
	config, ok := c.jsons[configName]
	if !ok {
		return nil, fmt.Errorf("image archive lacks the config %s", configName)
	}
	var img ocispec.Image
	if err := json.Unmarshal(config, &img); err != nil {
		return nil, fmt.Errorf("image config %s: %w", configName, err)
	}
	if len(img.RootFS.DiffIDs) != len(layerNames) {
		return nil, fmt.Errorf("image config %s lists %d layers, the manifest %d", configName, len(img.RootFS.DiffIDs), len(layerNames))
	}
	sum := sha256.Sum256(config)
	u := &unpacked{id: "sha256:" + hex.EncodeToString(sum[:]), config: config}
	for i, name := range layerNames {
		l, ok := c.layer(name)
		if !ok {
			return nil, fmt.Errorf("image archive lacks layer %s", name)
		}
		if want := img.RootFS.DiffIDs[i].String(); l.diffID != want {
			return nil, fmt.Errorf("layer %d (%s) has digest %s, the config's diff_ids say %s: the archive is corrupt", i, name, l.diffID, want)
		}
		u.diffIDs = append(u.diffIDs, l.diffID)
		u.size += l.size
		if l.cached {
			u.cached++
		}
	}
	return u, nil
}

// layer returns the layer stored at name, following links.
func (c *contents) layer(name string) (layer, bool) {
	name = path.Clean(name)
	for range 8 {
		if l, ok := c.layers[name]; ok {
			return l, true
		}
		target, ok := c.links[name]
		if !ok {
			break
		}
		name = target
	}
	return layer{}, false
}

// manifest returns the config and layer entry names of the image for ref.
func (c *contents) manifest(ref string) (config string, layers []string, err error) {
	if b, ok := c.jsons["manifest.json"]; ok {
		var items []manifestItem
		if err := json.Unmarshal(b, &items); err != nil {
			return "", nil, fmt.Errorf("image archive manifest.json: %w", err)
		}
		it, err := pickItem(items, ref)
		if err != nil {
			return "", nil, err
		}
		return path.Clean(it.Config), it.Layers, nil
	}
	if b, ok := c.jsons["index.json"]; ok {
		return c.ociManifest(b, 0)
	}
	return "", nil, fmt.Errorf("image archive has neither manifest.json nor index.json: is it a `docker save` archive?")
}

// pickItem chooses ref's entry of a manifest.json: the only one, or the
// one tagged ref.
func pickItem(items []manifestItem, ref string) (manifestItem, error) {
	if len(items) == 1 {
		return items[0], nil
	}
	for _, it := range items {
		for _, tag := range it.RepoTags {
			if n, err := Normalize(tag); err == nil && n == ref {
				return it, nil
			}
		}
	}
	return manifestItem{}, fmt.Errorf("image archive holds %d images, none tagged %s", len(items), ref)
}

// ociManifest follows an OCI index (nested up to a few levels) to the
// image manifest for this platform.
func (c *contents) ociManifest(index []byte, depth int) (string, []string, error) {
	if depth > 4 {
		return "", nil, fmt.Errorf("image archive: OCI indexes nested too deep")
	}
	var idx ocispec.Index
	if err := json.Unmarshal(index, &idx); err != nil {
		return "", nil, fmt.Errorf("image archive index: %w", err)
	}
	d, ok := pickDescriptor(idx.Manifests)
	if !ok {
		return "", nil, fmt.Errorf("image archive index lists no image for linux/%s", runtime.GOARCH)
	}
	name := blobName(d.Digest.String())
	b, ok := c.jsons[name]
	if !ok {
		return "", nil, fmt.Errorf("image archive lacks %s", name)
	}
	switch d.MediaType {
	case ocispec.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
		return c.ociManifest(b, depth+1)
	}
	var m struct {
		ocispec.Manifest
		Manifests []ocispec.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", nil, fmt.Errorf("image manifest %s: %w", name, err)
	}
	if m.Config.Digest == "" && len(m.Manifests) > 0 { // an index without its media type
		return c.ociManifest(b, depth+1)
	}
	layers := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		layers[i] = blobName(l.Digest.String())
	}
	return blobName(m.Config.Digest.String()), layers, nil
}

// pickDescriptor prefers linux/GOARCH, then a descriptor without platform,
// and never an attestation ("unknown/unknown").
func pickDescriptor(ds []ocispec.Descriptor) (ocispec.Descriptor, bool) {
	var fallback *ocispec.Descriptor
	for i, d := range ds {
		p := d.Platform
		switch {
		case p == nil:
			if fallback == nil {
				fallback = &ds[i]
			}
		case p.OS == "linux" && p.Architecture == runtime.GOARCH:
			return d, true
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	return ocispec.Descriptor{}, false
}

// blobName is the OCI layout entry of a digest "alg:hex".
func blobName(digest string) string {
	alg, h, _ := strings.Cut(digest, ":")
	return path.Join("blobs", alg, h)
}
