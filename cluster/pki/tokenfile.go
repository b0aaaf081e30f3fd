package pki

import (
	"os"
	"sync"
	"time"
)

// Authenticator answers who a bearer token stands for, and which token a
// user has (the API server presents a node's own token to its agent).
type Authenticator interface {
	Lookup(token string) (Identity, bool)
	TokenFor(user string) (string, bool)
}

var (
	_ Authenticator = Tokens(nil)
	_ Authenticator = (*TokenFile)(nil)
)

// TokenFor returns the token of user.
func (t Tokens) TokenFor(user string) (string, bool) {
	for tok, id := range t {
		if id.User == user {
			return tok, true
		}
	}
	return "", false
}

// reloadEvery bounds how often a TokenFile looks at its file on a miss.
const reloadEvery = time.Second

// TokenFile is tokens.yaml as a running control plane sees it: an unknown
// token makes it re-read the file when the file changed (at most once a
// second), so nodes added to a running cluster are let in. Extra tokens
// (the control plane's own) are never written down.
type TokenFile struct {
	path  string
	extra Tokens

	mu      sync.RWMutex
	tokens  Tokens
	modTime time.Time
	checked time.Time
}

// OpenTokenFile loads path.
func OpenTokenFile(path string, extra Tokens) (*TokenFile, error) {
	f := &TokenFile{path: path, extra: extra}
	if err := f.load(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *TokenFile) load() error {
	fi, err := os.Stat(f.path)
	if err != nil {
		return err
	}
	t, err := LoadTokens(f.path)
	if err != nil {
		return err
	}
	for k, v := range f.extra {
		t[k] = v
	}
	f.mu.Lock()
	f.tokens, f.modTime, f.checked = t, fi.ModTime(), time.Now()
	f.mu.Unlock()
	return nil
}

// refresh re-reads the file if it changed since it was loaded.
func (f *TokenFile) refresh() {
	f.mu.RLock()
	due := time.Since(f.checked) >= reloadEvery
	mod := f.modTime
	f.mu.RUnlock()
	if !due {
		return
	}
	fi, err := os.Stat(f.path)
	if err != nil || fi.ModTime().Equal(mod) {
		f.mu.Lock()
		f.checked = time.Now()
		f.mu.Unlock()
		return
	}
	_ = f.load() // a half-written file is never seen: it is replaced atomically
}

// Lookup returns the identity of token.
func (f *TokenFile) Lookup(token string) (Identity, bool) {
	f.mu.RLock()
	id, ok := f.tokens.Lookup(token)
	f.mu.RUnlock()
	if ok || token == "" {
		return id, ok
	}
	f.refresh()
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.tokens.Lookup(token)
}

// TokenFor returns the token of user.
func (f *TokenFile) TokenFor(user string) (string, bool) {
	f.mu.RLock()
	tok, ok := f.tokens.TokenFor(user)
	f.mu.RUnlock()
	if ok {
		return tok, ok
	}
	f.refresh()
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.tokens.TokenFor(user)
}
