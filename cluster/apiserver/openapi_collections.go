package apiserver

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/applyconfigurations"
	clientscheme "k8s.io/client-go/kubernetes/scheme"
	smdschema "sigs.k8s.io/structured-merge-diff/v6/schema"
)

// smdCollections answers collectionTypes from the structured-merge-diff
// schema client-go generates from the same +listType/+mapType markers the
// real API server publishes (the schema of server-side apply).
type smdCollections struct {
	schema *smdschema.Schema
	fields map[string]map[string]smdschema.TypeRef // type name → field name → type
}

var _ collectionTypes = (*smdCollections)(nil)

// loadSMDCollections parses client-go's built-in type schema; nil if it
// cannot, and the documents then go without list and map types.
func loadSMDCollections() *smdCollections {
	obj := &corev1.Namespace{TypeMeta: metav1.TypeMeta{Kind: "Namespace", APIVersion: "v1"}}
	tv, err := applyconfigurations.NewTypeConverter(clientscheme.Scheme).ObjectToTyped(obj)
	if err != nil {
		return nil
	}
	c := &smdCollections{schema: tv.Schema(), fields: map[string]map[string]smdschema.TypeRef{}}
	for _, td := range c.schema.Types {
		if td.Map == nil {
			continue
		}
		fs := make(map[string]smdschema.TypeRef, len(td.Map.Fields))
		for _, f := range td.Map.Fields {
			fs[f.Name] = f.Type
		}
		c.fields[td.Name] = fs
	}
	return c
}

func (c *smdCollections) field(typeName, jsonName string) (listType string, keys []string, mapType string) {
	tr, ok := c.fields[typeName][jsonName]
	if !ok {
		return "", nil, ""
	}
	atom, ok := c.schema.Resolve(tr)
	if !ok {
		return "", nil, ""
	}
	switch {
	case atom.List != nil && atom.List.ElementRelationship == smdschema.Associative:
		// Atomic is what a list without a type means: leave it unsaid, as Kubernetes does.
		if len(atom.List.Keys) == 0 {
			return "set", nil, ""
		}
		return "map", atom.List.Keys, ""
	case atom.Map != nil && atom.Map.ElementRelationship == smdschema.Atomic:
		return "", nil, "atomic"
	}
	return "", nil, ""
}

func (c *smdCollections) atomic(typeName string) bool {
	td, ok := c.schema.FindNamedType(typeName)
	return ok && td.Map != nil && td.Map.ElementRelationship == smdschema.Atomic
}
