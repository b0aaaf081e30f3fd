package runtime

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve as the runtime's child phases, as
// cmd/mini does.
func TestMain(m *testing.M) {
	if Main() {
		return
	}
	os.Exit(m.Run())
}
