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
// creation time: fixed, so that one binary always gives one image ID.
var epoch = time.Unix(0, 0).UTC()

// BinaryPath is where the binary sits in the node image (its ENTRYPOINT).
const BinaryPath = "/mini"

// layerEntries are the entries of the image's only layer, sorted by name;
// the one with binary set is the mini binary itself.
var layerEntries = []struct {
	name   string
	mode   int64
	binary bool
}{
	{name: "etc/", mode: 0o755},
	{name: strings.TrimPrefix(BinaryPath, "/"), mode: 0o755, binary: true},
	{name: "run/", mode: 0o755},
	{name: "tmp/", mode: 0o1777},
	{name: "var/", mode: 0o755},
	{name: "var/lib/", mode: 0o755},
	{name: "var/lib/mini/", mode: 0o755},
}

// imageConfig is the part of the image config (the Docker / OCI image spec)
// that the node image sets.
type imageConfig struct {
	Created      time.Time    `json:"created"`
	Architecture string       `json:"architecture"`
	OS           string       `json:"os"`
	Config       runConfig    `json:"config"`
	RootFS       rootFS       `json:"rootfs"`
	History      []historyRow `json:"history"`
}

type runConfig struct {
	Entrypoint []string          `json:"Entrypoint"`
	Cmd        []string          `json:"Cmd"`
	Env        []string          `json:"Env"`
	Labels     map[string]string `json:"Labels"`
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

// WriteTar writes to w a `docker save`-format archive of the node image for
// the binary at binaryPath, tagged ref (normally Ref(binaryPath)): a FROM
// scratch image holding the binary at /mini (mode 0755) and the empty
// directories /etc, /run, /tmp and /var/lib/mini; ENTRYPOINT ["/mini"],
// CMD ["agent"], PATH=/ and the label io.mini.binary-sha256. The output is
// deterministic. The binary is read twice (once to size and hash the layer,
// once to write it), so memory use does not grow with its size; if it
// changes in between, WriteTar fails.
func WriteTar(w io.Writer, binaryPath, ref string) error {
	repo, tag, ok := splitRef(ref)
	if !ok {
		return fmt.Errorf("write node image %s: reference must be name:tag", ref)
	}

	// Pass 1: the layer's size and digest, and the binary's digest.
	probe := &countingHash{h: sha256.New()}
	binSum, err := writeLayer(probe, binaryPath)
	if err != nil {
		return fmt.Errorf("write node image %s: %w", ref, err)
	}
	diffID := hex.EncodeToString(probe.h.Sum(nil))

	config, err := json.Marshal(imageConfig{
		Created:      epoch,
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Config: runConfig{
			Entrypoint: []string{BinaryPath},
			Cmd:        []string{"agent"},
			Env:        []string{"PATH=/"},
			Labels:     map[string]string{LabelBinarySHA256: binSum},
		},
		RootFS:  rootFS{Type: "layers", DiffIDs: []string{"sha256:" + diffID}},
		History: []historyRow{{Created: epoch, CreatedBy: "mini nodeimage: COPY mini /mini"}},
	})
	if err != nil {
		return fmt.Errorf("write node image %s: encode config: %w", ref, err)
	}
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	layerName := diffID + "/layer.tar"

	manifest, err := json.Marshal([]manifestItem{{
		Config:   configName,
		RepoTags: []string{ref},
		Layers:   []string{layerName},
	}})
	if err != nil {
		return fmt.Errorf("write node image %s: encode manifest: %w", ref, err)
	}
	repositories, err := json.Marshal(map[string]map[string]string{repo: {tag: diffID}})
	if err != nil {
		return fmt.Errorf("write node image %s: encode repositories: %w", ref, err)
	}

	// Pass 2: the archive itself.
	tw := tar.NewWriter(w)
	if err := writeFile(tw, configName, config); err != nil {
		return fmt.Errorf("write node image %s: %w", ref, err)
	}
	if err := tw.WriteHeader(header(diffID+"/", tar.TypeDir, 0o755, 0)); err != nil {
		return fmt.Errorf("write node image %s: %w", ref, err)
	}
	if err := tw.WriteHeader(header(layerName, tar.TypeReg, 0o644, probe.n)); err != nil {
		return fmt.Errorf("write node image %s: %w", ref, err)
	}
	sum2, err := writeLayer(tw, binaryPath)
	if err != nil {
		return fmt.Errorf("write node image %s: %w", ref, err)
	}
	if sum2 != binSum {
		return fmt.Errorf("write node image %s: mini binary %s changed while it was being read; try again", ref, binaryPath)
	}
	if err := writeFile(tw, "manifest.json", manifest); err != nil {
		return fmt.Errorf("write node image %s: %w", ref, err)
	}
	if err := writeFile(tw, "repositories", repositories); err != nil {
		return fmt.Errorf("write node image %s: %w", ref, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write node image %s: %w", ref, err)
	}
	return nil
}

// Open returns the archive WriteTar writes as a stream, produced by a
// goroutine as it is read. An error of WriteTar is returned by Read. Close
// stops the goroutine, so closing the reader early (for example when the
// engine refused the upload) never leaks it.
func Open(binaryPath, ref string) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(WriteTar(pw, binaryPath, ref))
	}()
	return pr
}

// writeLayer writes the layer tar (the image's root filesystem) to w and
// returns the hex sha256 of the binary it copied.
func writeLayer(w io.Writer, binaryPath string) (string, error) {
	f, err := os.Open(binaryPath)
	if err != nil {
		return "", fmt.Errorf("read mini binary: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("read mini binary: %w", err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("read mini binary %s: not a regular file", binaryPath)
	}

	tw := tar.NewWriter(w)
	h := sha256.New()
	for _, e := range layerEntries {
		if !e.binary {
			if err := tw.WriteHeader(header(e.name, tar.TypeDir, e.mode, 0)); err != nil {
				return "", err
			}
			continue
		}
		if err := tw.WriteHeader(header(e.name, tar.TypeReg, e.mode, st.Size())); err != nil {
			return "", err
		}
		n, err := io.Copy(tw, io.TeeReader(io.LimitReader(f, st.Size()), h))
		if err != nil {
			return "", fmt.Errorf("copy mini binary %s: %w", binaryPath, err)
		}
		if n != st.Size() {
			return "", fmt.Errorf("copy mini binary %s: file shrank while it was read; try again", binaryPath)
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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
