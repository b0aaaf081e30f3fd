package nodeimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// epoch is the modification time of every archive entry and the image's
// creation time: fixed, so that the same inputs always give one image ID.
var epoch = time.Unix(0, 0).UTC()

// imageConfig is the part of the image config (the Docker / OCI image spec)
// that mini's images set.
type imageConfig struct {
	Created      time.Time    `json:"created"`
	Architecture string       `json:"architecture"`
	OS           string       `json:"os"`
	Config       runConfig    `json:"config"`
	RootFS       rootFS       `json:"rootfs"`
	History      []historyRow `json:"history"`
}

type runConfig struct {
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	User         string              `json:"User,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

type historyRow struct {
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
}

// manifestItem is one entry of a docker-save manifest.json.
type manifestItem struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

// WriteTar writes img to w as a `docker save`-format archive (the image
// config, one layer tar, manifest.json, repositories) that the engine's
// image-load endpoint accepts. The output is deterministic: entries sorted,
// root-owned, with fixed times, so the same inputs give the same image ID.
// Source files are read twice (once to size and hash the layer, once to
// write it), so memory use does not grow with their size; if one changes
// in between, WriteTar fails.
func (img Image) WriteTar(w io.Writer) error {
	if err := img.writeTar(w); err != nil {
		return fmt.Errorf("write image %s: %w", img.Ref, err)
	}
	return nil
}

// Open returns the archive WriteTar writes as a stream, produced by a
// goroutine as it is read. An error of WriteTar is returned by Read. Close
// stops the goroutine, so closing the reader early (for example when the
// engine refused the upload) never leaks it.
func (img Image) Open() io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(img.WriteTar(pw))
	}()
	return pr
}

func (img Image) writeTar(w io.Writer) error {
	repo, tag, ok := splitRef(img.Ref)
	if !ok {
		return fmt.Errorf("reference must be name:tag")
	}
	ents, err := entries(img.Files)
	if err != nil {
		return err
	}

	// Pass 1: the layer's size and digest.
	probe := &countingHash{h: sha256.New()}
	if err := writeLayer(probe, ents); err != nil {
		return err
	}
	diffID := hex.EncodeToString(probe.h.Sum(nil))

	config, err := json.Marshal(img.config(diffID))
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	layerName := diffID + "/layer.tar"
	manifest, err := json.Marshal([]manifestItem{{
		Config:   configName,
		RepoTags: []string{img.Ref},
		Layers:   []string{layerName},
	}})
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	repositories, err := json.Marshal(map[string]map[string]string{repo: {tag: diffID}})
	if err != nil {
		return fmt.Errorf("encode repositories: %w", err)
	}

	// Pass 2: the archive itself, the layer hashed again as it is written.
	tw := tar.NewWriter(w)
	if err := writeFile(tw, configName, config); err != nil {
		return err
	}
	if err := tw.WriteHeader(header(diffID+"/", tar.TypeDir, 0o755, 0)); err != nil {
		return err
	}
	if err := tw.WriteHeader(header(layerName, tar.TypeReg, 0o644, probe.n)); err != nil {
		return err
	}
	again := &countingHash{h: sha256.New()}
	if err := writeLayer(io.MultiWriter(tw, again), ents); err != nil {
		return changed(err)
	}
	if again.n != probe.n || hex.EncodeToString(again.h.Sum(nil)) != diffID {
		return changed(nil)
	}
	if err := writeFile(tw, "manifest.json", manifest); err != nil {
		return err
	}
	if err := writeFile(tw, "repositories", repositories); err != nil {
		return err
	}
	return tw.Close()
}

// changed reports a layer that came out different the second time.
func changed(err error) error {
	if err == nil {
		return fmt.Errorf("a source file changed while it was being read; try again")
	}
	return fmt.Errorf("%w (did a source file change while it was being read? try again)", err)
}

func (img Image) config(diffID string) imageConfig {
	c := img.Config
	var ports map[string]struct{}
	if len(c.ExposedPorts) > 0 {
		ports = map[string]struct{}{}
		for _, p := range c.ExposedPorts {
			ports[p] = struct{}{}
		}
	}
	return imageConfig{
		Created:      epoch,
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Config: runConfig{
			Entrypoint: c.Entrypoint, Cmd: c.Cmd, Env: c.Env, Labels: c.Labels,
			WorkingDir: c.WorkingDir, User: c.User, ExposedPorts: ports,
		},
		RootFS:  rootFS{Type: "layers", DiffIDs: []string{"sha256:" + diffID}},
		History: []historyRow{{Created: epoch, CreatedBy: img.CreatedBy}},
	}
}

// writeLayer writes the layer tar (the image's root filesystem) to w.
func writeLayer(w io.Writer, ents []entry) error {
	tw := tar.NewWriter(w)
	for _, e := range ents {
		var err error
		switch {
		case e.Dir:
			err = tw.WriteHeader(header(e.name, tar.TypeDir, e.Mode, 0))
		case e.Link != "":
			h := header(e.name, tar.TypeSymlink, 0o777, 0)
			h.Linkname = e.Link
			err = tw.WriteHeader(h)
		case e.Source != "":
			err = copySource(tw, e)
		default:
			if err = tw.WriteHeader(header(e.name, tar.TypeReg, e.Mode, int64(len(e.Data)))); err == nil {
				_, err = tw.Write(e.Data)
			}
		}
		if err != nil {
			return fmt.Errorf("layer entry /%s: %w", strings.TrimSuffix(e.name, "/"), err)
		}
	}
	return tw.Close()
}

// copySource writes the regular file e.Source as entry e.
func copySource(tw *tar.Writer, e entry) error {
	f, err := os.Open(e.Source)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", e.Source)
	}
	if err := tw.WriteHeader(header(e.name, tar.TypeReg, e.Mode, st.Size())); err != nil {
		return err
	}
	n, err := io.Copy(tw, io.LimitReader(f, st.Size()))
	if err != nil {
		return fmt.Errorf("copy %s: %w", e.Source, err)
	}
	if n != st.Size() {
		return fmt.Errorf("copy %s: file shrank while it was read; try again", e.Source)
	}
	return nil
}

func writeFile(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(header(name, tar.TypeReg, 0o644, int64(len(data)))); err != nil {
		return err
	}
	_, err := io.Copy(tw, bytes.NewReader(data))
	return err
}

// header returns a deterministic tar header: root-owned, fixed mtime.
func header(name string, typ byte, mode, size int64) *tar.Header {
	return &tar.Header{
		Typeflag: typ,
		Name:     name,
		Mode:     mode,
		Size:     size,
		ModTime:  epoch,
		Format:   tar.FormatPAX,
	}
}

// splitRef splits "name:tag" (the name may hold a registry port).
func splitRef(ref string) (repo, tag string, ok bool) {
	i := strings.LastIndex(ref, ":")
	if i <= 0 || i == len(ref)-1 || strings.Contains(ref[i+1:], "/") {
		return "", "", false
	}
	return ref[:i], ref[i+1:], true
}

// countingHash hashes and counts what is written to it.
type countingHash struct {
	h hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}
