package apiserver

import (
	"net/http"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Column is one column of `kubectl get`; Priority 1 columns show with -o wide.
type Column struct {
	Name, Type, Format, Description string
	Priority                        int32
}

// TableSpec gives a resource's columns after NAME and the cells of a row.
type TableSpec struct {
	Columns []Column
	// Cells returns one value per column, given the clock.
	Cells func(obj kruntime.Object, now time.Time) []any
	// Name gives the NAME cell; nil means metadata.name.
	Name func(obj kruntime.Object) string
}

// age prints a timestamp's age as kubectl does.
func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// table renders objects as a Table: NAME, the resource's columns, and AGE
// last unless the resource places it itself.
func (s *Server) table(res *Resource, r *http.Request, objs []kruntime.Object, rv, cont string) (*metav1.Table, error) {
	now := s.now()
	cols := []metav1.TableColumnDefinition{{Name: "Name", Type: "string", Format: "name", Description: "Name must be unique within a namespace."}}
	spec := res.Table
	if spec == nil {
		spec = &TableSpec{
			Columns: []Column{{Name: "Age", Type: "string", Description: "CreationTimestamp is a timestamp representing the server time when this object was created."}},
			Cells: func(obj kruntime.Object, now time.Time) []any {
				return []any{age(accessor(obj).GetCreationTimestamp(), now)}
			},
		}
	}
	for _, c := range spec.Columns {
		cols = append(cols, metav1.TableColumnDefinition{Name: c.Name, Type: c.Type, Format: c.Format, Description: c.Description, Priority: c.Priority})
	}
	t := &metav1.Table{
		TypeMeta:          metav1.TypeMeta{Kind: "Table", APIVersion: "meta.k8s.io/v1"},
		ListMeta:          metav1.ListMeta{ResourceVersion: rv, Continue: cont},
		ColumnDefinitions: cols,
		Rows:              []metav1.TableRow{},
	}
	include := r.URL.Query().Get("includeObject")
	for _, obj := range objs {
		m := accessor(obj)
		name := m.GetName()
		if spec.Name != nil {
			name = spec.Name(obj)
		}
		row := metav1.TableRow{Cells: append([]any{name}, spec.Cells(obj, now)...)}
		switch include {
		case "Object":
			row.Object = kruntime.RawExtension{Object: obj}
		case "None":
		default:
			row.Object = kruntime.RawExtension{Object: partialMeta(m)}
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}
