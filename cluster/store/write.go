package store

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

type opKind int

const (
	opCreate opKind = iota + 1
	opUpdate
	opDelete
)

func (o opKind) String() string {
	switch o {
	case opCreate:
		return "create"
	case opUpdate:
		return "update"
	case opDelete:
		return "delete"
	}
	return fmt.Sprintf("op(%d)", int(o))
}

// writeReq is one write waiting for the writer goroutine.
type writeReq struct {
	ctx         context.Context
	op          opKind
	key         string
	value       []byte
	expectedRev int64
	done        chan writeResult // buffered: the writer never blocks on it
}

type writeResult struct {
	ev  Event
	err error
}

// write hands a request to the writer and waits for its result. ctx is
// honoured until the writer takes the request; after that the caller waits
// for the commit (one transaction), so the result always says truthfully
// whether the write happened.
func (s *Store) write(ctx context.Context, op opKind, key string, expectedRev int64, value []byte) (Event, error) {
	if key == "" {
		return Event{}, fmt.Errorf("%s: empty key", op)
	}
	if expectedRev < 0 {
		return Event{}, fmt.Errorf("%s %s: negative expected revision %d", op, key, expectedRev)
	}
	if err := ctxErr(ctx, op.String(), key); err != nil {
		return Event{}, err
	}
	r := &writeReq{
		ctx:         ctx,
		op:          op,
		key:         key,
		value:       bytes.Clone(value), // events share it with watchers
		expectedRev: expectedRev,
		done:        make(chan writeResult, 1),
	}
	select {
	case s.reqs <- r:
	case <-ctx.Done():
		return Event{}, fmt.Errorf("%s %s: %w", op, key, ctx.Err())
	case <-s.closing:
		return Event{}, fmt.Errorf("%s %s: %w", op, key, ErrClosed)
	}
	res := <-r.done
	return res.ev, res.err
}

// runWriter takes a request, then every other one already waiting, and
// commits them together until the store closes.
func (s *Store) runWriter() {
	defer close(s.writerDone)
	batch := make([]*writeReq, 0, s.maxBatch)
	for {
		select {
		case r := <-s.reqs:
			batch = append(batch[:0], r)
		case <-s.closing:
			return
		}
	drain:
		for len(batch) < s.maxBatch {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.commit(batch)
		clear(batch) // drop references to answered requests
	}
}

// commit applies batch in one transaction, publishes the events in revision
// order and answers every request. A request that fails its own checks
// (exists, not found, conflict, cancelled) takes no revision and does not
// affect the others.
func (s *Store) commit(batch []*writeReq) {
	results := make([]writeResult, len(batch))
	events, rev, err := s.applyBatch(batch, results)
	if err != nil {
		for i := range results {
			if results[i].err == nil {
				results[i] = writeResult{err: fmt.Errorf("%s %s: %w", batch[i].op, batch[i].key, err)}
			}
		}
	} else if len(events) > 0 {
		s.lastRev = rev
		s.publish(events)
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// applyBatch runs the batch in one write transaction and commits it if any
// request succeeded. It fills results for each request and returns the
// events and the new revision; err is a transaction-wide failure.
func (s *Store) applyBatch(batch []*writeReq, results []writeResult) ([]Event, int64, error) {
	tx, err := s.db.Begin(true)
	if err != nil {
		return nil, 0, fmt.Errorf("begin transaction: %w", readErr(err))
	}
	data := tx.Bucket(bucketKV)
	rev := s.lastRev
	events := make([]Event, 0, len(batch))
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i].err = fmt.Errorf("%s %s: %w", r.op, r.key, err)
			continue
		}
		ev, err := apply(data, r, rev+1)
		if err != nil {
			results[i].err = err
			continue
		}
		rev++
		results[i].ev = ev
		events = append(events, ev)
	}
	if len(events) == 0 {
		_ = tx.Rollback()
		return nil, 0, nil
	}
	if err := writeRev(tx, rev); err != nil {
		_ = tx.Rollback()
		return nil, 0, err
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, fmt.Errorf("commit revision %d: %w", rev, err)
	}
	s.commits.Add(1)
	s.writes.Add(int64(len(events)))
	return events, rev, nil
}

// apply performs one request at revision rev inside the transaction.
func apply(data *bolt.Bucket, r *writeReq, rev int64) (Event, error) {
	key := []byte(r.key)
	old := data.Get(key)
	if r.op == opCreate {
		if old != nil {
			return Event{}, fmt.Errorf("create %s: %w", r.key, ErrExists)
		}
		if err := data.Put(key, encodeValue(rev, r.value)); err != nil {
			return Event{}, fmt.Errorf("create %s: %w", r.key, err)
		}
		return Event{Type: Added, Key: r.key, Value: r.value, Rev: rev}, nil
	}

	if old == nil {
		return Event{}, fmt.Errorf("%s %s: %w", r.op, r.key, ErrNotFound)
	}
	oldRev, prev, err := decodeValue(key, old)
	if err != nil {
		return Event{}, fmt.Errorf("%s: %w", r.op, err)
	}
	if r.expectedRev > 0 && r.expectedRev != oldRev {
		return Event{}, fmt.Errorf("%s %s: expected revision %d, current is %d: %w",
			r.op, r.key, r.expectedRev, oldRev, ErrConflict)
	}
	if r.op == opDelete {
		if err := data.Delete(key); err != nil {
			return Event{}, fmt.Errorf("delete %s: %w", r.key, err)
		}
		return Event{Type: Deleted, Key: r.key, Value: prev, PrevValue: prev, Rev: rev}, nil
	}
	if err := data.Put(key, encodeValue(rev, r.value)); err != nil {
		return Event{}, fmt.Errorf("update %s: %w", r.key, err)
	}
	return Event{Type: Modified, Key: r.key, Value: r.value, PrevValue: prev, Rev: rev}, nil
}
