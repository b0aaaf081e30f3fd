package runtime

import (
	"fmt"
	"path/filepath"
	"strings"
)

// maxMountData is the kernel's limit on mount(2) data: one page, with its
// terminating NUL.
const maxMountData = 4096 - 1

// overlayOptions returns the overlay mount data for layers (lowest first;
// overlay's lowerdir wants the top first) and the directory the paths in it
// are relative to ("" when they are absolute). When the absolute form is
// longer than a page, the paths are made relative to their common parent,
// and the mount must then be made from that directory.
func overlayOptions(layers []string, upper, work string) (dir, opts string, err error) {
	if len(layers) == 0 {
		return "", "", fmt.Errorf("no lower layer for overlay")
	}
	all := append(append(make([]string, 0, len(layers)+2), layers...), upper, work)
	for _, p := range all {
		if !filepath.IsAbs(p) || strings.ContainsAny(p, ",:\\") {
			return "", "", fmt.Errorf("overlay path %q: must be absolute and hold no ',', ':' or '\\'", p)
		}
	}
	opts = format(layers, upper, work, func(p string) string { return p })
	if len(opts) <= maxMountData {
		return "", opts, nil
	}
	dir = commonDir(all)
	opts = format(layers, upper, work, func(p string) string {
		r, _ := filepath.Rel(dir, p)
		return r
	})
	if len(opts) > maxMountData {
		return "", "", fmt.Errorf("overlay of %d layers: options are %d bytes, more than a page", len(layers), len(opts))
	}
	return dir, opts, nil
}

func format(layers []string, upper, work string, rel func(string) string) string {
	var b strings.Builder
	b.WriteString("lowerdir=")
	for i := len(layers) - 1; i >= 0; i-- {
		b.WriteString(rel(filepath.Clean(layers[i])))
		if i > 0 {
			b.WriteByte(':')
		}
	}
	b.WriteString(",upperdir=" + rel(filepath.Clean(upper)) + ",workdir=" + rel(filepath.Clean(work)))
	return b.String()
}

// commonDir is the deepest directory holding every one of paths (absolute).
func commonDir(paths []string) string {
	dir := filepath.Dir(filepath.Clean(paths[0]))
	for _, p := range paths[1:] {
		p = filepath.Clean(p)
		for dir != "/" && !strings.HasPrefix(p, dir+"/") {
			dir = filepath.Dir(dir)
		}
	}
	return dir
}
