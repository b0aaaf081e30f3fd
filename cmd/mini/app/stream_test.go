package app

import (
	"errors"
	"fmt"
	"testing"

	utilexec "k8s.io/utils/exec"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		code int
		ok   bool
	}{
		{"remote exit", utilexec.CodeExitError{Err: errors.New("command terminated with non-zero exit code"), Code: 3}, 3, true},
		{"wrapped", fmt.Errorf("exec in pod default/web: %w", utilexec.CodeExitError{Err: errors.New("x"), Code: 42}), 42, true},
		{"other error", errors.New("pods \"web\" not found"), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, ok := exitCode(tt.err)
			if code != tt.code || ok != tt.ok {
				t.Errorf("exitCode = %d, %v; want %d, %v", code, ok, tt.code, tt.ok)
			}
		})
	}
}
