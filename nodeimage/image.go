package nodeimage

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Image is a single-layer FROM scratch image: the files of its one layer
// and its run configuration. Image.WriteTar writes it as a `docker save`
// archive.
type Image struct {
	// Ref is the image's name:tag.
	Ref string
	// Files are the layer's entries, in any order. Missing parent
	// directories are added (root-owned, 0755).
	Files []File
	// Config is what a container of the image runs.
	Config Config
	// CreatedBy is the image's one history line ("docker history").
	CreatedBy string
}

// Config is the run configuration of an image (the "config" object of the
// Docker image spec). Empty fields are left out of the image.
type Config struct {
	Entrypoint []string
	Cmd        []string
	Env        []string // "KEY=value"
	WorkingDir string
	User       string // "uid[:gid]" or a name from the image's /etc/passwd
	// ExposedPorts are "port/proto" ("8080/tcp", "8081/udp").
	ExposedPorts []string
	Labels       map[string]string
}

// File is one entry of an image's layer, owned by root. Exactly one kind
// is set: Dir, Link (a symlink), or a regular file whose content is Data,
// or the content of the host file Source when Source is set.
type File struct {
	// Path is where the entry sits in the image ("/bin/sh").
	Path string
	// Mode is the permission bits, setuid/setgid/sticky included (0o755,
	// 0o1777); symlinks ignore it.
	Mode   int64
	Dir    bool
	Link   string
	Data   []byte
	Source string
}

// Dir returns a directory entry.
func Dir(p string, mode int64) File { return File{Path: p, Mode: mode, Dir: true} }

// Bytes returns a regular file holding data.
func Bytes(p string, mode int64, data []byte) File { return File{Path: p, Mode: mode, Data: data} }

// Copy returns a regular file holding the content of the host file source,
// read when the archive is written.
func Copy(p string, mode int64, source string) File { return File{Path: p, Mode: mode, Source: source} }

// Symlink returns a symbolic link at p pointing to target.
func Symlink(p, target string) File { return File{Path: p, Link: target} }

// entry is a File with its archive name ("bin/sh", or "bin/" for a dir).
type entry struct {
	File
	name string
}

// entries checks files and returns them as layer entries sorted by name
// (so a directory always precedes what it holds), with missing parent
// directories added.
func entries(files []File) ([]entry, error) {
	byPath := map[string]File{}
	for _, f := range files {
		p := strings.TrimPrefix(path.Clean("/"+f.Path), "/")
		if p == "" {
			return nil, fmt.Errorf("file %q: the root directory cannot be an entry", f.Path)
		}
		kinds := 0
		for _, set := range []bool{f.Dir, f.Link != "", f.Source != ""} {
			if set {
				kinds++
			}
		}
		if kinds > 1 || (f.Data != nil && kinds > 0) {
			return nil, fmt.Errorf("file %s: set only one of Dir, Link, Source and Data", f.Path)
		}
		if _, dup := byPath[p]; dup {
			return nil, fmt.Errorf("file %s: listed twice", f.Path)
		}
		byPath[p] = f
	}
	for p := range byPath {
		for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
			f, ok := byPath[dir]
			if !ok {
				byPath[dir] = Dir(dir, 0o755)
			} else if !f.Dir {
				return nil, fmt.Errorf("file %s: its parent /%s is not a directory", p, dir)
			}
		}
	}
	out := make([]entry, 0, len(byPath))
	for p, f := range byPath {
		name := p
		if f.Dir {
			name += "/"
		}
		out = append(out, entry{File: f, name: name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}
