package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/v2/pkg/archive"
)

// maxJSON bounds a JSON entry (config, manifest, index) kept in memory.
const maxJSON = 16 << 20

// layer is one layer read from an archive.
type layer struct {
	diffID string // sha256:<hex> of the uncompressed layer tar
	size   int64  // bytes of the uncompressed layer tar
	cached bool   // the node already had it: not unpacked again
}

// contents is what one pass over a `docker save` archive found: layers by
// entry name, symlinks between entries, and the small JSON files.
type contents struct {
	layers map[string]layer
	links  map[string]string // entry name -> the entry it points to
	jsons  map[string][]byte
}

// unpacker applies layers under dir (layers/sha256/<hex>, via tmp/).
type unpacker struct {
	dir string
	// convert turns whiteouts into overlayfs ones; tests may wrap it.
	convert archive.ConvertWhiteout
}

func (u *unpacker) layerDir(diffID string) string {
	return filepath.Join(u.dir, "layers", "sha256", strings.TrimPrefix(diffID, "sha256:"))
}

// read makes one pass over a `docker save` archive (legacy or OCI layout,
// entries in any order): every entry that is a tar, plain or gzip, is a
// layer and is applied while hashed; JSON entries are kept.
func (u *unpacker) read(ctx context.Context, r io.Reader) (*contents, error) {
	c := &contents{layers: map[string]layer{}, links: map[string]string{}, jsons: map[string][]byte{}}
	tr := tar.NewReader(r)
	br := bufio.NewReaderSize(nil, 64<<10)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read image archive: %w", err)
		}
		name := path.Clean(hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			c.links[name] = path.Join(path.Dir(name), hdr.Linkname)
			continue
		case tar.TypeLink:
			c.links[name] = path.Clean(hdr.Linkname)
			continue
		case tar.TypeReg:
		default:
			continue
		}
		br.Reset(tr)
		head, _ := br.Peek(512)
		switch kind := sniff(head); kind {
		case kindTar, kindGzip:
			l, err := u.layer(ctx, name, br, kind == kindGzip)
			if err != nil {
				return nil, err
			}
			c.layers[name] = l
		case kindZstd:
			return nil, fmt.Errorf("read image archive: layer %s is zstd-compressed, which mini cannot unpack yet: save the image with gzip or no compression", name)
		case kindJSON:
			if hdr.Size > maxJSON {
				continue
			}
			b, err := io.ReadAll(br)
			if err != nil {
				return nil, fmt.Errorf("read image archive: %s: %w", name, err)
			}
			c.jsons[name] = b
		}
	}
	return c, nil
}

type entryKind int

const (
	kindOther entryKind = iota
	kindTar
	kindGzip
	kindZstd
	kindJSON
)

// sniff tells an entry's kind from its first bytes.
func sniff(head []byte) entryKind {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return kindGzip
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return kindZstd
	case len(head) == 512 && (bytes.Equal(head[257:262], []byte("ustar")) || bytes.Count(head, []byte{0}) == 512):
		return kindTar // a tar header, or the zero block of an empty tar
	}
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return kindJSON
	}
	return kindOther
}

// layer unpacks one layer entry into layers/sha256/<diffID>, skipping one
// the node already has.
func (u *unpacker) layer(ctx context.Context, name string, r io.Reader, gz bool) (layer, error) {
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return layer{}, fmt.Errorf("unpack layer %s: %w", name, err)
		}
		defer zr.Close()
		r = zr
	}
	h := sha256.New()
	var n countWriter
	tee := io.TeeReader(r, io.MultiWriter(h, &n))

	// An uncompressed OCI blob is named by its diffID: no need to apply it
	// again when the node has it.
	if hexID, ok := blobHex(name); ok && !gz {
		if _, err := os.Stat(u.layerDir("sha256:" + hexID)); err == nil {
			if _, err := io.Copy(io.Discard, tee); err != nil {
				return layer{}, fmt.Errorf("read layer %s: %w", name, err)
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != hexID {
				return layer{}, fmt.Errorf("layer %s: content digest is sha256:%s: the archive is corrupt", name, got)
			}
			return layer{diffID: "sha256:" + hexID, size: int64(n), cached: true}, nil
		}
	}

	tmp, err := os.MkdirTemp(filepath.Join(u.dir, "tmp"), "layer-")
	if err != nil {
		return layer{}, fmt.Errorf("unpack layer %s: %w", name, err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := os.Chmod(tmp, 0o755); err != nil {
		return layer{}, fmt.Errorf("unpack layer %s: %w", name, err)
	}
	if _, err := archive.Apply(ctx, tmp, tee, archive.WithConvertWhiteout(u.convert)); err != nil {
		return layer{}, fmt.Errorf("unpack layer %s: %w", name, err)
	}
	// The tar's end blocks and padding are part of the digest.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return layer{}, fmt.Errorf("read layer %s: %w", name, err)
	}
	l := layer{diffID: "sha256:" + hex.EncodeToString(h.Sum(nil)), size: int64(n)}
	dst := u.layerDir(l.diffID)
	if _, err := os.Stat(dst); err == nil {
		l.cached = true
		return l, nil
	}
	if err := os.Rename(tmp, dst); err != nil {
		if _, serr := os.Stat(dst); serr == nil { // a concurrent transfer won
			l.cached = true
			return l, nil
		}
		return layer{}, fmt.Errorf("store layer %s as %s: %w", name, l.diffID, err)
	}
	return l, nil
}

// blobHex returns <hex> for an OCI layout entry blobs/sha256/<hex>.
func blobHex(name string) (string, bool) {
	h, ok := strings.CutPrefix(name, "blobs/sha256/")
	if !ok || !isID("sha256:"+h) {
		return "", false
	}
	return h, true
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
