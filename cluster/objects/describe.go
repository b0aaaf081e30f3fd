package objects

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/yaml"
)

// Describe prints an object for people: its metadata, its conditions, its
// spec and status, and the Events that name it.
func (c *Client) Describe(ctx context.Context, kind, name, ns string) error {
	m, err := c.mappingFor(kind)
	if err != nil {
		return err
	}
	ns = namespaceOf(m, &nsHolder{}, ns)
	obj, err := c.resourceFor(m, ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	now := time.Now()
	w := tabwriter.NewWriter(c.out, 0, 8, 1, ' ', 0)
	field := func(k, v string) { fmt.Fprintf(w, "%s:\t%s\n", k, v) }
	field("Name", obj.GetName())
	if ns != "" {
		field("Namespace", ns)
	}
	field("Kind", obj.GetKind()+" ("+obj.GetAPIVersion()+")")
	field("Labels", pairs(obj.GetLabels()))
	ann := obj.GetAnnotations()
	delete(ann, LastApplied)
	field("Annotations", pairs(ann))
	ts := obj.GetCreationTimestamp()
	field("Created", fmt.Sprintf("%s (%s ago)", ts.UTC().Format(time.RFC1123), duration.HumanDuration(now.Sub(ts.Time))))
	if d := obj.GetDeletionTimestamp(); d != nil {
		field("Deleting", "since "+d.UTC().Format(time.RFC1123))
	}
	if refs := obj.GetOwnerReferences(); len(refs) > 0 {
		var owners []string
		for _, r := range refs {
			owners = append(owners, r.Kind+"/"+r.Name)
		}
		field("Controlled By", strings.Join(owners, ", "))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	if len(conds) > 0 {
		fmt.Fprintln(c.out, "Conditions:")
		tw := tabwriter.NewWriter(c.out, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "  TYPE\tSTATUS\tREASON\tMESSAGE")
		for _, ci := range conds {
			cm, _ := ci.(map[string]any)
			fmt.Fprintf(tw, "  %v\t%v\t%v\t%v\n", cm["type"], cm["status"], orEmpty(cm["reason"]), orEmpty(cm["message"]))
		}
		tw.Flush()
	}
	for _, part := range []string{"spec", "data", "status"} {
		v, ok := obj.Object[part]
		if !ok {
			continue
		}
		if part == "status" {
			if sm, ok := v.(map[string]any); ok {
				sm = copyMap(sm)
				delete(sm, "conditions")
				if len(sm) == 0 {
					continue
				}
				v = sm
			}
		}
		fmt.Fprintf(c.out, "%s%s:\n", strings.ToUpper(part[:1]), part[1:])
		if err := indentYAML(c.out, v); err != nil {
			return err
		}
	}
	return c.describeEvents(ctx, m.GroupVersionKind.Kind, name, ns, obj.GetUID(), now)
}

// describeEvents prints the Events about an object, oldest first.
func (c *Client) describeEvents(ctx context.Context, kind, name, ns string, uid any, now time.Time) error {
	sel := "involvedObject.kind=" + kind + ",involvedObject.name=" + name
	if ns != "" {
		sel += ",involvedObject.namespace=" + ns
	}
	list, err := c.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "events"}).Namespace(nsOrDefault(ns)).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil || len(list.Items) == 0 {
		fmt.Fprintln(c.out, "Events:  <none>")
		return nil
	}
	sort.Slice(list.Items, func(i, j int) bool { return eventTime(list.Items[i]).Before(eventTime(list.Items[j])) })
	fmt.Fprintln(c.out, "Events:")
	tw := tabwriter.NewWriter(c.out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  TYPE\tREASON\tAGE\tFROM\tMESSAGE")
	for _, e := range list.Items {
		from, _, _ := unstructured.NestedString(e.Object, "source", "component")
		if from == "" {
			from, _, _ = unstructured.NestedString(e.Object, "reportingComponent")
		}
		typ, _, _ := unstructured.NestedString(e.Object, "type")
		reason, _, _ := unstructured.NestedString(e.Object, "reason")
		msg, _, _ := unstructured.NestedString(e.Object, "message")
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", typ, reason, duration.HumanDuration(now.Sub(eventTime(e))), from, msg)
	}
	return tw.Flush()
}

func eventTime(e unstructured.Unstructured) time.Time {
	for _, f := range []string{"lastTimestamp", "eventTime", "firstTimestamp"} {
		if s, _, _ := unstructured.NestedString(e.Object, f); s != "" {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				return t
			}
		}
	}
	return e.GetCreationTimestamp().Time
}

func nsOrDefault(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

func pairs(m map[string]string) string {
	if len(m) == 0 {
		return "<none>"
	}
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, "\n\t")
}

func orEmpty(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func indentYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		fmt.Fprintln(w, "  "+line)
	}
	return nil
}
