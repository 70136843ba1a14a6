package redisstore

import (
	"context"
	"errors"
	"strconv"

	"github.com/b4f9cdbb/session/store"
	"github.com/redis/go-redis/v9"
)

// ListUser returns the live sessions of userID, in no particular order.
// It trims expired members from the user's index, reads every remaining
// record (one pipelined round trip) and keeps only those that still exist,
// are live and still name userID; the members that fail are removed from
// the index, because on Redis Cluster the index is not updated atomically
// with the records it points to.
//
// A corrupt record of the user (one that Read reports as store.ErrCorrupt,
// including a value of another type under a record's name that the user's
// index points at) is left out, so that one damaged record never fails the
// listing of the user's other sessions. It stays in the index, so that
// DeleteUser still deletes it; a Read of it (the session layer then deletes
// it and starts a fresh session), a DeleteUser or its expiry removes it.
func (s *Store) ListUser(ctx context.Context, userID string) ([]store.Info, error) {
	const op = "list user"
	if err := ctx.Err(); err != nil {
		return nil, s.failUser(ctx, op, err)
	}
	idx := s.userKey(userID)
	now := s.now()
	var members *redis.StringSliceCmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, idx, "-inf", strconv.FormatInt(now.UnixMilli(), 10))
		members = p.ZRange(ctx, idx, 0, -1)
		return nil
	})
	if err != nil {
		return nil, s.failUser(ctx, op, err)
	}
	keys, stale := parseMembers(members.Val())
	if len(keys) == 0 {
		return nil, s.dropStale(ctx, idx, stale)
	}
	cmds := make([]*redis.MapStringStringCmd, len(keys))
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.HGetAll(ctx, s.recordKey(k.String()))
		}
		return nil
	})
	if err != nil && !isPerCommandErr(err) {
		return nil, s.failUser(ctx, op, err)
	}
	infos := make([]store.Info, 0, len(keys))
	for i, k := range keys {
		m, err := cmds[i].Result()
		switch {
		case redis.HasErrorPrefix(err, "WRONGTYPE"):
			continue // junk the user's index points at: skip, keep
		case err != nil:
			return nil, s.failUser(ctx, op, err)
		case len(m) == 0: // gone: expired or deleted
			stale = append(stale, k.String())
			continue
		}
		rec, err := decodeRecord(m)
		if err != nil {
			if owner, named := m[fieldUser]; named && owner != userID {
				stale = append(stale, k.String()) // another user's, damaged
			}
			continue
		}
		if rec.UserID != userID || !rec.Expires.After(now) {
			stale = append(stale, k.String())
			continue
		}
		infos = append(infos, store.Info{Key: k, Created: rec.Created, Updated: rec.Updated, Expires: rec.Expires})
	}
	if err := s.dropStale(ctx, idx, stale); err != nil {
		return nil, err
	}
	return infos, nil
}

// DeleteUser deletes every session of userID, corrupt ones included, and
// reports how many live, readable sessions it ended. Each record is deleted
// only if it still names userID (the index is a hint, see ListUser). A
// session created for the user while DeleteUser runs may survive it; call
// it again after changing the user's credentials if that matters.
func (s *Store) DeleteUser(ctx context.Context, userID string) (int, error) {
	const op = "delete user"
	if err := ctx.Err(); err != nil {
		return 0, s.failUser(ctx, op, err)
	}
	idx := s.userKey(userID)
	// Pipelined, so that a client-side cache never answers it: a session
	// created a moment ago by another instance must not be missed.
	var all *redis.StringSliceCmd
	if _, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		all = p.ZRange(ctx, idx, 0, -1)
		return nil
	}); err != nil {
		return 0, s.failUser(ctx, op, err)
	}
	keys, stale := parseMembers(all.Val())
	calls := make([]*scriptCall, len(keys))
	for i, k := range keys {
		calls[i] = s.deleteCall(k.String(), userID)
	}
	s.runScripts(ctx, calls...)
	n := 0
	var firstErr error
	for i, c := range calls {
		r, err := s.removal(c.cmd)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue // keep it in the index: it may still be live
		}
		if r.live {
			n++
		}
		if r.deleted {
			s.gone(keys[i].String())
		}
		stale = append(stale, keys[i].String())
	}
	if firstErr != nil {
		return n, s.failUser(ctx, op, firstErr)
	}
	return n, s.dropStale(ctx, idx, stale)
}

// dropStale removes members from a user index.
func (s *Store) dropStale(ctx context.Context, idx string, members []string) error {
	if len(members) == 0 {
		return nil
	}
	args := make([]any, len(members))
	for i, m := range members {
		args[i] = m
	}
	if err := s.client.ZRem(ctx, idx, args...).Err(); err != nil {
		return s.failUser(ctx, "user index clean-up", err)
	}
	return nil
}

// parseMembers splits index members into keys and members that are not key
// hex at all (which are dropped as stale).
func parseMembers(members []string) (keys []store.Key, junk []string) {
	for _, m := range members {
		k, err := store.ParseKey(m)
		if err != nil {
			junk = append(junk, m)
			continue
		}
		keys = append(keys, k)
	}
	return keys, junk
}

// isPerCommandErr reports whether a pipeline's error is a reply error of
// one of its commands (inspected per command) rather than a failure of the
// connection.
func isPerCommandErr(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr)
}
