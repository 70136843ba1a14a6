package main

import (
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// timeLayout is how sessionctl prints times: RFC 3339 in UTC, to the
// second.
const timeLayout = time.RFC3339

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(timeLayout)
}

// userCommand runs fn on the store's user index and the USER argument.
func userCommand(e *env, args []string, fn func(e *env, s *openedStore, ui store.UserIndex, user string) error) error {
	return storeCommand(e, args, nil, func(e *env, s *openedStore, args []string) error {
		ui, err := capability[store.UserIndex](s, "store.UserIndex (sessions by user)")
		if err != nil {
			return err
		}
		return fn(e, s, ui, args[0])
	}, "USER")
}

// listUser prints the live sessions of one user, oldest first.
func listUser(e *env, args []string) error {
	return userCommand(e, args, func(e *env, s *openedStore, ui store.UserIndex, user string) error {
		infos, err := ui.ListUser(e.ctx, user)
		if err != nil {
			return fmt.Errorf("listing the sessions of %q in %s: %w", user, s, err)
		}
		if len(infos) == 0 {
			fmt.Fprintf(e.stdout, "user %q has no live sessions (sessions are indexed by the application's Config.UserID)\n", user)
			return nil
		}
		slices.SortFunc(infos, func(a, b store.Info) int { return a.Created.Compare(b.Created) })
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tCREATED\tLAST WRITTEN\tEXPIRES")
		for _, in := range infos {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", in.Key, formatTime(in.Created), formatTime(in.Updated), formatTime(in.Expires))
		}
		return tw.Flush()
	})
}

// revokeUser ends every session of one user and prints how many.
func revokeUser(e *env, args []string) error {
	return userCommand(e, args, func(e *env, s *openedStore, ui store.UserIndex, user string) error {
		n, err := ui.DeleteUser(e.ctx, user)
		if err != nil {
			return fmt.Errorf("revoking the sessions of %q in %s: %w (some may be revoked already; run it again)", user, s, err)
		}
		fmt.Fprintf(e.stdout, "revoked %d %s of user %q\n", n, plural(n, "session", "sessions"), user)
		return nil
	})
}
