package apiserver

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// oaPathItem is an OpenAPI 3.0 path item.
type oaPathItem struct {
	Delete     *oaOperation   `json:"delete,omitempty"`
	Get        *oaOperation   `json:"get,omitempty"`
	Parameters []*oaParameter `json:"parameters,omitempty"`
	Patch      *oaOperation   `json:"patch,omitempty"`
	Post       *oaOperation   `json:"post,omitempty"`
	Put        *oaOperation   `json:"put,omitempty"`
}

// oaOperation is one method of a path, with the Kubernetes extensions that
// kubectl reads: the action and the kind it acts on.
type oaOperation struct {
	Description string                 `json:"description,omitempty"`
	OperationID string                 `json:"operationId,omitempty"`
	Parameters  []*oaParameter         `json:"parameters,omitempty"`
	RequestBody *oaRequestBody         `json:"requestBody,omitempty"`
	Responses   map[string]*oaResponse `json:"responses"`
	Tags        []string               `json:"tags,omitempty"`
	Action      string                 `json:"x-kubernetes-action,omitempty"`
	GVK         *oaGVK                 `json:"x-kubernetes-group-version-kind,omitempty"`
}

type oaParameter struct {
	Description string    `json:"description,omitempty"`
	In          string    `json:"in"`
	Name        string    `json:"name"`
	Required    bool      `json:"required,omitempty"`
	Schema      *oaSchema `json:"schema"`
}

type oaRequestBody struct {
	Content map[string]oaMediaType `json:"content"`
}

type oaMediaType struct {
	Schema *oaSchema `json:"schema"`
}

type oaResponse struct {
	Content     map[string]oaMediaType `json:"content,omitempty"`
	Description string                 `json:"description"`
}

func queryParam(name, typ, desc string) *oaParameter {
	return &oaParameter{Description: desc, In: "query", Name: name, Schema: &oaSchema{Type: typ, UniqueItems: true}}
}

func pathParam(name, desc string) *oaParameter {
	return &oaParameter{Description: desc, In: "path", Name: name, Required: true, Schema: &oaSchema{Type: "string", UniqueItems: true}}
}

