package runtime

import (
	"fmt"
	"strings"
	"testing"
)

func TestOverlayOptions(t *testing.T) {
	t.Parallel()
	long := func(n int) []string {
		var l []string
		for i := range n {
			l = append(l, fmt.Sprintf("/var/lib/mini/images/layers/sha256/%064d", i))
		}
		return l
	}
	tests := []struct {
		name     string
		layers   []string
		wantDir  string
		wantOpts string
		wantErr  string
	}{
		{
			name:     "top layer first",
			layers:   []string{"/l/base", "/l/mid", "/l/top/"},
			wantOpts: "lowerdir=/l/top:/l/mid:/l/base,upperdir=/s/c1/upper,workdir=/s/c1/work",
		},
		{name: "one layer", layers: []string{"/l/only"}, wantOpts: "lowerdir=/l/only,upperdir=/s/c1/upper,workdir=/s/c1/work"},
		{name: "no layer", wantErr: "no lower layer"},
		{name: "colon in path", layers: []string{"/l/a:b"}, wantErr: "must be absolute"},
		{name: "relative path", layers: []string{"l/a"}, wantErr: "must be absolute"},
		{name: "too many layers", layers: long(60), wantErr: "more than a page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, opts, err := overlayOptions(tt.layers, "/s/c1/upper", "/s/c1/work")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || dir != tt.wantDir || opts != tt.wantOpts {
				t.Errorf("overlayOptions = %q, %q, %v; want %q, %q", dir, opts, err, tt.wantDir, tt.wantOpts)
			}
		})
	}
}

func TestOverlayOptionsRelativeWhenLong(t *testing.T) {
	t.Parallel()
	var layers []string
	for i := range 45 { // 45 * 100 bytes: over a page when absolute
		layers = append(layers, fmt.Sprintf("/var/lib/mini/images/layers/sha256/%064d", i))
	}
	dir, opts, err := overlayOptions(layers, "/var/lib/mini/containers/c1/upper", "/var/lib/mini/containers/c1/work")
	if err != nil {
		t.Fatal(err)
	}
	if dir != "/var/lib/mini" {
		t.Errorf("dir = %q, want /var/lib/mini", dir)
	}
	if len(opts) > maxMountData {
		t.Errorf("options are %d bytes, over a page", len(opts))
	}
	wantStart := fmt.Sprintf("lowerdir=images/layers/sha256/%064d:", 44)
	if !strings.HasPrefix(opts, wantStart) || !strings.HasSuffix(opts, ",upperdir=containers/c1/upper,workdir=containers/c1/work") {
		t.Errorf("opts = %q", opts)
	}
}
