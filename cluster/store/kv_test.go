package store

import (
	"context"
	"errors"
	"testing"
)

func TestWriteSemantics(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	// Every case starts from a store holding /k = "v1" at revision 1.
	tests := []struct {
		name    string
		run     func(ctx context.Context, s *Store) (int64, error)
		wantErr error // nil: success
		wantRev int64 // revision returned on success
		wantKV  *KV   // state of /k afterwards; nil means absent
	}{
		{
			name:    "create new key",
			run:     func(ctx context.Context, s *Store) (int64, error) { return s.Create(ctx, "/j", []byte("x")) },
			wantRev: 2,
			wantKV:  &KV{Key: "/k", Value: []byte("v1"), Rev: 1},
		},
		{
			name:    "create existing key",
			run:     func(ctx context.Context, s *Store) (int64, error) { return s.Create(ctx, "/k", []byte("v2")) },
			wantErr: ErrExists,
			wantKV:  &KV{Key: "/k", Value: []byte("v1"), Rev: 1},
		},
		{
			name:    "create with cancelled ctx",
			run:     func(_ context.Context, s *Store) (int64, error) { return s.Create(cancelled, "/j", []byte("x")) },
			wantErr: context.Canceled,
			wantKV:  &KV{Key: "/k", Value: []byte("v1"), Rev: 1},
		},
		{
			name:    "update unconditionally",
			run:     func(ctx context.Context, s *Store) (int64, error) { return s.Update(ctx, "/k", 0, []byte("v2")) },
			wantRev: 2,
			wantKV:  &KV{Key: "/k", Value: []byte("v2"), Rev: 2},
		},
		{
			name:    "update at current revision",
			run:     func(ctx context.Context, s *Store) (int64, error) { return s.Update(ctx, "/k", 1, []byte("v2")) },
			wantRev: 2,
			wantKV:  &KV{Key: "/k", Value: []byte("v2"), Rev: 2},
		},
		{
			name: "update at stale revision",
			run: func(ctx context.Context, s *Store) (int64, error) {
				if _, err := s.Update(ctx, "/k", 1, []byte("v2")); err != nil {
					return 0, err
				}
				return s.Update(ctx, "/k", 1, []byte("v3"))
			},
			wantErr: ErrConflict,
			wantKV:  &KV{Key: "/k", Value: []byte("v2"), Rev: 2},
		},
		{
			name:    "update at future revision",
			run:     func(ctx context.Context, s *Store) (int64, error) { return s.Update(ctx, "/k", 7, []byte("v2")) },
			wantErr: ErrConflict,
			wantKV:  &KV{Key: "/k", Value: []byte("v1"), Rev: 1},
		},
		{
			name:    "update missing key",
			run:     func(ctx context.Context, s *Store) (int64, error) { return s.Update(ctx, "/nope", 0, []byte("x")) },
			wantErr: ErrNotFound,
			wantKV:  &KV{Key: "/k", Value: []byte("v1"), Rev: 1},
		},
		{
			name: "delete unconditionally",
			run: func(ctx context.Context, s *Store) (int64, error) {
				kv, err := s.Delete(ctx, "/k", 0)
				if err == nil && string(kv.Value) != "v1" {
					return 0, errors.New("deleted value " + string(kv.Value))
				}
				return kv.Rev, err
			},
			wantRev: 2,
		},
		{
			name: "delete at current revision",
			run: func(ctx context.Context, s *Store) (int64, error) {
				kv, err := s.Delete(ctx, "/k", 1)
				return kv.Rev, err
			},
			wantRev: 2,
		},
		{
			name: "delete at stale revision",
			run: func(ctx context.Context, s *Store) (int64, error) {
				kv, err := s.Delete(ctx, "/k", 5)
				return kv.Rev, err
			},
			wantErr: ErrConflict,
			wantKV:  &KV{Key: "/k", Value: []byte("v1"), Rev: 1},
		},
		{
			name: "delete missing key",
			run: func(ctx context.Context, s *Store) (int64, error) {
				kv, err := s.Delete(ctx, "/nope", 0)
				return kv.Rev, err
			},
			wantErr: ErrNotFound,
			wantKV:  &KV{Key: "/k", Value: []byte("v1"), Rev: 1},
		},
		{
			name: "recreate after delete",
			run: func(ctx context.Context, s *Store) (int64, error) {
				if _, err := s.Delete(ctx, "/k", 0); err != nil {
					return 0, err
				}
				return s.Create(ctx, "/k", []byte("again"))
			},
			wantRev: 3,
			wantKV:  &KV{Key: "/k", Value: []byte("again"), Rev: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := openTest(t, Options{})
			mustCreate(t, s, "/k", "v1")

			rev, err := tt.run(ctx, s)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("err = %v", err)
			} else if rev != tt.wantRev {
				t.Errorf("rev = %d, want %d", rev, tt.wantRev)
			}

			got, err := s.Get(ctx, "/k")
			switch {
			case tt.wantKV == nil:
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("Get(/k) = %+v, %v; want ErrNotFound", got, err)
				}
			case err != nil:
				t.Errorf("Get(/k): %v", err)
			case got.Key != tt.wantKV.Key || string(got.Value) != string(tt.wantKV.Value) || got.Rev != tt.wantKV.Rev:
				t.Errorf("Get(/k) = {%s %q %d}, want {%s %q %d}",
					got.Key, got.Value, got.Rev, tt.wantKV.Key, tt.wantKV.Value, tt.wantKV.Rev)
			}
		})
	}
}

