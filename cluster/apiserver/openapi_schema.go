package apiserver

import (
	"encoding/json"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// oaSchema is an OpenAPI 3.0 schema object with the Kubernetes extensions
// clients read. Fields are in the order the real documents print them.
type oaSchema struct {
	AllOf                []*oaSchema          `json:"allOf,omitempty"`
	Ref                  string               `json:"$ref,omitempty"`
	AdditionalProperties *oaSchema            `json:"additionalProperties,omitempty"`
	Description          string               `json:"description,omitempty"`
	Format               string               `json:"format,omitempty"`
	Items                *oaSchema            `json:"items,omitempty"`
	OneOf                []*oaSchema          `json:"oneOf,omitempty"`
	Properties           map[string]*oaSchema `json:"properties,omitempty"`
	Required             []string             `json:"required,omitempty"`
	Type                 string               `json:"type,omitempty"`
	UniqueItems          bool                 `json:"uniqueItems,omitempty"`
	GVK                  []oaGVK              `json:"x-kubernetes-group-version-kind,omitempty"`
	ListMapKeys          []string             `json:"x-kubernetes-list-map-keys,omitempty"`
	ListType             string               `json:"x-kubernetes-list-type,omitempty"`
	MapType              string               `json:"x-kubernetes-map-type,omitempty"`
	PatchMergeKey        string               `json:"x-kubernetes-patch-merge-key,omitempty"`
	PatchStrategy        string               `json:"x-kubernetes-patch-strategy,omitempty"`
}

// oaGVK is the value of x-kubernetes-group-version-kind.
type oaGVK struct {
	Group   string `json:"group"`
	Kind    string `json:"kind"`
	Version string `json:"version"`
}

func toOAGVK(gvk schema.GroupVersionKind) oaGVK {
	return oaGVK{Group: gvk.Group, Kind: gvk.Kind, Version: gvk.Version}
}

const schemaRefPrefix = "#/components/schemas/"

// refTo is a $ref to a named component schema.
func refTo(name string) *oaSchema { return &oaSchema{Ref: schemaRefPrefix + name} }

// collectionTypes tells which lists are associative ("map"/"set") and which
// maps and structs are atomic: facts Kubernetes keeps in +listType and
// +mapType comments, which reflection cannot see.
type collectionTypes interface {
	// field returns the list type, list map keys and map type of a field of a named struct.
	field(typeName, jsonName string) (listType string, keys []string, mapType string)
	// atomic reports whether the named struct is replaced as a whole.
	atomic(typeName string) bool
}

// schemaGen builds component schemas by reflection over Go API types:
// json tags name the properties, SwaggerDoc() gives the descriptions and the
// patchStrategy/patchMergeKey tags the strategic merge patch extensions.
type schemaGen struct {
	schemas     map[string]*oaSchema
	collections collectionTypes // may be nil
}

func newSchemaGen(c collectionTypes) *schemaGen {
	return &schemaGen{schemas: map[string]*oaSchema{}, collections: c}
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	swaggerDocer  = reflect.TypeFor[interface{ SwaggerDoc() map[string]string }]()
	modelNamer    = reflect.TypeFor[interface{ OpenAPIModelName() string }]()
	schemaTyper   = reflect.TypeFor[interface{ OpenAPISchemaType() []string }]()
)

// fallbackDocs describes the types that carry no SwaggerDoc.
var fallbackDocs = map[string]string{
	"io.k8s.apimachinery.pkg.apis.meta.v1.Time":       "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.",
	"io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime":  "MicroTime is version of Time with microsecond level precision.",
	"io.k8s.apimachinery.pkg.api.resource.Quantity":   "Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.\n\nThe serialization format is <signedNumber><suffix>, where the suffix is a binary SI suffix (Ki, Mi, Gi, Ti, Pi, Ei), a decimal SI suffix (m, \"\", k, M, G, T, P, E) or a decimal exponent (e<signedNumber>). Examples: 100m, 1.5Gi, 1e3.",
	"io.k8s.apimachinery.pkg.util.intstr.IntOrString": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.",
	"io.k8s.apimachinery.pkg.runtime.RawExtension":    "RawExtension is used to hold extensions in external versions.",
}

// typeName is the component name of a named Go type, as Kubernetes spells
// it: io.k8s.api.core.v1.PodSpec for k8s.io/api/core/v1.PodSpec.
func typeName(t reflect.Type) string {
	if t.Implements(modelNamer) {
		return reflect.Zero(t).Interface().(interface{ OpenAPIModelName() string }).OpenAPIModelName()
	}
	parts := strings.Split(t.PkgPath(), "/")
	if strings.Contains(parts[0], ".") {
		host := strings.Split(parts[0], ".")
		for i, j := 0, len(host)-1; i < j; i, j = i+1, j-1 {
			host[i], host[j] = host[j], host[i]
		}
		parts[0] = strings.Join(host, ".")
	}
	return strings.Join(parts, ".") + "." + t.Name()
}

// swaggerDoc returns the type's SwaggerDoc map, or nil.
func swaggerDoc(t reflect.Type) map[string]string {
	if !t.Implements(swaggerDocer) {
		return nil
	}
	return reflect.Zero(t).Interface().(interface{ SwaggerDoc() map[string]string }).SwaggerDoc()
}

// named adds the component schema of the named type t (a struct or a type
// with its own JSON form) and returns its name.
func (g *schemaGen) named(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := typeName(t)
	if _, ok := g.schemas[name]; ok {
		return name
	}
	s := &oaSchema{}
	g.schemas[name] = s // before the fields: recursive types end here
	doc := swaggerDoc(t)
	s.Description = doc[""]
	if s.Description == "" {
		s.Description = fallbackDocs[name]
	}
	switch {
	case t.Implements(schemaTyper):
		// Time, MicroTime, Duration, Quantity, IntOrString declare their JSON form.
		v := reflect.Zero(t).Interface()
		types := v.(interface{ OpenAPISchemaType() []string }).OpenAPISchemaType()
		if f, ok := v.(interface{ OpenAPISchemaFormat() string }); ok {
			s.Format = f.OpenAPISchemaFormat()
		}
		if o, ok := v.(interface{ OpenAPIV3OneOfTypes() []string }); ok {
			for _, ty := range o.OpenAPIV3OneOfTypes() {
				s.OneOf = append(s.OneOf, &oaSchema{Type: ty})
			}
		} else if len(types) > 0 {
			s.Type = types[0]
		}
	case t.Kind() != reflect.Struct || t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler):
		// RawExtension, FieldsV1: opaque JSON objects.
		s.Type = "object"
	default:
		s.Type = "object"
		s.Properties = map[string]*oaSchema{}
		g.fields(t, name, doc, s)
		if g.collections != nil && g.collections.atomic(name) {
			s.MapType = "atomic"
		}
	}
	return name
}

