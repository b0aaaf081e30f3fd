package apiserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/minidev/mini/cluster/pki"
	"github.com/minidev/mini/cluster/store"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAuthenticate: requests without a valid bearer token get Kubernetes'
// own 401 Status (message "Unauthorized", which kubectl prints as "You must
// be logged in to the server (Unauthorized)"); public paths need no token.
func TestAuthenticate(t *testing.T) {
	t.Parallel()
	st, err := store.Open(filepath.Join(t.TempDir(), "store.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := New(Config{Store: st, Tokens: pki.Tokens{"good": {User: "admin", Groups: []string{"system:masters"}}}}).Handler()
	for _, tt := range []struct {
		name, path, auth string
		code             int
	}{
		{"no header", "/api/v1/namespaces", "", http.StatusUnauthorized},
		{"basic auth", "/api/v1/namespaces", "Basic dXNlcjpwYXNz", http.StatusUnauthorized},
		{"wrong token", "/api/v1/namespaces", "Bearer bad", http.StatusUnauthorized},
		{"empty token", "/apis", "Bearer ", http.StatusUnauthorized},
		{"good token", "/api/v1/namespaces", "Bearer good", http.StatusOK},
		{"public version", "/version", "", http.StatusOK},
		{"public readyz", "/readyz", "Bearer bad", http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.code {
				t.Fatalf("GET %s with %q: %d, want %d: %s", tt.path, tt.auth, rec.Code, tt.code, rec.Body)
			}
			if tt.code != http.StatusUnauthorized {
				return
			}
			var s metav1.Status
			if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
				t.Fatal(err)
			}
			if s.Kind != "Status" || s.Status != metav1.StatusFailure || s.Reason != metav1.StatusReasonUnauthorized || s.Message != "Unauthorized" || s.Code != 401 {
				t.Errorf("401 body = %+v, want Kubernetes' Status with reason and message Unauthorized", s)
			}
		})
	}
}
