package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/agent/image"
	corev1 "k8s.io/api/core/v1"
)

// clientSource is an image.Source straight on the engine, as the control
// plane serves it to nodes.
type clientSource struct{ c *Client }

func (s clientSource) Inspect(ctx context.Context, ref string) (image.Info, error) {
	info, err := s.c.InspectImage(ctx, ref)
	if IsNotFound(err) {
		return image.Info{}, errors.Join(image.ErrNotFound, err)
	}
	return image.Info{ID: info.ID, RepoTags: info.RepoTags, Size: info.Size}, err
}

func (s clientSource) Save(ctx context.Context, ref string) (io.ReadCloser, error) {
	return s.c.SaveImage(ctx, ref)
}

// tarOf writes a tar of name -> body entries ("dir/" entries are dirs).
func tarOf(t *testing.T, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e[0], Mode: 0o644, Size: int64(len(e[1])), Typeflag: tar.TypeReg}
		if e[0][len(e[0])-1] == '/' {
			hdr.Mode, hdr.Typeflag = 0o755, tar.TypeDir
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// scratchImage is a docker-save archive of a FROM scratch image of two
// layers, the upper one deleting a/x and making o opaque.
func scratchImage(t *testing.T, ref string) []byte {
	t.Helper()
	layers := [][]byte{
		tarOf(t, [2]string{"a/", ""}, [2]string{"a/x", "x"}, [2]string{"o/", ""}, [2]string{"o/old", "old"}),
		tarOf(t, [2]string{"a/", ""}, [2]string{"a/.wh.x", ""}, [2]string{"o/", ""}, [2]string{"o/.wh..wh..opq", ""}, [2]string{"o/new", "new"}),
	}
	var diffIDs, names []string
	files := map[string][]byte{}
	for _, l := range layers {
		diffIDs = append(diffIDs, "sha256:"+hexSum(l))
		names = append(names, hexSum(l)+"/layer.tar")
		files[hexSum(l)+"/layer.tar"] = l
	}
	config, _ := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH, "os": "linux", "created": time.Unix(0, 0).UTC(),
		"config": map[string]any{"Entrypoint": []string{"/app"}, "WorkingDir": "/o", "Env": []string{"A=1"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	files[hexSum(config)+".json"] = config
	manifest, _ := json.Marshal([]map[string]any{{"Config": hexSum(config) + ".json", "RepoTags": []string{ref}, "Layers": names}})
	files["manifest.json"] = manifest
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	tw.Close()
	return buf.Bytes()
}

func TestIntegrationImageSaveAndUnpack(t *testing.T) {
	c := integrationClient(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	id := testLabel(t)
	ref := id + "/scratch:1"
	cleanupByLabel(t, c, id, ref)

	if _, err := c.InspectImage(ctx, ref); !IsNotFound(err) {
		t.Fatalf("InspectImage before load = %v, want not found", err)
	}
	if _, err := c.SaveImage(ctx, ref); !IsNotFound(err) {
		t.Fatalf("SaveImage before load = %v, want not found", err)
	}
	if err := c.LoadImage(ctx, bytes.NewReader(scratchImage(t, ref))); err != nil {
		t.Fatalf("LoadImage: %v", err)
	}
	info, err := c.InspectImage(ctx, ref)
	// The image is deterministic: a run killed before its clean-up may
	// have left the same image under another tag, so ref need not be alone.
	if err != nil || len(info.ID) != len("sha256:")+64 || !slices.Contains(info.RepoTags, ref) {
		t.Fatalf("InspectImage = %+v, %v", info, err)
	}
	t.Logf("InspectImage = %+v", info)

	dir := t.TempDir()
	store, err := image.NewStore(image.Config{Dir: dir, Source: clientSource{c}})
	if err != nil {
		t.Fatal(err)
	}
	img, fetched, err := store.Ensure(ctx, ref, corev1.PullAlways, nil)
	if err != nil || !fetched {
		t.Fatalf("Ensure = %+v, %v, %v", img, fetched, err)
	}
	if img.ID != info.ID || len(img.Layers) != 2 || img.Config.WorkingDir != "/o" || img.Config.Entrypoint[0] != "/app" {
		t.Fatalf("Ensure = %+v; want ID %s, 2 layers and the config", img, info.ID)
	}
	if b, err := os.ReadFile(filepath.Join(img.Layers[1], "o/new")); err != nil || string(b) != "new" {
		t.Errorf("o/new = %q, %v", b, err)
	}
	if fi, err := os.Lstat(filepath.Join(img.Layers[1], "a/x")); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("a/x in the upper layer = %v, %v; want the whiteout character device", fi, err)
	}
	if img2, fetched, err := store.Ensure(ctx, ref, corev1.PullAlways, nil); err != nil || fetched || img2.ID != img.ID {
		t.Errorf("second Ensure(Always) = %+v, %v, %v; want no transfer", img2, fetched, err)
	}
}
