package image

import (
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func ocispecConfig() ocispec.ImageConfig {
	return ocispec.ImageConfig{Entrypoint: []string{"/bin/app"}, Cmd: []string{"serve"}, Env: []string{"PATH=/bin"}, WorkingDir: "/srv", User: "1000"}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	id := "sha256:" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		in, want string
		latest   bool
		bad      bool
	}{
		{in: "busybox", want: "docker.io/library/busybox:latest", latest: true},
		{in: "busybox:latest", want: "docker.io/library/busybox:latest", latest: true},
		{in: "docker.io/library/busybox:latest", want: "docker.io/library/busybox:latest", latest: true},
		{in: "busybox:1.36", want: "docker.io/library/busybox:1.36"},
		{in: "me/app:v2", want: "docker.io/me/app:v2"},
		{in: "localhost:5000/app", want: "localhost:5000/app:latest", latest: true},
		{in: "ghcr.io/o/app@sha256:" + strings.Repeat("cd", 32), want: "ghcr.io/o/app@sha256:" + strings.Repeat("cd", 32)},
		{in: id, want: id},
		{in: " busybox ", want: "docker.io/library/busybox:latest", latest: true},
		{in: "Busybox", bad: true},
		{in: "", bad: true},
		// Not an ID: Docker too reads it as the image "sha256", tag "abc".
		{in: "sha256:abc", want: "docker.io/library/sha256:abc"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := Normalize(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("Normalize(%q) = %q, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			if isLatest(got) != tc.latest {
				t.Errorf("isLatest(%q) = %v, want %v", got, !tc.latest, tc.latest)
			}
		})
	}
}
