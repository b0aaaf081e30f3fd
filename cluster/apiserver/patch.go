package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// applyPatch applies a patch of type pt to the JSON of obj and decodes the
// result into a new object of res's kind.
func applyPatch(res *Resource, obj kruntime.Object, pt types.PatchType, patch []byte, mode string) (kruntime.Object, []string, error) {
	orig, err := json.Marshal(obj)
	if err != nil {
		return nil, nil, apierrors.NewInternalError(err)
	}
	var patched []byte
	switch pt {
	case types.JSONPatchType:
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, nil, apierrors.NewBadRequest("the JSON patch is not valid: " + err.Error())
		}
		if patched, err = p.Apply(orig); err != nil {
			return nil, nil, statusError(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid, "the JSON patch cannot be applied: "+err.Error())
		}
	case types.MergePatchType:
		if patched, err = jsonpatch.MergePatch(orig, patch); err != nil {
			return nil, nil, apierrors.NewBadRequest("the merge patch is not valid: " + err.Error())
		}
	case types.StrategicMergePatchType:
		if patched, err = strategicpatch.StrategicMergePatch(orig, patch, res.New()); err != nil {
			return nil, nil, apierrors.NewBadRequest("the strategic merge patch is not valid: " + err.Error())
		}
	default:
		return nil, nil, statusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType, fmt.Sprintf("patch type %q is not supported", pt))
	}
	out, warnings, err := decodeObject(res, patched, mode)
	return out, warnings, err
}

// patchType reads the patch type from Content-Type. Server-side apply is
// refused with a clear message rather than accepted and ignored.
func patchType(r *http.Request) (types.PatchType, error) {
	ct := r.Header.Get("Content-Type")
	for _, pt := range []types.PatchType{types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType} {
		if len(ct) >= len(pt) && ct[:len(pt)] == string(pt) {
			return pt, nil
		}
	}
	if len(ct) >= len(types.ApplyYAMLPatchType) && ct[:len(types.ApplyYAMLPatchType)] == string(types.ApplyYAMLPatchType) {
		return "", statusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType, "server-side apply (application/apply-patch+yaml) is not supported by mini yet: use client-side `kubectl apply` (without --server-side)")
	}
	return "", statusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType, fmt.Sprintf("%q is not a patch type: use application/json-patch+json, application/merge-patch+json or application/strategic-merge-patch+json", ct))
}

func (s *Server) handlePatch(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo, sub string) {
	ctx, cancel := requestContext(r)
	defer cancel()
	pt, err := patchType(r)
	if err != nil {
		writeError(w, err)
		return
	}
	mode, err := fieldValidation(r)
	if err != nil {
		writeError(w, err)
		return
	}
	patch, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	// A resourceVersion inside the patch is a precondition, as in Kubernetes.
	var probe struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if pt != types.JSONPatchType {
		_ = json.Unmarshal(patch, &probe)
	}
	var warnings []string
	out, err := s.update(ctx, res, ri.Namespace, ri.Name, sub, probe.Metadata.ResourceVersion, isDryRun(r), func(old kruntime.Object) (kruntime.Object, error) {
		obj, w, err := applyPatch(res, old, pt, patch, mode)
		warnings = w
		if err != nil {
			return nil, err
		}
		m, om := accessor(obj), accessor(old)
		if m.GetName() != om.GetName() || m.GetNamespace() != om.GetNamespace() {
			return nil, apierrors.NewBadRequest("a patch may not change metadata.name or metadata.namespace")
		}
		return obj, nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeWarnings(w, warnings)
	s.writeObject(w, r, res, http.StatusOK, out)
}
