package objects

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/jsonmergepatch"
	"k8s.io/apimachinery/pkg/util/mergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes/scheme"
)

// LastApplied is kubectl's annotation holding the last applied manifest.
const LastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// fieldManager names mini's writes, as kubectl's are named.
const fieldManager = "mini-apply"

// Apply creates each object that is missing and patches each that exists
// with kubectl's three-way merge, printing "kind/name created|configured|
// unchanged". defaultNS applies to namespaced objects without one. It stops
// at the first error, which names the file and document.
func (c *Client) Apply(ctx context.Context, docs []Document, defaultNS string) error {
	for _, d := range docs {
		result, err := c.applyOne(ctx, d, defaultNS)
		if err != nil {
			return fmt.Errorf("%s: %w", d.Where(), err)
		}
		fmt.Fprintln(c.out, result)
	}
	return nil
}

func (c *Client) applyOne(ctx context.Context, d Document, defaultNS string) (string, error) {
	obj := d.Object.DeepCopy()
	m, err := c.mappingOf(obj.GroupVersionKind())
	if err != nil {
		return "", err
	}
	ns := namespaceOf(m, obj, defaultNS)
	ri := c.resourceFor(m, ns)
	// The annotation holds the manifest as given, without itself.
	unstructured.RemoveNestedField(obj.Object, "metadata", "annotations", LastApplied)
	modified, err := json.Marshal(obj.Object)
	if err != nil {
		return "", err
	}
	ann := obj.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[LastApplied] = string(modified)
	obj.SetAnnotations(ann)
	withAnnotation, err := json.Marshal(obj.Object)
	if err != nil {
		return "", err
	}
	current, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		created, err := ri.Create(ctx, obj, metav1.CreateOptions{FieldManager: fieldManager})
		if err != nil {
			return "", err
		}
		return kindName(m, created.GetName()) + " created", nil
	}
	if err != nil {
		return "", err
	}
	currentJSON, err := json.Marshal(current.Object)
	if err != nil {
		return "", err
	}
	original := []byte(current.GetAnnotations()[LastApplied])
	patch, pt, err := threeWay(obj, original, withAnnotation, currentJSON)
	if err != nil {
		return "", err
	}
	if string(patch) == "{}" {
		return kindName(m, obj.GetName()) + " unchanged", nil
	}
	if _, err := ri.Patch(ctx, obj.GetName(), pt, patch, metav1.PatchOptions{FieldManager: fieldManager}); err != nil {
		return "", err
	}
	return kindName(m, obj.GetName()) + " configured", nil
}

// threeWay computes kubectl's apply patch: strategic merge for built-in
// kinds (their patch strategies come from the Go types), JSON merge for
// anything else.
func threeWay(obj *unstructured.Unstructured, original, modified, current []byte) ([]byte, types.PatchType, error) {
	typed, err := scheme.Scheme.New(obj.GroupVersionKind())
	if err != nil {
		p, err := jsonmergepatch.CreateThreeWayJSONMergePatch(original, modified, current, mergepatch.RequireKeyUnchanged("apiVersion"), mergepatch.RequireKeyUnchanged("kind"), mergepatch.RequireMetadataKeyUnchanged("name"))
		return p, types.MergePatchType, err
	}
	meta, err := strategicpatch.NewPatchMetaFromStruct(typed)
	if err != nil {
		return nil, "", err
	}
	p, err := strategicpatch.CreateThreeWayMergePatch(original, modified, current, meta, true)
	return p, types.StrategicMergePatchType, err
}