// The query parameters mini honours, described as Kubernetes does.
var (
	paramPretty          = queryParam("pretty", "string", "If 'true', then the output is pretty printed.")
	paramDryRun          = queryParam("dryRun", "string", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed")
	paramFieldManager    = queryParam("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.")
	paramFieldValidation = queryParam("fieldValidation", "string", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default. - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.")
	paramForce           = queryParam("force", "boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.")
	listParams           = []*oaParameter{
		queryParam("allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion."),
		queryParam("continue", "string", "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue)."),
		queryParam("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
		queryParam("labelSelector", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
		queryParam("limit", "integer", "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results."),
		queryParam("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset"),
		queryParam("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset"),
		queryParam("timeoutSeconds", "integer", "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity."),
		queryParam("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion."),
	}
	deleteParams = []*oaParameter{
		paramDryRun,
		queryParam("gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately."),
		queryParam("orphanDependents", "boolean", "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the \"orphan\" finalizer will be added to/removed from the object's finalizers list. Either this field or PropagationPolicy may be set, but not both."),
		queryParam("propagationPolicy", "string", "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
	}
	writeParams = []*oaParameter{paramDryRun, paramFieldManager, paramFieldValidation}
	patchParams = []*oaParameter{paramDryRun, paramFieldManager, paramFieldValidation, paramForce}
)

// patchContentTypes are the patch bodies mini accepts; kubectl computes a
// strategic merge patch only when the PATCH operation lists it.
var patchContentTypes = []string{"application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"}

// Component names of the meta types every document uses.
const (
	nameStatus          = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
	nameDeleteOptions   = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"
	namePatch           = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
	nameAPIResourceList = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList"
)

// subresourceKinds are the bodies of subresources that are not the
// resource's own kind, by subresource name.
var subresourceKinds = map[string]schema.GroupVersionKind{
	"scale":    {Group: "autoscaling", Version: "v1", Kind: "Scale"},
	"binding":  {Version: "v1", Kind: "Binding"},
	"eviction": {Group: "policy", Version: "v1", Kind: "Eviction"},
}

// connectOptions are the option kinds of connect subresources, after the
// resource's kind: PodExecOptions, ServiceProxyOptions, ...
var connectOptions = map[string]string{
	"exec": "ExecOptions", "attach": "AttachOptions", "portforward": "PortForwardOptions", "proxy": "ProxyOptions",
}

// pathBuilder writes the path items of one group version.
type pathBuilder struct {
	paths     map[string]*oaPathItem
	prefix    string // /api/v1 or /apis/GROUP/VERSION
	idPrefix  string // CoreV1, AppsV1, ...
	tag       string // core_v1, apps_v1, ...
	names     map[schema.GroupVersionKind]string
	listNames map[schema.GroupVersionKind]string
}

func newPathBuilder(gv schema.GroupVersion, names, listNames map[schema.GroupVersionKind]string) *pathBuilder {
	b := &pathBuilder{paths: map[string]*oaPathItem{}, names: names, listNames: listNames}
	group := "core"
	b.prefix = "/api/" + gv.Version
	if gv.Group != "" {
		group = strings.TrimSuffix(gv.Group, ".k8s.io")
		b.prefix = "/apis/" + gv.Group + "/" + gv.Version
	}
	parts := strings.Split(group, ".")
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	camel := strings.Join(parts, "") // Core, Apps, RbacAuthorization
	b.idPrefix = camel + strings.ToUpper(gv.Version[:1]) + gv.Version[1:]
	b.tag = strings.ToLower(camel[:1]) + camel[1:] + "_" + gv.Version
	b.paths[b.prefix+"/"] = &oaPathItem{Get: &oaOperation{
		Description: "get available resources", OperationID: "get" + b.idPrefix + "APIResources",
		Responses: okResponses(refTo(nameAPIResourceList), "200"), Tags: []string{b.tag},
	}}
	return b
}

// bodies are the request and response schemas of every operation.
func (b *pathBuilder) bodies() []*oaSchema {
	var out []*oaSchema
	for _, pi := range b.paths {
		for _, op := range []*oaOperation{pi.Get, pi.Put, pi.Post, pi.Patch, pi.Delete} {
			if op == nil {
				continue
			}
			if op.RequestBody != nil {
				for _, mt := range op.RequestBody.Content {
					out = append(out, mt.Schema)
				}
			}
			for _, r := range op.Responses {
				for _, mt := range r.Content {
					out = append(out, mt.Schema)
				}
			}
		}
	}
	return out
}

// okResponses answers JSON bodies of schema s under each code.
func okResponses(s *oaSchema, codes ...string) map[string]*oaResponse {
	out := map[string]*oaResponse{"401": {Description: "Unauthorized"}}
	desc := map[string]string{"200": "OK", "201": "Created", "202": "Accepted"}
	for _, c := range codes {
		out[c] = &oaResponse{Description: desc[c], Content: map[string]oaMediaType{"application/json": {Schema: s}}}
	}
	return out
}

func bodyOf(s *oaSchema, types ...string) *oaRequestBody {
	b := &oaRequestBody{Content: map[string]oaMediaType{}}
	for _, t := range types {
		b.Content[t] = oaMediaType{Schema: s}
	}
	return b
}

// op is an operation on kind gvk whose body (in and out) is the named schema.
func (b *pathBuilder) op(action, id, desc string, gvk schema.GroupVersionKind) *oaOperation {
	g := toOAGVK(gvk)
	return &oaOperation{Description: desc, OperationID: id, Tags: []string{b.tag}, Action: action, GVK: &g}
}

// resource adds the paths of res: the collection, the object and its subresources.
func (b *pathBuilder) resource(res *Resource) {
	gvk := res.GVK()
	name, ok := b.names[gvk]
	if !ok {
		return
	}
	obj := refTo(name)
	scope, nsParams := "", []*oaParameter(nil)
	coll := b.prefix + "/" + res.Name
	if res.Namespaced {
		scope = "Namespaced"
		nsParams = []*oaParameter{pathParam("namespace", "object name and auth scope, such as for teams and projects")}
		coll = b.prefix + "/namespaces/{namespace}/" + res.Name
	}
	id := b.idPrefix + scope + res.Kind

	collItem := &oaPathItem{Parameters: append(append([]*oaParameter{}, nsParams...), paramPretty)}
	create := b.op("post", "create"+id, "create a "+res.Kind, gvk)
	create.Parameters, create.RequestBody = writeParams, bodyOf(obj, "*/*")
	create.Responses = okResponses(obj, "200", "201", "202")
	collItem.Post = create
	delColl := b.op("deletecollection", "delete"+b.idPrefix+"Collection"+scope+res.Kind, "delete collection of "+res.Kind, gvk)
	delColl.Parameters = append(append([]*oaParameter{}, deleteParams...), listParams...)
	delColl.RequestBody = bodyOf(refTo(nameDeleteOptions), "*/*")
	delColl.Responses = okResponses(refTo(nameStatus), "200")
	collItem.Delete = delColl
	if listName, ok := b.listNames[gvk]; ok {
		list := b.op("list", "list"+id, "list or watch objects of kind "+res.Kind, gvk)
		list.Parameters = listParams
		list.Responses = okResponses(refTo(listName), "200")
		list.Responses["200"].Content["application/json;stream=watch"] = oaMediaType{Schema: refTo(listName)}
		collItem.Get = list
		if res.Namespaced {
			all := b.op("list", "list"+b.idPrefix+res.Kind+"ForAllNamespaces", "list or watch objects of kind "+res.Kind, gvk)
			all.Responses = list.Responses
			b.paths[b.prefix+"/"+res.Name] = &oaPathItem{Get: all, Parameters: append(append([]*oaParameter{}, listParams...), paramPretty)}
		}
	}
	b.paths[coll] = collItem

	item := coll + "/{name}"
	itemParams := append([]*oaParameter{pathParam("name", "name of the "+res.Kind)}, nsParams...)
	itemParams = append(itemParams, paramPretty)
	b.paths[item] = b.objectItem(id, "the specified "+res.Kind, gvk, obj, itemParams, true)

	for _, sub := range res.Subresources {
		b.subresource(res, sub, item, id, itemParams)
	}
}

// objectItem is the path item of one object (or of a subresource that
// reads and writes an object): get, put, patch and, for objects, delete.
func (b *pathBuilder) objectItem(id, what string, gvk schema.GroupVersionKind, obj *oaSchema, params []*oaParameter, deletable bool) *oaPathItem {
	get := b.op("get", "read"+id, "read "+what, gvk)
	get.Responses = okResponses(obj, "200")
	put := b.op("put", "replace"+id, "replace "+what, gvk)
	put.Parameters, put.RequestBody = writeParams, bodyOf(obj, "*/*")
	put.Responses = okResponses(obj, "200", "201")
	patch := b.op("patch", "patch"+id, "partially update "+what, gvk)
	patch.Parameters, patch.RequestBody = patchParams, bodyOf(refTo(namePatch), patchContentTypes...)
	patch.Responses = okResponses(obj, "200", "201")
	pi := &oaPathItem{Get: get, Put: put, Patch: patch, Parameters: params}
	if deletable {
		del := b.op("delete", "delete"+id, "delete "+what, gvk)
		del.Parameters, del.RequestBody = deleteParams, bodyOf(refTo(nameDeleteOptions), "*/*")
		del.Responses = okResponses(refTo(nameStatus), "200", "202")
		pi.Delete = del
	}
	return pi
}

// subresource adds the path of res's subresource sub under the object path item.
func (b *pathBuilder) subresource(res *Resource, sub, item, id string, params []*oaParameter) {
	gvk := res.GVK()
	path := item + "/" + sub
	subID := id + strings.ToUpper(sub[:1]) + sub[1:]
	switch sub {
	case "status", "ephemeralcontainers", "resize":
		b.paths[path] = b.objectItem(subID, sub+" of the specified "+res.Kind, gvk, refTo(b.names[gvk]), params, false)
	case "scale":
		sgvk := subresourceKinds[sub]
		if name, ok := b.names[sgvk]; ok {
			b.paths[path] = b.objectItem(subID, "scale of the specified "+res.Kind, sgvk, refTo(name), params, false)
		}
	case "finalize":
		put := b.op("put", "replace"+subID, "replace finalize of the specified "+res.Kind, gvk)
		put.Parameters, put.RequestBody = writeParams, bodyOf(refTo(b.names[gvk]), "*/*")
		put.Responses = okResponses(refTo(b.names[gvk]), "200", "201")
		b.paths[path] = &oaPathItem{Put: put, Parameters: params}
	case "binding", "eviction":
		sgvk := subresourceKinds[sub]
		if name, ok := b.names[sgvk]; ok {
			post := b.op("post", "create"+subID, "create "+sub+" of a "+res.Kind, sgvk)
			post.Parameters, post.RequestBody = writeParams, bodyOf(refTo(name), "*/*")
			post.Responses = okResponses(refTo(name), "200", "201", "202")
			b.paths[path] = &oaPathItem{Post: post, Parameters: params}
		}
	case "log":
		get := b.op("get", "read"+subID, "read log of the specified "+res.Kind, gvk)
		get.Responses = map[string]*oaResponse{
			"200": {Description: "OK", Content: map[string]oaMediaType{"text/plain": {Schema: &oaSchema{Type: "string"}}}},
			"401": {Description: "Unauthorized"},
		}
		b.paths[path] = &oaPathItem{Get: get, Parameters: params}
	default:
		opts, ok := connectOptions[sub]
		if !ok {
			return
		}
		ogvk := schema.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: res.Kind + opts}
		pi := &oaPathItem{Parameters: params}
		for _, m := range []string{"Get", "Post"} {
			o := b.op("connect", "connect"+b.idPrefix+m+strings.TrimPrefix(id, b.idPrefix)+strings.ToUpper(sub[:1])+sub[1:], "connect "+m+" requests to "+sub+" of "+res.Kind, ogvk)
			o.Responses = map[string]*oaResponse{
				"200": {Description: "OK", Content: map[string]oaMediaType{"*/*": {Schema: &oaSchema{Type: "string"}}}},
				"401": {Description: "Unauthorized"},
			}
			if m == "Get" {
				pi.Get = o
			} else {
				pi.Post = o
			}
		}
		b.paths[path] = pi
	}
}
