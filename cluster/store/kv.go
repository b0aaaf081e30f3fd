package store

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// KV is a key, its value and the revision of its last change.
type KV struct {
	Key   string
	Value []byte
	Rev   int64
}

// Create stores value under key and returns the new revision; ErrExists if
// key is present.
func (s *Store) Create(ctx context.Context, key string, value []byte) (int64, error) {
	ev, err := s.write(ctx, opCreate, key, 0, value)
	return ev.Rev, err
}

// Update replaces key's value and returns the new revision. expectedRev > 0
// must equal the key's current Rev, else ErrConflict; expectedRev == 0
// updates unconditionally. ErrNotFound if key is absent.
func (s *Store) Update(ctx context.Context, key string, expectedRev int64, value []byte) (int64, error) {
	ev, err := s.write(ctx, opUpdate, key, expectedRev, value)
	return ev.Rev, err
}

// Delete removes key, with the same expectedRev rule as Update. It returns
// the deleted value with Rev set to the revision of the deletion.
func (s *Store) Delete(ctx context.Context, key string, expectedRev int64) (KV, error) {
	ev, err := s.write(ctx, opDelete, key, expectedRev, nil)
	if err != nil {
		return KV{}, err
	}
	return KV{Key: key, Value: ev.Value, Rev: ev.Rev}, nil
}

// Get returns key's value and the revision of its last change; ErrNotFound
// if absent.
func (s *Store) Get(ctx context.Context, key string) (KV, error) {
	if err := ctxErr(ctx, "get", key); err != nil {
		return KV{}, err
	}
	var kv KV
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKV).Get([]byte(key))
		if b == nil {
			return ErrNotFound
		}
		rev, value, err := decodeValue([]byte(key), b)
		kv = KV{Key: key, Value: value, Rev: rev}
		return err
	})
	if err != nil {
		return KV{}, fmt.Errorf("get %s: %w", key, readErr(err))
	}
	return kv, nil
}

// ctxCheckEvery is how many keys a scan reads between checks of its ctx.
const ctxCheckEvery = 1024

// List returns the keys under prefix in key order, strictly after `after`
// ("" starts at the beginning), at most limit of them (0 means no limit).
// more reports whether keys remain; rev is the store revision the read saw,
// so a watch from rev continues exactly where the list ends.
func (s *Store) List(ctx context.Context, prefix, after string, limit int) (items []KV, rev int64, more bool, err error) {
	if err := ctxErr(ctx, "list", prefix); err != nil {
		return nil, 0, false, err
	}
	if limit < 0 {
		return nil, 0, false, fmt.Errorf("list %s: negative limit %d", prefix, limit)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		var err error
		if rev, err = readRev(tx); err != nil {
			return err
		}
		c := tx.Bucket(bucketKV).Cursor()
		p := []byte(prefix)
		k, v := seekAfter(c, prefix, after)
		for n := 0; k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if limit > 0 && len(items) == limit {
				more = true
				break
			}
			if n++; n%ctxCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			krev, value, err := decodeValue(k, v)
			if err != nil {
				return err
			}
			items = append(items, KV{Key: string(k), Value: value, Rev: krev})
		}
		return nil
	})
	if err != nil {
		return nil, 0, false, fmt.Errorf("list %s: %w", prefix, readErr(err))
	}
	return items, rev, more, nil
}

// seekAfter positions c at the first key under prefix that sorts after
// `after`. Keys under prefix sort at or after prefix, so an `after` below
// prefix changes nothing.
func seekAfter(c *bolt.Cursor, prefix, after string) ([]byte, []byte) {
	if after < prefix {
		return c.Seek([]byte(prefix))
	}
	k, v := c.Seek([]byte(after))
	if k != nil && string(k) == after {
		return c.Next()
	}
	return k, v
}

// Count returns the number of keys under prefix.
func (s *Store) Count(ctx context.Context, prefix string) (int, error) {
	if err := ctxErr(ctx, "count", prefix); err != nil {
		return 0, err
	}
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketKV).Cursor()
		p := []byte(prefix)
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			if n++; n%ctxCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", prefix, readErr(err))
	}
	return n, nil
}
