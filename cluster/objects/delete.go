package objects

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Delete deletes the objects of manifests (background propagation, as
// kubectl) and prints `kind "name" deleted`.
func (c *Client) Delete(ctx context.Context, docs []Document, defaultNS string) error {
	for _, d := range docs {
		m, err := c.mappingOf(d.Object.GroupVersionKind())
		if err != nil {
			return fmt.Errorf("%s: %w", d.Where(), err)
		}
		obj := d.Object.DeepCopy()
		ns := namespaceOf(m, obj, defaultNS)
		if err := c.deleteOne(ctx, m, ns, obj.GetName()); err != nil {
			return fmt.Errorf("%s: %w", d.Where(), err)
		}
	}
	return nil
}

// DeleteNamed deletes objects of one kind by name.
func (c *Client) DeleteNamed(ctx context.Context, kind string, names []string, ns string) error {
	if len(names) == 0 {
		return fmt.Errorf("name the %s to delete, or use -f FILE", kind)
	}
	m, err := c.mappingFor(kind)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := c.deleteOne(ctx, m, namespaceOf(m, &nsHolder{}, ns), n); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) deleteOne(ctx context.Context, m *meta.RESTMapping, ns, name string) error {
	bg := metav1.DeletePropagationBackground
	if err := c.resourceFor(m, ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil {
		return err
	}
	kn := kindName(m, name)
	fmt.Fprintf(c.out, "%s %q deleted\n", kn[:strings.LastIndex(kn, "/")], name)
	return nil
}

// nsHolder lets namespaceOf settle a namespace without an object.
type nsHolder struct{ ns string }

func (h *nsHolder) GetNamespace() string   { return h.ns }
func (h *nsHolder) SetNamespace(ns string) { h.ns = ns }
