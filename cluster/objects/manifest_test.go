package objects

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadManifests(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	multi := write("multi.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
	list := write("list.json", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}},{"apiVersion":"v1","kind":"Secret","metadata":{"name":"d"}}]}`)
	noKind := write("nokind.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nmetadata: {name: x}\n")
	badYAML := write("bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nkind: [unclosed\n")
	noName := write("noname.yaml", "apiVersion: v1\nkind: ConfigMap\n")
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"2.yaml", "1.yml", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(sub, n), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: n"+strings.TrimSuffix(strings.TrimSuffix(n, ".yaml"), ".yml")+"}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		paths     []string
		stdin     string
		wantNames []string
		wantErr   string
	}{
		{name: "multi-document with empty ones", paths: []string{multi}, wantNames: []string{"a", "b"}},
		{name: "a List's items", paths: []string{list}, wantNames: []string{"c", "d"}},
		{name: "directory, sorted, yaml only", paths: []string{sub}, wantNames: []string{"n1", "n2"}},
		{name: "stdin", paths: []string{"-"}, stdin: "apiVersion: v1\nkind: Namespace\nmetadata: {name: s}\n", wantNames: []string{"s"}},
		{name: "missing kind names file and document", paths: []string{noKind}, wantErr: "nokind.yaml, document 2 (x): apiVersion and kind are required"},
		{name: "bad YAML names file and document", paths: []string{badYAML}, wantErr: "bad.yaml, document 2: not valid YAML or JSON"},
		{name: "missing name", paths: []string{noName}, wantErr: "noname.yaml, document 1: metadata.name is required"},
		{name: "missing file", paths: []string{filepath.Join(dir, "nope.yaml")}, wantErr: "nope.yaml"},
		{name: "no -f", wantErr: "-f is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			docs, err := ReadManifests(tt.paths, strings.NewReader(tt.stdin))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, d := range docs {
				names = append(names, d.Object.GetName())
			}
			if strings.Join(names, ",") != strings.Join(tt.wantNames, ",") {
				t.Errorf("names = %v, want %v", names, tt.wantNames)
			}
		})
	}
}
