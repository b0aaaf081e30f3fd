package pki

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/minidev/mini/cluster/internal/atomicfile"
	"os"
	"sort"

	"sigs.k8s.io/yaml"
)

// TokensFile is the name of the tokens file inside a cluster's state directory.
const TokensFile = "tokens.yaml"

// Identity is who a bearer token authenticates as.
type Identity struct {
	User   string   `json:"user"`
	Groups []string `json:"groups"`
}

// Tokens maps bearer tokens to the identities they stand for.
type Tokens map[string]Identity

// tokenEntry is one element of the list in tokens.yaml.
type tokenEntry struct {
	Token  string   `json:"token"`
	User   string   `json:"user"`
	Groups []string `json:"groups"`
}

// NewToken returns a random bearer token: 32 bytes from crypto/rand,
// base64url-encoded without padding (43 characters).
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Lookup returns the identity of token. It compares against every known
// token in constant time, so response timing says nothing about how much of
// a guess was right.
func (t Tokens) Lookup(token string) (Identity, bool) {
	if token == "" {
		return Identity{}, false
	}
	want := sha256.Sum256([]byte(token))
	var found Identity
	ok := 0
	for k, id := range t {
		got := sha256.Sum256([]byte(k))
		if subtle.ConstantTimeCompare(want[:], got[:]) == 1 {
			found, ok = id, 1
		}
	}
	return found, ok == 1
}

// WriteTokens stores tokens at path as a YAML list of {token, user, groups},
// mode 0600, written atomically. Entries are sorted by user, then token, so
// the same tokens always give the same file.
func WriteTokens(path string, tokens map[string]Identity) error {
	entries := make([]tokenEntry, 0, len(tokens))
	for tok, id := range tokens {
		if err := validateEntry(tok, id.User); err != nil {
			return fmt.Errorf("write tokens %s: %w", path, err)
		}
		entries = append(entries, tokenEntry{Token: tok, User: id.User, Groups: id.Groups})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].User != entries[j].User {
			return entries[i].User < entries[j].User
		}
		return entries[i].Token < entries[j].Token
	})
	data, err := yaml.Marshal(entries)
	if err != nil {
		return fmt.Errorf("write tokens %s: %w", path, err)
	}
	return atomicfile.Write(path, data, 0o600)
}

// LoadTokens reads the file WriteTokens wrote. Errors name the file and, for
// a bad entry, its position in the list.
func LoadTokens(path string) (Tokens, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load tokens: %w", err)
	}
	var entries []tokenEntry
	if err := yaml.UnmarshalStrict(data, &entries); err != nil {
		return nil, fmt.Errorf("load tokens %s: %w", path, err)
	}
	tokens := make(Tokens, len(entries))
	for i, e := range entries {
		if err := validateEntry(e.Token, e.User); err != nil {
			return nil, fmt.Errorf("load tokens %s: entry %d: %w", path, i, err)
		}
		if _, dup := tokens[e.Token]; dup {
			return nil, fmt.Errorf("load tokens %s: entry %d (user %s): token appears twice", path, i, e.User)
		}
		tokens[e.Token] = Identity{User: e.User, Groups: e.Groups}
	}
	return tokens, nil
}

func validateEntry(token, user string) error {
	switch {
	case token == "":
		return errors.New("token is empty")
	case user == "":
		return errors.New("user is empty")
	}
	return nil
}
