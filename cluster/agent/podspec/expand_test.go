package podspec

import "testing"

func TestExpand(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"VAR_A": "A", "VAR_B": "B", "EMPTY": ""}
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"$(VAR_A)", "A"},
		{"___$(VAR_B)___", "___B___"},
		{"$(VAR_A)-$(VAR_B)", "A-B"},
		{"$(EMPTY)x", "x"},
		{"$(UNKNOWN)", "$(UNKNOWN)"},
		{"$$(VAR_A)", "$(VAR_A)"},
		{"$$$(VAR_A)", "$A"},
		{"$$$$(VAR_A)", "$$(VAR_A)"},
		{"$(VAR_A", "$(VAR_A"},
		{"$VAR_A", "$VAR_A"},
		{"$", "$"},
		{"x$", "x$"},
		{"$()", "$()"},
		{"$(VAR_A)$(VAR_A)", "AA"},
		{"${VAR_A}", "${VAR_A}"},
		{"f000-$$VAR_A", "f000-$VAR_A"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := Expand(tt.in, MappingFor(vars)); got != tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEnvMap(t *testing.T) {
	t.Parallel()
	m := EnvMap([]string{"A=1", "B=x=y", "C", "A=2"})
	want := map[string]string{"A": "2", "B": "x=y", "C": ""}
	if len(m) != len(want) {
		t.Fatalf("EnvMap = %v, want %v", m, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("EnvMap[%q] = %q, want %q", k, m[k], v)
		}
	}
}
