package docker

import (
	"errors"
	"fmt"
	"testing"
)

func TestIsPrivilegedRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"runc 1.1 on this engine", errors.New("Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply caps: operation not permitted: unknown"), true},
		{"wrapped", fmt.Errorf("start node: %w", errors.New("OCI runtime create failed: unable to apply caps: operation not permitted")), true},
		{"other wording", errors.New("OCI runtime create failed: container_linux.go:380: starting container process caused: apply caps: operation not permitted"), true},
		{"upper case", errors.New("UNABLE TO APPLY CAPS: OPERATION NOT PERMITTED"), true},
		{"permission elsewhere", errors.New("OCI runtime create failed: mount /sys: operation not permitted"), false},
		{"name in use", errors.New(`Conflict. The container name "/mini-dev-node-1" is already in use`), false},
		{"no such image", errors.New("No such image: mini-node:0123456789ab"), false},
		{"caps without permission", errors.New("unknown capability \"CAP_FOO\" in caps list"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := IsPrivilegedRefused(tt.err); got != tt.want {
				t.Errorf("IsPrivilegedRefused(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
