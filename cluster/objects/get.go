package objects

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"text/tabwriter"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// GetOptions are `mini get`'s flags.
type GetOptions struct {
	Kind          string
	Names         []string
	Namespace     string
	AllNamespaces bool
	Selector      string
	Output        string // "", wide, yaml, json, name
}

// Get prints objects as kubectl does: the server's Table (same columns as
// Kubernetes), or YAML/JSON, or kind/name.
func (c *Client) Get(ctx context.Context, o GetOptions) error {
	m, err := c.mappingFor(o.Kind)
	if err != nil {
		return err
	}
	namespaced := m.Scope.Name() == meta.RESTScopeNameNamespace
	ns := o.Namespace
	if !namespaced || o.AllNamespaces {
		ns = ""
	}
	switch o.Output {
	case "", "wide":
		return c.printTable(ctx, m, ns, o, namespaced && o.AllNamespaces)
	case "yaml", "json", "name":
		return c.printObjects(ctx, m, ns, o)
	}
	return fmt.Errorf("-o %s is not supported: use wide, yaml, json or name", o.Output)
}

func (c *Client) printObjects(ctx context.Context, m *meta.RESTMapping, ns string, o GetOptions) error {
	ri := c.resourceFor(m, ns)
	var items []unstructured.Unstructured
	if len(o.Names) == 0 {
		list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: o.Selector})
		if err != nil {
			return err
		}
		items = list.Items
	}
	for _, n := range o.Names {
		obj, err := ri.Get(ctx, n, metav1.GetOptions{})
		if err != nil {
			return err
		}
		items = append(items, *obj)
	}
	if o.Output == "name" {
		for _, it := range items {
			fmt.Fprintln(c.out, kindName(m, it.GetName()))
		}
		return nil
	}
	var v any
	if len(o.Names) == 1 {
		v = items[0].Object
	} else {
		raw := make([]any, len(items))
		for i := range items {
			raw[i] = items[i].Object
		}
		v = map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": raw}
	}
	return writeAs(c.out, o.Output, v)
}

func writeAs(w io.Writer, format string, v any) error {
	var b []byte
	var err error
	if format == "json" {
		b, err = json.MarshalIndent(v, "", "    ")
		b = append(b, '\n')
	} else {
		b, err = yaml.Marshal(v)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// printTable asks the server for a meta.k8s.io Table and prints it.
func (c *Client) printTable(ctx context.Context, m *meta.RESTMapping, ns string, o GetOptions, withNamespace bool) error {
	var tables []metav1.Table
	names := o.Names
	if len(names) == 0 {
		names = []string{""}
	}
	for _, n := range names {
		t, err := c.table(ctx, m, ns, n, o.Selector)
		if err != nil {
			return err
		}
		tables = append(tables, *t)
	}
	rows := 0
	for _, t := range tables {
		rows += len(t.Rows)
	}
	if rows == 0 {
		if ns == "" {
			fmt.Fprintln(c.out, "No resources found")
		} else {
			fmt.Fprintf(c.out, "No resources found in %s namespace.\n", ns)
		}
		return nil
	}
	tw := tabwriter.NewWriter(c.out, 0, 8, 3, ' ', 0)
	cols := tables[0].ColumnDefinitions
	var header []string
	if withNamespace {
		header = append(header, "NAMESPACE")
	}
	for _, col := range cols {
		if col.Priority == 0 || o.Output == "wide" {
			header = append(header, strings.ToUpper(col.Name))
		}
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, t := range tables {
		for _, row := range t.Rows {
			var cells []string
			if withNamespace {
				cells = append(cells, rowNamespace(row))
			}
			for i, col := range cols {
				if (col.Priority == 0 || o.Output == "wide") && i < len(row.Cells) {
					cells = append(cells, fmt.Sprint(row.Cells[i]))
				}
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
	}
	return tw.Flush()
}

func rowNamespace(row metav1.TableRow) string {
	var pm metav1.PartialObjectMetadata
	if err := json.Unmarshal(row.Object.Raw, &pm); err == nil {
		return pm.Namespace
	}
	return ""
}

// table GETs a collection (or one object) as a Table.
func (c *Client) table(ctx context.Context, m *meta.RESTMapping, ns, name, selector string) (*metav1.Table, error) {
	gv := m.Resource.GroupVersion()
	p := "/api/" + gv.Version
	if gv.Group != "" {
		p = "/apis/" + gv.Group + "/" + gv.Version
	}
	if ns != "" {
		p += "/namespaces/" + ns
	}
	p = path.Join(p, m.Resource.Resource, name)
	q := url.Values{}
	if selector != "" {
		q.Set("labelSelector", selector)
	}
	u := strings.TrimSuffix(c.cfg.Host, "/") + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var st metav1.Status
		if json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
			return nil, &apierrors.StatusError{ErrStatus: st}
		}
		return nil, fmt.Errorf("GET %s: %s", p, resp.Status)
	}
	var t metav1.Table
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("GET %s: the answer is not a Table: %w", p, err)
	}
	return &t, nil
}
