package apiserver

import (
	"net/http"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
)

// view is the form a client asked for in Accept.
type view int

const (
	viewFull    view = iota // the objects themselves
	viewTable               // meta.k8s.io/v1 Table (kubectl get)
	viewPartial             // meta.k8s.io/v1 PartialObjectMetadata(List) (metadata clients)
)

// viewOf reads Accept in the client's order of preference and picks the
// first form mini serves (protobuf is skipped: mini answers in JSON).
func viewOf(r *http.Request) view {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		part = strings.TrimSpace(part)
		mediaType, params, _ := strings.Cut(part, ";")
		switch strings.TrimSpace(mediaType) {
		case "application/json", "*/*", "application/*", "":
		default:
			continue
		}
		if !strings.Contains(params, "g=meta.k8s.io") {
			if strings.Contains(params, "as=") {
				continue // a form of another group mini does not serve
			}
			return viewFull
		}
		switch {
		case strings.Contains(params, "as=Table"):
			return viewTable
		case strings.Contains(params, "as=PartialObjectMetadata"):
			return viewPartial
		}
	}
	return viewFull
}

// wantsTable reports whether the client asked for a meta.k8s.io Table.
func wantsTable(r *http.Request) bool { return viewOf(r) == viewTable }

// partialObject is obj's metadata as a PartialObjectMetadata.
func partialObject(obj kruntime.Object) *metav1.PartialObjectMetadata {
	if oma, ok := obj.(metav1.ObjectMetaAccessor); ok {
		if om, ok := oma.GetObjectMeta().(*metav1.ObjectMeta); ok {
			return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"}, ObjectMeta: *om}
		}
	}
	return partialMeta(accessor(obj))
}

// partialList is the PartialObjectMetadataList of items.
func partialList(items []kruntime.Object, md metav1.ListMeta) *metav1.PartialObjectMetadataList {
	out := &metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadataList", APIVersion: "meta.k8s.io/v1"}, ListMeta: md, Items: []metav1.PartialObjectMetadata{}}
	for _, it := range items {
		out.Items = append(out.Items, *partialObject(it))
	}
	return out
}
