package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/b4f9cdbb/session/bench"
	"github.com/b4f9cdbb/session/store"
)

// usersVsCount gives one user n sessions for each count in turn, beside
// liveSessions sessions of other users (two each), and times ListUser
// (the median of three calls) and then DeleteUser of that user.
func usersVsCount(ctx context.Context, r *Results, name string, env bench.Env, counts []int) error {
	total := liveSessions
	for _, n := range counts {
		total += n
	}
	b, err := bench.OpenBackend(name, env, bench.BackendConfig{MaxEntries: 2 * total, NoJanitor: true})
	if err != nil {
		return err
	}
	defer closeBackend(b)
	ui, ok := b.Store.(store.UserIndex)
	if !ok {
		return fmt.Errorf("%s does not implement store.UserIndex", name)
	}
	live := time.Now().Add(24 * time.Hour)
	others := func(i int) string { return fmt.Sprintf("other-%d", i/2) }
	if _, err := fill(ctx, b, fillSpec{n: liveSessions, data: recordData, expires: live, user: others}); err != nil {
		return err
	}
	for _, n := range counts {
		user := fmt.Sprintf("user-with-%d", n)
		t0 := time.Now()
		if _, err := fill(ctx, b, fillSpec{n: n, data: recordData, expires: live, user: func(int) string { return user }}); err != nil {
			return err
		}
		logf("users    %-8s %8d sessions of one user (fill %.1fs)", name, n, time.Since(t0).Seconds())
		var lists []time.Duration
		for range 3 {
			t0 := time.Now()
			infos, err := ui.ListUser(ctx, user)
			if err != nil {
				return fmt.Errorf("%s: ListUser: %w", name, err)
			}
			lists = append(lists, time.Since(t0))
			if len(infos) != n {
				return fmt.Errorf("%s: ListUser returned %d sessions, want %d", name, len(infos), n)
			}
		}
		slices.Sort(lists)
		t0 = time.Now()
		deleted, err := ui.DeleteUser(ctx, user)
		took := time.Since(t0)
		if err != nil {
			return fmt.Errorf("%s: DeleteUser: %w", name, err)
		}
		if deleted != n {
			return fmt.Errorf("%s: DeleteUser ended %d sessions, want %d", name, deleted, n)
		}
		r.addValue("users", name, "list-user", float64(n), lists[1].Seconds(), "s")
		r.addValue("users", name, "delete-user", float64(n), took.Seconds(), "s")
		logf("users    %-8s %8d sessions: ListUser %.1f ms, DeleteUser %.1f ms", name, n,
			lists[1].Seconds()*1e3, took.Seconds()*1e3)
	}
	return nil
}
