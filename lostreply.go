package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/store"
)

// A write to a store can fail after the store applied it: the server
// commits, then the connection breaks before its reply arrives, or the
// driver re-sends the write on a new connection and reports that second
// attempt's conflict. Taking such an error at its word either fails a
// request whose changes were saved, or, worse, re-applies them on top of
// themselves (a counter that jumps by two). So every write carries a
// random commit ID in the record (codec.Payload.Commits, which keeps the
// last few), and a write whose outcome is in doubt is settled by reading
// the record back.

// outcome is what became of one write of a session's record.
type outcome uint8

const (
	written    outcome = iota // the record holds this commit's write
	superseded                // another commit is newer (for Create: the key is taken)
	unsent                    // the reply was lost and the store never got the write
	gone                      // no live record: destroyed, revoked or expired
	failed                    // the store failed; whether it applied the write is unknown
)

// maxLostReplies bounds how often one commit re-sends a write that the
// store, read back, shows it never received.
const maxLostReplies = 2

// readBackWaits are the pauses between the reads that settle a write whose
// reply was lost, while a broken connection is replaced: about a third of
// a second in all, after which the commit fails with the store's error.
var readBackWaits = [...]time.Duration{0, 10 * time.Millisecond, 50 * time.Millisecond, 250 * time.Millisecond}

// settled is the outcome of one write, with the record as it now stands
// when the outcome needs it (written and superseded).
type settled struct {
	outcome outcome
	rec     store.Record                // the record written, or the newer one read back
	commits [codec.RecentCommits]uint64 // rec's commit IDs
	err     error                       // why the write failed
}

// newCommitID returns a random, non-zero commit ID. It needs no secrecy,
// only to differ from the IDs of other commits of the same session.
func newCommitID() uint64 {
	for {
		if id := rand.Uint64(); id != 0 {
			return id
		}
	}
}

// withCommit returns the commit IDs of a record written by commit over a
// record whose IDs were prev: commit first, then the newest of prev.
func withCommit(commit uint64, prev [codec.RecentCommits]uint64) [codec.RecentCommits]uint64 {
	ids := [codec.RecentCommits]uint64{commit}
	copy(ids[1:], prev[:])
	return ids
}

// settle decides what became of the write of rec under key by commit,
// made on behalf of s, from the error the store returned (werr; nil is a
// success). A conflict, an existing key and an error that leaves the
// outcome unknown are settled by reading the record back: if it carries
// commit, the write was applied.
func (st *Storage[T]) settle(ctx context.Context, s *Session[T], key store.Key, rec store.Record, commit uint64, werr error) settled {
	raced := errors.Is(werr, store.ErrConflict) || errors.Is(werr, store.ErrExists)
	switch {
	case werr == nil:
		rec.Version++ // what the store now holds (1 after Create)
		return settled{outcome: written, rec: rec, commits: withCommit(commit, s.commits)}
	case errors.Is(werr, store.ErrNotFound):
		return settled{outcome: gone, err: werr}
	case !raced && (ctx.Err() != nil || errors.Is(werr, store.ErrCorrupt)):
		return settled{outcome: failed, err: werr}
	}
	tries := len(readBackWaits)
	if raced {
		tries = 1 // the store answered; only its answer may be a re-sent write's
	}
	cur, err := st.readBack(ctx, key, tries)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return settled{outcome: gone, err: werr}
	case err != nil && raced:
		return settled{outcome: failed, err: fmt.Errorf("reading the session again after a conflicting commit: %w", err)}
	case err != nil:
		return settled{outcome: failed, err: fmt.Errorf("%w; reading the record back to learn whether the write was applied failed too: %v", werr, err)}
	}
	p, perr := codec.UnmarshalPayload(cur.Data)
	switch {
	case perr == nil && hasCommit(&p, commit):
		return settled{outcome: written, rec: cur, commits: p.Commits}
	case raced || (st.versioned != nil && cur.Version != rec.Version):
		return settled{outcome: superseded, rec: cur, err: werr}
	default:
		return settled{outcome: unsent, err: werr}
	}
}

// deleteRetrying deletes the record under key for a logout or a
// revocation, sending the delete again, with readBackWaits' pauses, while
// the store fails in a way that leaves the outcome unknown: a delete is
// idempotent, and the session must end either way.
func (st *Storage[T]) deleteRetrying(ctx context.Context, key store.Key) error {
	var err error
	for _, wait := range readBackWaits {
		if perr := pause(ctx, wait); perr != nil {
			return cmp.Or(err, perr)
		}
		if _, err = st.delete(ctx, key); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// readBack reads the record under key, up to tries times while the store
// fails, pausing between tries for a broken connection to be replaced.
// ErrNotFound and ErrCorrupt are answers, not failures.
func (st *Storage[T]) readBack(ctx context.Context, key store.Key, tries int) (store.Record, error) {
	var err error
	for i := range tries {
		if err := pause(ctx, readBackWaits[i]); err != nil {
			return store.Record{}, err
		}
		var rec store.Record
		rec, err = st.read(ctx, key)
		if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrCorrupt) {
			return rec, err
		}
	}
	return store.Record{}, err
}

// pause waits d, or less if ctx ends first.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hasCommit reports whether p was written by commit or by a commit that
// came after it and kept its ID.
func hasCommit(p *codec.Payload, commit uint64) bool {
	for _, c := range p.Commits {
		if c == commit {
			return true
		}
	}
	return false
}
