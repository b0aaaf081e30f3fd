package store

import (
	"slices"
	"testing"
)

func TestRing(t *testing.T) {
	t.Parallel()
	r := newRing(3)
	var dropped []int64
	for rev := int64(1); rev <= 5; rev++ {
		key := "/a/x"
		if rev%2 == 0 {
			key = "/b/x"
		}
		if d, ok := r.add(Event{Key: key, Rev: rev}); ok {
			dropped = append(dropped, d.Rev)
		}
	}
	if want := []int64{1, 2}; !slices.Equal(dropped, want) {
		t.Errorf("dropped %v, want %v", dropped, want)
	}
	tests := []struct {
		rev    int64
		prefix string
		want   []int64
	}{
		{0, "", []int64{3, 4, 5}},
		{3, "", []int64{4, 5}},
		{5, "", nil},
		{9, "", nil},
		{0, "/a/", []int64{3, 5}},
		{3, "/b/", []int64{4}},
	}
	for _, tt := range tests {
		var got []int64
		for _, e := range r.since(tt.rev, tt.prefix) {
			got = append(got, e.Rev)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("since(%d, %q) = %v, want %v", tt.rev, tt.prefix, got, tt.want)
		}
	}
}
