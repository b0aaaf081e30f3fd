package bench

import (
	"errors"
	"testing"
)

func TestPrivilegedRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		msg  string
		want bool
	}{
		{"docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply caps: operation not permitted: unknown", true},
		{"runc: apply CAPS: operation not permitted", true},
		{"docker: Error response from daemon: Conflict. The container name is already in use", false},
		{"operation not permitted", false},
	}
	for _, tt := range tests {
		if got := privilegedRefused(errors.New(tt.msg)); got != tt.want {
			t.Errorf("privilegedRefused(%q) = %v, want %v", tt.msg, got, tt.want)
		}
	}
}
