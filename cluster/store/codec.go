package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketKV   = []byte("kv")
	bucketMeta = []byte("meta")
	keyRev     = []byte("rev")
)

const revSize = 8

// encodeValue prefixes value with rev, as stored in the kv bucket.
func encodeValue(rev int64, value []byte) []byte {
	b := make([]byte, revSize+len(value))
	binary.BigEndian.PutUint64(b, uint64(rev))
	copy(b[revSize:], value)
	return b
}

// decodeValue splits a stored value into its revision and a copy of the
// value (bbolt's bytes are only valid inside the transaction).
func decodeValue(key, b []byte) (int64, []byte, error) {
	if len(b) < revSize {
		return 0, nil, fmt.Errorf("key %s: corrupt value of %d bytes", key, len(b))
	}
	value := make([]byte, len(b)-revSize)
	copy(value, b[revSize:])
	return int64(binary.BigEndian.Uint64(b)), value, nil
}

func readRev(tx *bolt.Tx) (int64, error) {
	b := tx.Bucket(bucketMeta).Get(keyRev)
	if b == nil {
		return 0, nil
	}
	if len(b) != revSize {
		return 0, fmt.Errorf("corrupt revision of %d bytes", len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func writeRev(tx *bolt.Tx, rev int64) error {
	b := make([]byte, revSize)
	binary.BigEndian.PutUint64(b, uint64(rev))
	if err := tx.Bucket(bucketMeta).Put(keyRev, b); err != nil {
		return fmt.Errorf("write revision %d: %w", rev, err)
	}
	return nil
}

// initBuckets creates the buckets if missing and returns the stored revision.
func initBuckets(db *bolt.DB) (int64, error) {
	var rev int64
	err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketKV, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		var err error
		rev, err = readRev(tx)
		return err
	})
	return rev, err
}
