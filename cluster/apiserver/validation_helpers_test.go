package apiserver

import (
	"fmt"
	"slices"
	"testing"

	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validationCase is one object (and for updates its old version), with
// the errors its Validate hook must give, as "Type field" strings like
// "Required value spec.containers". Both are defaulted first, as the
// server does.
type validationCase struct {
	name string
	old  kruntime.Object
	obj  kruntime.Object
	want []string
}

func runValidationCases(t *testing.T, kind string, cases []validationCase) {
	t.Helper()
	h := kindHooks[kind]
	if h.Validate == nil {
		t.Fatalf("no Validate hook for %s", kind)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obj := tc.obj.DeepCopyObject()
			var old kruntime.Object
			if tc.old != nil {
				old = tc.old.DeepCopyObject()
				if h.Default != nil {
					h.Default(old)
				}
			}
			if h.Default != nil {
				h.Default(obj)
			}
			errs := h.Validate(obj, old)
			if got := errorKeys(errs); !slices.Equal(got, sortedCopy(tc.want)) {
				t.Errorf("errors:\n got  %q\n want %q\n%v", got, sortedCopy(tc.want), errs.ToAggregate())
			}
		})
	}
}

func errorKeys(errs field.ErrorList) []string {
	keys := []string{}
	for _, e := range errs {
		keys = append(keys, fmt.Sprintf("%s %s", e.Type, e.Field))
	}
	slices.Sort(keys)
	return keys
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	slices.Sort(out)
	return out
}

// errorDetail finds the error at field and returns its detail, for the
// cases where the message is what users read.
func errorDetail(errs field.ErrorList, fieldPath string) string {
	for _, e := range errs {
		if e.Field == fieldPath {
			return e.Detail
		}
	}
	return ""
}
