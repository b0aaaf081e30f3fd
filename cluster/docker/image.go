package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker/client"
)

// ImageInfo describes an image in the engine's store.
type ImageInfo struct {
	// ID is the image ID: the digest of its config ("sha256:...").
	ID string `json:"id"`
	// RepoTags are the names the engine knows the image by.
	RepoTags []string `json:"repoTags"`
	// Size is the image's size in bytes, as the engine reports it.
	Size int64 `json:"size"`
}

// InspectImage describes the image ref (a name or an image ID). When the
// engine lacks it, the error satisfies IsNotFound.
func (c *Client) InspectImage(ctx context.Context, ref string) (ImageInfo, error) {
	img, err := c.api.ImageInspect(ctx, ref)
	if err != nil {
		return ImageInfo{}, fmt.Errorf("inspect image %s: %w", ref, err)
	}
	return ImageInfo{ID: img.ID, RepoTags: img.RepoTags, Size: img.Size}, nil
}

// SaveImage streams the image ref as `docker save` does: a tar archive the
// caller must close. Nothing is buffered: the engine writes while the
// caller reads. When the engine lacks the image, the error satisfies
// IsNotFound; an engine failing mid-stream shows as a broken archive.
func (c *Client) SaveImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	rc, err := c.api.ImageSave(ctx, []string{ref})
	if err != nil {
		return nil, fmt.Errorf("save image %s: %w", ref, err)
	}
	return rc, nil
}

// IsUnreachable reports whether err (or an error it wraps) says the engine
// could not be reached at all.
func IsUnreachable(err error) bool {
	return client.IsErrConnectionFailed(err)
}

// ImageExists reports whether the engine has the image ref.
func (c *Client) ImageExists(ctx context.Context, ref string) (bool, error) {
	if _, err := c.api.ImageInspect(ctx, ref); err != nil {
		if IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("inspect image %s: %w", ref, err)
	}
	return true, nil
}

// LoadImage loads a `docker save`-format tar stream into the engine, as
// `docker load` does, and returns once the engine has finished; an error the
// engine reports in its message stream is returned as an error.
func (c *Client) LoadImage(ctx context.Context, r io.Reader) error {
	resp, err := c.api.ImageLoad(ctx, r, client.ImageLoadWithQuiet(true))
	if err != nil {
		return fmt.Errorf("load image: %w", err)
	}
	defer resp.Body.Close()
	if err := readMessages(resp.Body); err != nil {
		return fmt.Errorf("load image: %w", err)
	}
	return nil
}

// message is one entry of the engine's JSON message stream.
type message struct {
	Stream      string `json:"stream"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

// readMessages drains a JSON message stream (or a plain-text body from an
// old engine) and returns the first error the engine reported in it.
func readMessages(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			// Not JSON: keep draining so the engine finishes, report nothing.
			if _, cerr := io.Copy(io.Discard, io.MultiReader(dec.Buffered(), r)); cerr != nil {
				return cerr
			}
			return nil
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(strings.TrimSpace(m.ErrorDetail.Message))
		}
		if m.Error != "" {
			return errors.New(strings.TrimSpace(m.Error))
		}
	}
}
