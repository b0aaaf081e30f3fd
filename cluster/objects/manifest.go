package objects

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Document is one object of a manifest, with where it came from.
type Document struct {
	Source string // file path, or "-" for standard input
	Index  int    // 1-based position in its file
	Object *unstructured.Unstructured
}

// Where names a document for error messages: file, document index and object.
func (d Document) Where() string {
	s := fmt.Sprintf("%s, document %d", d.Source, d.Index)
	if d.Object != nil && d.Object.GetName() != "" {
		s += " (" + strings.TrimSpace(d.Object.GetKind()+" "+d.Object.GetName()) + ")"
	}
	return s
}

// ReadManifests reads YAML or JSON documents from files, directories (their
// .yaml, .yml and .json files, sorted) and "-" (stdin). Empty documents are
// skipped; a List's items become documents of their own.
func ReadManifests(paths []string, stdin io.Reader) ([]Document, error) {
	if len(paths) == 0 {
		return nil, errors.New("-f is required: name a file, a directory or - for standard input")
	}
	var docs []Document
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			var data []byte
			if f == "-" {
				data, err = io.ReadAll(stdin)
			} else {
				data, err = os.ReadFile(f)
			}
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", f, err)
			}
			d, err := parse(f, data)
			if err != nil {
				return nil, err
			}
			docs = append(docs, d...)
		}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("no objects in %s", strings.Join(paths, ", "))
	}
	return docs, nil
}

func expand(p string) ([]string, error) {
	if p == "-" {
		return []string{p}, nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("-f %s: %w", p, err)
	}
	if !fi.IsDir() {
		return []string{p}, nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() {
				out = append(out, filepath.Join(p, e.Name()))
			}
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("-f %s: the directory has no .yaml, .yml or .json files", p)
	}
	return out, nil
}

// parse splits one file into documents.
func parse(source string, data []byte) ([]Document, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []Document
	for index := 1; ; index++ {
		var raw map[string]any
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s, document %d: not valid YAML or JSON: %w", source, index, err)
		}
		if len(raw) == 0 {
			continue
		}
		obj := &unstructured.Unstructured{Object: raw}
		d := Document{Source: source, Index: index, Object: obj}
		if obj.GetAPIVersion() == "" || obj.GetKind() == "" {
			return nil, fmt.Errorf("%s: apiVersion and kind are required (e.g. apiVersion: v1, kind: ConfigMap)", d.Where())
		}
		if obj.IsList() {
			list, err := obj.ToList()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d.Where(), err)
			}
			for i := range list.Items {
				out = append(out, Document{Source: source, Index: index, Object: &list.Items[i]})
			}
			continue
		}
		if obj.GetName() == "" && obj.GetGenerateName() == "" {
			return nil, fmt.Errorf("%s: metadata.name is required", d.Where())
		}
		out = append(out, d)
	}
}
