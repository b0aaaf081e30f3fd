package image

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

// idRE matches a full image ID.
var idRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// isID reports whether ref is an image ID ("sha256:<64 hex>").
func isID(ref string) bool { return idRE.MatchString(ref) }

// Normalize returns ref as Docker understands it: "busybox" is
// "docker.io/library/busybox:latest", a name without a tag gets ":latest",
// and a digest reference keeps its digest. An image ID ("sha256:<64 hex>")
// is returned as it is.
func Normalize(ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if isID(ref) {
		return ref, nil
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q is not valid: %w", ref, err)
	}
	return reference.TagNameOnly(named).String(), nil
}

// isLatest reports whether the normalized ref names the tag "latest"
// (or no tag and no digest), which is when Kubernetes defaults the pull
// policy to Always.
func isLatest(normalized string) bool {
	if isID(normalized) {
		return false
	}
	named, err := reference.ParseNormalizedNamed(normalized)
	if err != nil {
		return false
	}
	if _, ok := named.(reference.Digested); ok {
		return false
	}
	tagged, ok := named.(reference.Tagged)
	return !ok || tagged.Tag() == "latest"
}
