package sqlstore

import (
	"context"

	"github.com/b4f9cdbb/session/store"
)

// ListUser returns the live, readable sessions of userID; ListUser("")
// returns none. A corrupt row of the user is left out and, once the listing
// is read, deleted (with the user's expired rows), so that one bad row never
// hides the user's other sessions or fails the listing. If that clean-up
// fails, the listing is still returned and the failure is logged.
func (s *Store) ListUser(ctx context.Context, userID string) ([]store.Info, error) {
	now := s.now()
	out, corrupt, err := s.listUser(ctx, userID, now)
	if err != nil {
		return nil, err
	}
	if corrupt > 0 {
		if _, err := s.db.Exec(ctx, s.q.deleteUserRest, userID, now); err != nil {
			s.cfg.log.WarnContext(ctx, s.d.Name+": could not delete a user's corrupt rows", "table", s.cfg.table, "rows", corrupt, "err", err)
		}
	}
	return out, nil
}

// listUser reads the live rows of userID and counts the corrupt ones it
// skipped.
func (s *Store) listUser(ctx context.Context, userID string, now int64) (out []store.Info, corrupt int, err error) {
	rows, err := s.db.Query(ctx, s.q.listUser, userID, now)
	if err != nil {
		return nil, 0, s.Fail(ctx, "list user", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r scanned
		// The row has arrived: a Scan error here is about its values
		// (SQLite lets any value into any column), not the connection.
		if err := rows.Scan(&r.key, &r.created, &r.updated, &r.expires, &r.version); err != nil {
			corrupt++
			continue
		}
		in, err := r.info()
		if err != nil {
			corrupt++
			continue
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, s.Fail(ctx, "list user", err)
	}
	return out, corrupt, nil
}

// DeleteUser deletes every row of userID and reports how many live,
// readable sessions it ended. The first statement deletes exactly those,
// so its count is the answer; the second deletes the user's expired and
// corrupt rows, uncounted. A session the user starts between the two
// survives: it is live and readable, which the second statement spares.
func (s *Store) DeleteUser(ctx context.Context, userID string) (int, error) {
	now := s.now()
	n, err := s.db.Exec(ctx, s.q.deleteUserLive, userID, now)
	if err != nil {
		return 0, s.Fail(ctx, "delete user", err)
	}
	if _, err := s.db.Exec(ctx, s.q.deleteUserRest, userID, now); err != nil {
		return int(n), s.Fail(ctx, "delete user", err)
	}
	return int(n), nil
}