func TestInvalidArguments(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTest(t, Options{})
	tests := []struct {
		name string
		run  func() error
	}{
		{"create empty key", func() error { _, err := s.Create(ctx, "", nil); return err }},
		{"update negative revision", func() error { _, err := s.Update(ctx, "/k", -1, nil); return err }},
		{"list negative limit", func() error { _, _, _, err := s.List(ctx, "/", "", -1); return err }},
		{"watch negative revision", func() error { _, err := s.Watch(ctx, "/", -1); return err }},
	}
	for _, tt := range tests {
		if err := tt.run(); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if s.Rev() != 0 {
		t.Errorf("Rev() = %d after invalid writes, want 0", s.Rev())
	}
}

func TestRevisionsIncrease(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTest(t, Options{})
	if got := s.Rev(); got != 0 {
		t.Fatalf("new store Rev() = %d, want 0", got)
	}
	revs := []int64{
		mustCreate(t, s, "/a", "1"),
		mustUpdate(t, s, "/a", "2"),
	}
	if _, err := s.Create(ctx, "/a", nil); !errors.Is(err, ErrExists) {
		t.Fatalf("Create existing: %v", err)
	}
	revs = append(revs, mustCreate(t, s, "/b", "1"))
	kv, err := s.Delete(ctx, "/a", 0)
	if err != nil {
		t.Fatal(err)
	}
	revs = append(revs, kv.Rev)
	for i, rev := range revs {
		if want := int64(i + 1); rev != want {
			t.Errorf("write %d got revision %d, want %d (failed writes take none)", i, rev, want)
		}
	}
	if got := s.Rev(); got != 4 {
		t.Errorf("Rev() = %d, want 4", got)
	}
}

func TestValueIsCopied(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTest(t, Options{})
	ch := mustWatch(t, s, "/", 0)
	v := []byte("abc")
	mustCreate(t, s, "/k", string(v))
	if _, err := s.Update(ctx, "/k", 0, v); err != nil {
		t.Fatal(err)
	}
	v[0] = 'X'
	next(t, ch)
	if e := next(t, ch); string(e.Value) != "abc" || string(e.PrevValue) != "abc" {
		t.Errorf("event values changed with the caller's slice: %q %q", e.Value, e.PrevValue)
	}
	got, err := s.Get(ctx, "/k")
	if err != nil || string(got.Value) != "abc" {
		t.Errorf("Get = %q, %v", got.Value, err)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTest(t, Options{})
	mustCreate(t, s, "/k", "v")
	ch := mustWatch(t, s, "/", 0)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if got := drain(t, ch); len(got) != 0 {
		t.Errorf("watch got %d events after close", len(got))
	}
	checks := []struct {
		name string
		err  error
	}{
		{"create", func() error { _, err := s.Create(ctx, "/x", nil); return err }()},
		{"update", func() error { _, err := s.Update(ctx, "/k", 0, nil); return err }()},
		{"delete", func() error { _, err := s.Delete(ctx, "/k", 0); return err }()},
		{"get", func() error { _, err := s.Get(ctx, "/k"); return err }()},
		{"list", func() error { _, _, _, err := s.List(ctx, "/", "", 0); return err }()},
		{"count", func() error { _, err := s.Count(ctx, "/"); return err }()},
		{"watch", func() error { _, err := s.Watch(ctx, "/", 0); return err }()},
	}
	for _, c := range checks {
		if !errors.Is(c.err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", c.name, c.err)
		}
	}
}
