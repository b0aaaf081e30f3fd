package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"

	"github.com/minidev/mini/cluster/store"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kprotobuf "k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	clientscheme "k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// protobufType is Kubernetes' protobuf media type.
const protobufType = "application/vnd.kubernetes.protobuf"

// protobufSerializer reads protobuf bodies of every built-in kind.
var protobufSerializer = kprotobuf.NewSerializer(clientscheme.Scheme, clientscheme.Scheme)

func schemaGR(group, resource string) schema.GroupResource {
	return schema.GroupResource{Group: group, Resource: resource}
}

func goVersion() string { return runtime.Version() }
func platform() string  { return runtime.GOOS + "/" + runtime.GOARCH }

// readBody reads a request body as JSON, converting YAML when the client
// sent YAML. Oversized bodies give 413, unreadable ones 400.
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("the request body exceeds the limit of %d bytes", maxBodyBytes))
		}
		return nil, apierrors.NewBadRequest("reading the request body: " + err.Error())
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, apierrors.NewBadRequest("the request body is empty: send a JSON or YAML object")
	}
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, protobufType) {
		// client-go sends protobuf by default: decode it, go on in JSON.
		obj, _, err := protobufSerializer.Decode(data, nil, nil)
		if err != nil {
			return nil, apierrors.NewBadRequest("the request body is not valid protobuf: " + err.Error())
		}
		return json.Marshal(obj)
	}
	if strings.Contains(ct, "yaml") {
		j, err := yaml.YAMLToJSON(data)
		if err != nil {
			return nil, apierrors.NewBadRequest("the request body is not valid YAML: " + err.Error())
		}
		data = j
	}
	return data, nil
}

// fieldValidation is the request's fieldValidation mode: Strict, Warn
// (the default) or Ignore.
func fieldValidation(r *http.Request) (string, error) {
	switch v := r.URL.Query().Get("fieldValidation"); v {
	case "", "Warn":
		return "Warn", nil
	case "Strict", "Ignore":
		return v, nil
	default:
		return "", apierrors.NewBadRequest(fmt.Sprintf("fieldValidation %q is not one of Strict, Warn, Ignore", v))
	}
}

// decodeObject decodes data into a new object of res's kind. Unknown and
// duplicate fields are errors under Strict, warnings under Warn.
func decodeObject(res *Resource, data []byte, mode string) (kruntime.Object, []string, error) {
	obj := res.New()
	strict, err := sigsjson.UnmarshalStrict(data, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", res.Kind, res.Version, res.Kind, err))
	}
	var warnings []string
	if len(strict) > 0 && mode != "Ignore" {
		msgs := make([]string, len(strict))
		for i, e := range strict {
			msgs[i] = e.Error()
		}
		if mode == "Strict" {
			return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: strict decoding error: %s", res.Kind, res.Version, res.Kind, strings.Join(msgs, ", ")))
		}
		warnings = msgs
	}
	tm, err := meta.TypeAccessor(obj)
	if err != nil {
		return nil, nil, apierrors.NewInternalError(err)
	}
	if tm.GetKind() != "" && tm.GetKind() != res.Kind || tm.GetAPIVersion() != "" && tm.GetAPIVersion() != res.APIVersion() {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("the body is a %s %s, but this URL serves %s %s", tm.GetAPIVersion(), tm.GetKind(), res.APIVersion(), res.Kind))
	}
	tm.SetKind(res.Kind)
	tm.SetAPIVersion(res.APIVersion())
	return obj, warnings, nil
}

// accessor returns obj's metadata.
func accessor(obj kruntime.Object) metav1.Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		panic(fmt.Sprintf("object %T has no metadata: %v", obj, err))
	}
	return m
}

// fromStore decodes a stored value and stamps its resourceVersion.
func fromStore(res *Resource, kv store.KV) (kruntime.Object, error) {
	obj := res.New()
	if err := json.Unmarshal(kv.Value, obj); err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("decode stored %s %s: %w", res.Kind, kv.Key, err))
	}
	setRV(obj, kv.Rev)
	return obj, nil
}

// toStore encodes obj for the store; resourceVersion is not stored, it is
// the store's revision of the key.
func toStore(res *Resource, obj kruntime.Object) ([]byte, error) {
	m := accessor(obj)
	rv := m.GetResourceVersion()
	m.SetResourceVersion("")
	defer m.SetResourceVersion(rv)
	tm, _ := meta.TypeAccessor(obj)
	tm.SetKind(res.Kind)
	tm.SetAPIVersion(res.APIVersion())
	return json.Marshal(obj)
}

func setRV(obj kruntime.Object, rev int64) {
	accessor(obj).SetResourceVersion(strconv.FormatInt(rev, 10))
}

// storeError maps store errors to API errors.
func storeError(res *Resource, name string, err error) error {
	gr := schemaGR(res.Group, res.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apierrors.NewNotFound(gr, name)
	case errors.Is(err, store.ErrExists):
		return apierrors.NewAlreadyExists(gr, name)
	case errors.Is(err, store.ErrConflict):
		return apierrors.NewConflict(gr, name, errors.New("the object has been modified; please apply your changes to the latest version and try again"))
	case errors.Is(err, store.ErrExpired):
		return apierrors.NewResourceExpired("too old resource version: " + err.Error())
	}
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		return err
	}
	return apierrors.NewInternalError(err)
}
