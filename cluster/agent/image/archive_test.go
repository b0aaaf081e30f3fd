package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// testEntry is one entry of a layer built by a test.
type testEntry struct {
	name string
	dir  bool
	body string
}

// layerTar builds an uncompressed layer tar.
func layerTar(t *testing.T, entries ...testEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(e.body)), Format: tar.FormatPAX}
		if e.dir {
			hdr.Mode, hdr.Typeflag, hdr.Size = 0o755, tar.TypeDir, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Archive layouts a test can write.
const (
	legacyLayout        = "legacy"         // Docker 20.10: <id>/layer.tar, manifest.json last
	legacyManifestFirst = "legacy-mfirst"  // the same, manifest.json and config first
	ociLayout           = "oci"            // Docker 25+: blobs/sha256, index.json and manifest.json
	ociGzipIndexOnly    = "oci-gzip-index" // gzip blobs, no manifest.json
)

type archiveEntry struct {
	name, link string
	body       []byte
}

// saveTar builds a `docker save` archive of an image with these layers
// (lowest first) and run config, tagged ref, and returns it and the
// image ID. A layer repeated is written once and linked (legacy) or
// shared (OCI), as Docker does.
func saveTar(t *testing.T, layout, ref string, cfg ocispec.ImageConfig, layers ...[]byte) ([]byte, string) {
	t.Helper()
	img := ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}, Config: cfg, RootFS: ocispec.RootFS{Type: "layers"}}
	for _, l := range layers {
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, digest.Digest("sha256:"+sha(l)))
	}
	config, err := json.Marshal(img)
	if err != nil {
		t.Fatal(err)
	}
	id := "sha256:" + sha(config)
	var layerEntries, metaEntries []archiveEntry
	var manifestLayers []string
	switch layout {
	case legacyLayout, legacyManifestFirst:
		seen := map[string]string{}
		for i, l := range layers {
			dir := sha([]byte(fmt.Sprint(i, sha(l))))
			name := dir + "/layer.tar"
			if first, ok := seen[sha(l)]; ok {
				layerEntries = append(layerEntries, archiveEntry{name: name, link: "../" + first})
			} else {
				seen[sha(l)] = name
				layerEntries = append(layerEntries, archiveEntry{name: name, body: l})
			}
			layerEntries = append(layerEntries, archiveEntry{name: dir + "/VERSION", body: []byte("1.0")})
			manifestLayers = append(manifestLayers, name)
		}
		m, _ := json.Marshal([]manifestItem{{Config: sha(config) + ".json", RepoTags: []string{ref}, Layers: manifestLayers}})
		metaEntries = []archiveEntry{{name: sha(config) + ".json", body: config}, {name: "manifest.json", body: m}}
	case ociLayout, ociGzipIndexOnly:
		mf := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest,
			Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.Digest(id), Size: int64(len(config))}}
		mf.SchemaVersion = 2
		seen := map[string]bool{}
		for _, l := range layers {
			if layout == ociGzipIndexOnly {
				var gz bytes.Buffer
				zw := gzip.NewWriter(&gz)
				zw.Write(l)
				zw.Close()
				l = gz.Bytes()
			}
			name := "blobs/sha256/" + sha(l)
			if !seen[name] {
				seen[name] = true
				layerEntries = append(layerEntries, archiveEntry{name: name, body: l})
			}
			manifestLayers = append(manifestLayers, name)
			mf.Layers = append(mf.Layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.Digest("sha256:" + sha(l)), Size: int64(len(l))})
		}
		mb, _ := json.Marshal(mf)
		plat := ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
		idx, _ := json.Marshal(ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{
			{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.Digest("sha256:" + sha([]byte("attestation"))), Platform: &ocispec.Platform{OS: "unknown", Architecture: "unknown"}},
			{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.Digest("sha256:" + sha(mb)), Size: int64(len(mb)), Platform: &plat},
		}})
		metaEntries = []archiveEntry{
			{name: "blobs/sha256/" + sha(config), body: config},
			{name: "blobs/sha256/" + sha(mb), body: mb},
			{name: "index.json", body: idx},
			{name: "oci-layout", body: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		}
		if layout == ociLayout {
			m, _ := json.Marshal([]manifestItem{{Config: "blobs/sha256/" + sha(config), RepoTags: []string{ref}, Layers: manifestLayers}})
			metaEntries = append(metaEntries, archiveEntry{name: "manifest.json", body: m})
		}
	default:
		t.Fatalf("unknown layout %q", layout)
	}
	entries := append(layerEntries, metaEntries...)
	if layout == legacyManifestFirst {
		entries = append(metaEntries, layerEntries...)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(e.body))}
		if e.link != "" {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeSymlink, e.link, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), id
}
