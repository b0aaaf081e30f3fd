package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrNotFound is wrapped by a Source's errors when the host lacks the image.
var ErrNotFound = errors.New("image not found")

// Info describes an image in the host's store.
type Info struct {
	ID       string   `json:"id"` // sha256:..., the config's digest
	RepoTags []string `json:"repoTags"`
	Size     int64    `json:"size"`
}

// Source is where images come from: the host's Docker image store.
type Source interface {
	// Inspect describes ref; the error wraps ErrNotFound when the host lacks it.
	Inspect(ctx context.Context, ref string) (Info, error)
	// Save streams ref in `docker save` format; the caller closes it.
	Save(ctx context.Context, ref string) (io.ReadCloser, error)
}

// Paths of the control plane's image endpoints.
const (
	inspectPath = "/mini/v1/images/inspect"
	savePath    = "/mini/v1/images/save"
)

// httpSource talks to the control plane's image endpoints.
type httpSource struct {
	base   string
	client *http.Client
	token  string
}

var _ Source = (*httpSource)(nil)

// NewHTTPSource returns a Source asking the control plane at baseURL
// ("https://host:port") with client, presenting token as a bearer token.
func NewHTTPSource(baseURL string, client *http.Client, token string) Source {
	if client == nil {
		client = http.DefaultClient
	}
	return &httpSource{base: strings.TrimSuffix(baseURL, "/"), client: client, token: token}
}

func (s *httpSource) Inspect(ctx context.Context, ref string) (Info, error) {
	resp, err := s.get(ctx, inspectPath, ref)
	if err != nil {
		return Info{}, fmt.Errorf("inspect image %s on the host: %w", ref, err)
	}
	defer resp.Body.Close()
	var info Info
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return Info{}, fmt.Errorf("inspect image %s on the host: decode answer: %w", ref, err)
	}
	return info, nil
}

func (s *httpSource) Save(ctx context.Context, ref string) (io.ReadCloser, error) {
	resp, err := s.get(ctx, savePath, ref)
	if err != nil {
		return nil, fmt.Errorf("fetch image %s from the host: %w", ref, err)
	}
	return resp.Body, nil
}

// get requests path?ref=ref and returns a 200 response, or an error
// carrying the server's message (wrapping ErrNotFound on 404).
func (s *httpSource) get(ctx context.Context, path, ref string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path+"?ref="+url.QueryEscape(ref), nil)
	if err != nil {
		return nil, err
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	msg := statusMessage(resp)
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, msg)
	}
	return nil, fmt.Errorf("control plane answered %s: %s", resp.Status, msg)
}

// statusMessage is the message of a Status-like JSON error body, else the
// body's first line.
func statusMessage(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var st struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &st) == nil && st.Message != "" {
		return st.Message
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if line == "" {
		return "(no message)"
	}
	return line
}