// fields adds the JSON properties of struct t (and of the structs it
// inlines) to s, the schema of the named type owner.
func (g *schemaGen) fields(t reflect.Type, owner string, doc map[string]string, s *oaSchema) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			for et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				g.fields(et, owner, swaggerDoc(et), s)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p := g.property(f.Type)
		p.Description = doc[name]
		p.PatchStrategy = f.Tag.Get("patchStrategy")
		p.PatchMergeKey = f.Tag.Get("patchMergeKey")
		if g.collections != nil {
			listType, keys, mapType := g.collections.field(owner, name)
			switch {
			case p.Type == "array":
				p.ListType, p.ListMapKeys = listType, keys
			case p.Type == "object" && p.AdditionalProperties != nil:
				p.MapType = mapType
			}
		}
		s.Properties[name] = p
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			s.Required = append(s.Required, name)
		}
	}
}

// property is the schema of a value of type t: inline for scalars, lists
// and maps, a reference (wrapped in allOf, as Kubernetes does, so that the
// property can carry its own description) for named types.
func (g *schemaGen) property(t reflect.Type) *oaSchema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() != "" && t.PkgPath() != "" && (t.Kind() == reflect.Struct || t.Implements(schemaTyper)) {
		return &oaSchema{AllOf: []*oaSchema{refTo(g.named(t))}}
	}
	switch t.Kind() {
	case reflect.String:
		return &oaSchema{Type: "string"}
	case reflect.Bool:
		return &oaSchema{Type: "boolean"}
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Int, reflect.Uint:
		return &oaSchema{Type: "integer", Format: "int32"}
	case reflect.Int64, reflect.Uint64:
		return &oaSchema{Type: "integer", Format: "int64"}
	case reflect.Float32:
		return &oaSchema{Type: "number", Format: "float"}
	case reflect.Float64:
		return &oaSchema{Type: "number", Format: "double"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return &oaSchema{Type: "string", Format: "byte"}
		}
		return &oaSchema{Type: "array", Items: g.property(t.Elem())}
	case reflect.Map:
		return &oaSchema{Type: "object", AdditionalProperties: g.property(t.Elem())}
	case reflect.Struct:
		// An unnamed struct: describe it in place.
		s := &oaSchema{Type: "object", Properties: map[string]*oaSchema{}}
		g.fields(t, "", nil, s)
		return s
	}
	return &oaSchema{} // interfaces: any JSON value
}

// refs adds the names of the component schemas s refers to, directly or
// through the schemas it refers to, to seen.
func (g *schemaGen) refs(s *oaSchema, seen map[string]bool) {
	if s == nil {
		return
	}
	if name, ok := strings.CutPrefix(s.Ref, schemaRefPrefix); ok && !seen[name] {
		seen[name] = true
		g.refs(g.schemas[name], seen)
	}
	for _, sub := range s.AllOf {
		g.refs(sub, seen)
	}
	for _, sub := range s.OneOf {
		g.refs(sub, seen)
	}
	for _, sub := range s.Properties {
		g.refs(sub, seen)
	}
	g.refs(s.Items, seen)
	g.refs(s.AdditionalProperties, seen)
}

// addGVK marks the named schema as the body of gvk.
func (g *schemaGen) addGVK(name string, gvk schema.GroupVersionKind) {
	s := g.schemas[name]
	want := toOAGVK(gvk)
	for _, have := range s.GVK {
		if have == want {
			return
		}
	}
	s.GVK = append(s.GVK, want)
}
