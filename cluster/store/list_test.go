package store

import (
	"slices"
	"testing"
)

func TestList(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTest(t, Options{})
	keys := []string{
		"/core/pods/default/a",
		"/core/pods/default/b",
		"/core/pods/default/c",
		"/core/pods/kube-system/a",
		"/core/podtemplates/default/x",
		"/core/services/default/a",
		"/apps/deployments/default/a",
	}
	for _, k := range keys {
		mustCreate(t, s, k, "v:"+k)
	}
	mustUpdate(t, s, "/core/pods/default/b", "v2") // rev 8
	tests := []struct {
		prefix, after string
		limit         int
		want          []string
		more          bool
	}{
		{"/core/pods/", "", 0, []string{"/core/pods/default/a", "/core/pods/default/b", "/core/pods/default/c", "/core/pods/kube-system/a"}, false},
		{"/core/pods/default/", "", 0, []string{"/core/pods/default/a", "/core/pods/default/b", "/core/pods/default/c"}, false},
		{"/core/pods/", "", 2, []string{"/core/pods/default/a", "/core/pods/default/b"}, true},
		{"/core/pods/", "/core/pods/default/b", 2, []string{"/core/pods/default/c", "/core/pods/kube-system/a"}, false},
		{"/core/pods/", "/core/pods/default/c", 1, []string{"/core/pods/kube-system/a"}, false},
		{"/core/pods/", "/core/pods/default/bb", 0, []string{"/core/pods/default/c", "/core/pods/kube-system/a"}, false},
		{"/core/pods/", "/core/pods/kube-system/a", 0, nil, false},
		{"/core/pods/", "/a", 1, []string{"/core/pods/default/a"}, true},
		{"/core/pods/", "/z", 0, nil, false},
		{"/core/pods/", "", 4, []string{"/core/pods/default/a", "/core/pods/default/b", "/core/pods/default/c", "/core/pods/kube-system/a"}, false},
		{"/batch/", "", 0, nil, false},
		{"", "", 3, []string{"/apps/deployments/default/a", "/core/pods/default/a", "/core/pods/default/b"}, true},
	}
	for _, tt := range tests {
		items, rev, more, err := s.List(ctx, tt.prefix, tt.after, tt.limit)
		if err != nil {
			t.Errorf("List(%q, %q, %d): %v", tt.prefix, tt.after, tt.limit, err)
			continue
		}
		var got []string
		for _, kv := range items {
			got = append(got, kv.Key)
		}
		if !slices.Equal(got, tt.want) || more != tt.more || rev != 8 {
			t.Errorf("List(%q, %q, %d) = %v, rev %d, more %v; want %v, rev 8, more %v",
				tt.prefix, tt.after, tt.limit, got, rev, more, tt.want, tt.more)
		}
	}

	items, _, _, err := s.List(ctx, "/core/pods/default/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if b := items[1]; string(b.Value) != "v2" || b.Rev != 8 {
		t.Errorf("List item %s = %q at %d, want \"v2\" at 8", b.Key, b.Value, b.Rev)
	}
	if a := items[0]; string(a.Value) != "v:/core/pods/default/a" || a.Rev != 1 {
		t.Errorf("List item %s = %q at %d", a.Key, a.Value, a.Rev)
	}
}

func TestListPagesCoverEverything(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTest(t, Options{})
	var want []string
	for i := range 25 {
		k := "/core/configmaps/ns/" + string(rune('a'+i))
		want = append(want, k)
		mustCreate(t, s, k, "v")
	}
	mustCreate(t, s, "/core/configmaps/other", "v")
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		items, _, more, err := s.List(ctx, "/core/configmaps/ns/", after, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range items {
			got = append(got, kv.Key)
		}
		if !more {
			break
		}
		after = items[len(items)-1].Key
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages gave %v, want %v", got, want)
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTest(t, Options{})
	for _, k := range []string{"/core/pods/a/1", "/core/pods/a/2", "/core/pods/b/1", "/core/podsx/a"} {
		mustCreate(t, s, k, "v")
	}
	if _, err := s.Delete(ctx, "/core/pods/a/2", 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prefix string
		want   int
	}{
		{"/core/pods/", 2},
		{"/core/pods/a/", 1},
		{"/core/pods", 3},
		{"/nothing/", 0},
		{"", 3},
	}
	for _, tt := range tests {
		got, err := s.Count(ctx, tt.prefix)
		if err != nil || got != tt.want {
			t.Errorf("Count(%q) = %d, %v; want %d", tt.prefix, got, err, tt.want)
		}
	}
}
