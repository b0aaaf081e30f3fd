package pki

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestNewTokenUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q: decoded %d bytes, err %v; want 32 bytes of base64url without padding", tok, len(raw), err)
		}
		if seen[tok] {
			t.Fatalf("token %q issued twice", tok)
		}
		seen[tok] = true
	}
}

func TestTokensRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tokens Tokens
	}{
		{name: "empty", tokens: Tokens{}},
		{name: "admin and nodes", tokens: Tokens{
			"admin-token": {User: "mini-admin", Groups: []string{"system:masters"}},
			"node1-token": {User: "system:node:mini-dev-node-1", Groups: []string{"system:nodes"}},
			"node2-token": {User: "system:node:mini-dev-node-2", Groups: []string{"system:nodes"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), TokensFile)
			if err := WriteTokens(path, tt.tokens); err != nil {
				t.Fatalf("WriteTokens: %v", err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("mode = %v, want 0600", got)
			}
			got, err := LoadTokens(path)
			if err != nil {
				t.Fatalf("LoadTokens: %v", err)
			}
			if !reflect.DeepEqual(got, tt.tokens) {
				t.Errorf("LoadTokens = %v, want %v", got, tt.tokens)
			}
			// The same tokens give the same bytes.
			first, _ := os.ReadFile(path)
			if err := WriteTokens(path, got); err != nil {
				t.Fatal(err)
			}
			second, _ := os.ReadFile(path)
			if string(first) != string(second) {
				t.Errorf("rewrite changed the file:\n%s\n---\n%s", first, second)
			}
		})
	}
}

func TestLoadTokensErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{name: "not yaml", content: "{{{", want: ""},
		{name: "unknown field", content: "- token: a\n  user: u\n  role: x\n", want: ""},
		{name: "empty token", content: "- token: \"\"\n  user: u\n", want: "entry 0"},
		{name: "empty user", content: "- token: a\n  user: u\n- token: b\n", want: "entry 1"},
		{name: "duplicate", content: "- token: a\n  user: u\n- token: a\n  user: v\n", want: "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), TokensFile)
			write(t, path, []byte(tt.content))
			_, err := LoadTokens(path)
			if err == nil {
				t.Fatal("LoadTokens succeeded, want an error")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q should name %s and mention %q", err, path, tt.want)
			}
		})
	}
	if _, err := LoadTokens(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: err = %v, want one naming the file", err)
	}
}

func TestTokensLookup(t *testing.T) {
	t.Parallel()
	admin := Identity{User: "mini-admin", Groups: []string{"system:masters"}}
	node := Identity{User: "system:node:n1", Groups: []string{"system:nodes"}}
	tokens := Tokens{"admin-secret": admin, "node-secret": node}
	tests := []struct {
		token  string
		want   Identity
		wantOK bool
	}{
		{token: "admin-secret", want: admin, wantOK: true},
		{token: "node-secret", want: node, wantOK: true},
		{token: "admin-secre"},
		{token: "admin-secret2"},
		{token: ""},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			t.Parallel()
			got, ok := tokens.Lookup(tt.token)
			if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tt.token, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
