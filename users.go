package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/b4f9cdbb/session/store"
)

// ErrNotSupported: the storage's store lacks the optional capability the
// call needs (for example store.UserIndex for ListUserSessions).
var ErrNotSupported = errors.New("session: not supported by this store")

func (st *Storage[T]) userIndex() (store.UserIndex, error) {
	if st.index == nil {
		return nil, fmt.Errorf("%w: listing sessions by user needs a store implementing store.UserIndex (and Config.UserID)", ErrNotSupported)
	}
	if st.cfg.UserID == nil {
		// Without it no record names its user: "sign out everywhere" would
		// quietly find nothing to revoke.
		return nil, fmt.Errorf("%w: set Config.UserID so that sessions are indexed by user; without it a user has no sessions to list or revoke", ErrInvalidConfig)
	}
	return st.index, nil
}

// ListUserSessions returns the live sessions of a user, as named by
// Config.UserID. Compare Info.Key with Session.Key to find the current one.
// Records that cannot be read are left out (the store deletes them).
//
// It returns ErrNotSupported when the store keeps no index by user (cookie
// storage, or a store without store.UserIndex) and ErrInvalidConfig when
// Config.UserID is not set.
func (st *Storage[T]) ListUserSessions(ctx context.Context, userID string) ([]store.Info, error) {
	ix, err := st.userIndex()
	if err != nil {
		return nil, err
	}
	return ix.ListUser(ctx, userID)
}

// RevokeSession ends the session stored under key, for example one picked
// from ListUserSessions ("sign out that device"). Only the owner's own
// sessions should be offered: check that key is in the user's list first.
func (st *Storage[T]) RevokeSession(ctx context.Context, key store.Key) error {
	if st.store == nil {
		return fmt.Errorf("%w: cookie storage keeps no sessions to revoke", ErrNotSupported)
	}
	_, err := st.store.Delete(ctx, key)
	return err
}

// RevokeUser ends every session of a user ("sign out everywhere") and
// reports how many there were. Its errors are those of ListUserSessions:
// it never quietly revokes nothing because the storage cannot find a
// user's sessions.
func (st *Storage[T]) RevokeUser(ctx context.Context, userID string) (int, error) {
	ix, err := st.userIndex()
	if err != nil {
		return 0, err
	}
	return ix.DeleteUser(ctx, userID)
}
