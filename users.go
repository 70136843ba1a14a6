package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/b4f9cdbb/session/store"
)

// ErrNotSupported is returned by ListUserSessions, RevokeSession and
// RevokeUser when the storage cannot do what the call needs: cookie storage
// keeps no sessions on the server, and a store without store.UserIndex
// cannot find a user's sessions.
var ErrNotSupported = errors.New("session: not supported by this store")

// Key identifies a stored session without revealing its ID: the SHA-256
// hash of the ID, as the store keeps it. Its String form is safe in logs
// and HTML forms (a "sign out that device" button).
type Key = store.Key

// ParseKey parses the String form of a Key, for example the value of a
// "revoke" form field.
func ParseKey(s string) (Key, error) { return store.ParseKey(s) }

// Info describes one of a user's sessions: its Key and when it was created,
// last written and will expire.
type Info = store.Info

func (st *Storage[T]) userIndex() error {
	if st.index == nil {
		return fmt.Errorf("%w: listing sessions by user needs a store implementing store.UserIndex (and Config.UserID)", ErrNotSupported)
	}
	if st.cfg.UserID == nil {
		// Without it no record names its user: "sign out everywhere" would
		// quietly find nothing to revoke.
		return fmt.Errorf("%w: set Config.UserID so that sessions are indexed by user; without it a user has no sessions to list or revoke", ErrInvalidConfig)
	}
	return nil
}

// ListUserSessions returns the live sessions of a user, as named by
// Config.UserID. Compare Info.Key with Session.Key to find the current one.
// Records that cannot be read are left out (the store deletes them).
//
// It returns ErrNotSupported when the store keeps no index by user (cookie
// storage, or a store without store.UserIndex) and ErrInvalidConfig when
// Config.UserID is not set.
func (st *Storage[T]) ListUserSessions(ctx context.Context, userID string) ([]Info, error) {
	if err := st.userIndex(); err != nil {
		return nil, err
	}
	return st.listUser(ctx, userID)
}

// RevokeSession ends the session stored under key, for example one picked
// from ListUserSessions ("sign out that device"). Only the owner's own
// sessions should be offered: check that key is in the user's list first.
// Revoking a session that no longer exists is not an error. A delete the
// store fails without an answer is sent again, as by Destroy. It returns
// ErrNotSupported for cookie storage.
func (st *Storage[T]) RevokeSession(ctx context.Context, key Key) error {
	if st.store == nil {
		return fmt.Errorf("%w: cookie storage keeps no sessions to revoke", ErrNotSupported)
	}
	err := st.deleteRetrying(ctx, key)
	st.lifecycle(ctx, RevokedSession, 0, err)
	return err
}

// RevokeUser ends every session of a user ("sign out everywhere") and
// reports how many there were. Its errors are those of ListUserSessions:
// it never quietly revokes nothing because the storage cannot find a
// user's sessions.
func (st *Storage[T]) RevokeUser(ctx context.Context, userID string) (int, error) {
	if err := st.userIndex(); err != nil {
		return 0, err
	}
	n, err := st.deleteUser(ctx, userID)
	st.lifecycle(ctx, RevokedUser, n, err)
	return n, err
}
