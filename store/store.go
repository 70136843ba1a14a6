// Package store defines the contract between the session library and the
// places that keep server-side session records: memory, files, SQLite,
// Redis, PostgreSQL, MySQL, or a store of your own.
//
// A Store never sees a session ID. The session layer validates the ID that a
// client sends, hashes it with SHA-256 and hands the store only the resulting
// Key. That keeps raw IDs out of databases, file names and logs, and it means
// an ID of the wrong shape can never reach a store.
//
// # Contract
//
//   - Create is insert-only: it fails with ErrExists when the key is present
//     (a store may also say so for an expired record it has not reaped yet;
//     keys are 256-bit hashes of random IDs, so the caller just retries).
//     Create with an Expires already past succeeds; the record then reads
//     as not found.
//   - Read returns ErrNotFound for a key that is absent or whose record has
//     expired (Record.Expires is not after the store's clock).
//   - Update is update-only: it fails with ErrNotFound when the key is absent
//     or expired, and never creates a record. This is what stops a slow
//     request that commits after a logout from bringing the session back.
//     Update replaces every field of the record, Created included.
//   - Delete is idempotent: deleting an absent key is not an error. It
//     reports whether it removed a live record, decided atomically with the
//     removal (one statement, one script, one locked section), never by a
//     Read followed by a Delete. That answer is what lets the session layer
//     refuse to regenerate a session that another request revoked or
//     destroyed meanwhile.
//   - A record the store cannot decode is reported as ErrCorrupt by Read,
//     never as ErrNotFound; Delete removes it like any other record.
//     ListUser skips corrupt records of the user (and may delete them), and
//     DeleteUser deletes them without counting them, so one bad record
//     never fails the listing of a user's other sessions.
//   - Every method honours ctx: a cancelled or expired context returns
//     promptly an error that wraps context.Canceled or
//     context.DeadlineExceeded (drivers differ in which they report).
//   - A store is safe for use by many goroutines at once.
//
// Stores may add the optional capabilities Versioned (conflict detection)
// and UserIndex (list and revoke a user's sessions). A store whose Read is
// answered from the process's own memory, with no round trip, may say so
// with a method InProcess() bool that returns true: the session layer then
// reads it afresh for every request, instead of letting parallel requests
// of one session share a read (which only pays off over a network or a
// disk). The conformance suite in
// package storetest checks all of it; run it against your own store.
package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of the store contract. Stores wrap them with %w so that
// callers can test with errors.Is.
var (
	// ErrNotFound: no live record under the key (absent, expired or deleted).
	ErrNotFound = errors.New("session store: record not found")
	// ErrExists: Create found a record under the key already.
	ErrExists = errors.New("session store: record already exists")
	// ErrConflict: CompareAndUpdate found a newer version than the caller read.
	ErrConflict = errors.New("session store: record changed since it was read")
	// ErrCorrupt: what the backend holds under a key is not a record this
	// store could have written (a row or value changed by hand, a truncated
	// file). It is never reported as ErrNotFound, so that the caller does
	// not mistake junk for "no session" and overwrite what is there.
	ErrCorrupt = errors.New("session store: stored record is corrupt")
)

// KeySize is the length in bytes of a Key.
const KeySize = 32

// Key identifies a record in a store: the SHA-256 hash of a session ID.
// Its String form (64 lowercase hex digits) is safe to use as a file name,
// a database key or a log field.
type Key [KeySize]byte

// String returns the key as 64 lowercase hexadecimal digits.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// ParseKey parses the String form of a Key. Stores that list keys (for
// example a per-user index kept as text) use it to read them back.
func ParseKey(s string) (Key, error) {
	var k Key
	if len(s) != 2*KeySize {
		return k, fmt.Errorf("session store: key %q is not %d hex digits", truncate(s), 2*KeySize)
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return k, fmt.Errorf("session store: key is not hexadecimal: %w", err)
	}
	return k, nil
}

func truncate(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// Record is what a store keeps under a Key.
type Record struct {
	// Data is the encoded session, opaque to the store.
	Data []byte
	// Created is when the session began. Stores keep all times with at
	// least millisecond precision.
	Created time.Time
	// Updated is when the record was last written (its "last seen" time).
	Updated time.Time
	// Expires is the instant from which the record reads as not found.
	// Stores that can expire records natively (Redis TTL) should do so;
	// others check it on read and reap expired records in the background.
	Expires time.Time
	// UserID names the user the session belongs to, or is empty. Stores that
	// implement UserIndex index records by it; others just keep it.
	UserID string
	// Version is set by Read on a Versioned store: 1 after Create, one more
	// after every successful Update or CompareAndUpdate. Other stores leave
	// it 0 and ignore it on write.
	Version uint64
}

// Store keeps session records. See the package documentation for the
// contract every implementation must honour.
type Store interface {
	// Create inserts rec under key, or returns ErrExists.
	Create(ctx context.Context, key Key, rec Record) error
	// Read returns the live record under key, or ErrNotFound.
	Read(ctx context.Context, key Key) (Record, error)
	// Update replaces the live record under key, or returns ErrNotFound.
	Update(ctx context.Context, key Key, rec Record) error
	// Delete removes the record under key and reports whether a live
	// (unexpired) record was there; an absent key is not an error.
	Delete(ctx context.Context, key Key) (deleted bool, err error)
}

// Versioned is implemented by stores that can detect a lost update: two
// requests that read version N of one session and both try to write it.
type Versioned interface {
	Store
	// CompareAndUpdate replaces the record under key only if its stored
	// version is still rec.Version, and sets the stored version to
	// rec.Version+1. It returns ErrConflict when the stored version differs
	// and ErrNotFound when there is no live record.
	CompareAndUpdate(ctx context.Context, key Key, rec Record) error
}

// Info describes one session of a user, as UserIndex lists it. It carries
// the key (a hash), never the session ID.
type Info struct {
	Key     Key
	Created time.Time
	Updated time.Time
	Expires time.Time
}

// UserIndex is implemented by stores that index records by Record.UserID,
// so that an application can list a user's sessions and sign the user out
// everywhere without scanning every session.
type UserIndex interface {
	Store
	// ListUser returns the live sessions of userID, in no particular order.
	// Corrupt records are left out (a store may delete them on the way).
	ListUser(ctx context.Context, userID string) ([]Info, error)
	// DeleteUser deletes every session of userID, corrupt ones included,
	// and reports how many live, readable sessions it ended.
	DeleteUser(ctx context.Context, userID string) (int, error)
}

// Maintenance is implemented by stores that support an operator's tasks
// (the sessionctl command, scheduled jobs). Every store in this project
// implements it.
type Maintenance interface {
	// DeleteExpired deletes the expired records now, without waiting for
	// the store's background janitor, and reports how many it deleted. A
	// store that expires records natively (Redis) returns 0, and says so
	// with a method ExpiresNatively() bool that returns true.
	DeleteExpired(ctx context.Context) (int, error)
	// Count reports how many live records the store holds.
	Count(ctx context.Context) (int, error)
	// DeleteAll deletes every record the store holds (every user is signed
	// out) and reports how many live records it ended.
	DeleteAll(ctx context.Context) (int, error)
}
