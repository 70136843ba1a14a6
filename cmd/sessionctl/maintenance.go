package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/b4f9cdbb/session/store"
)

// maintenanceCommand runs fn on the store's maintenance operations;
// flags registers the command's own flags, if any.
func maintenanceCommand(e *env, args []string, flags func(*flag.FlagSet), fn func(e *env, s *openedStore, m store.Maintenance) error) error {
	return storeCommand(e, args, flags, func(e *env, s *openedStore, _ []string) error {
		m, err := capability[store.Maintenance](s, "store.Maintenance")
		if err != nil {
			return err
		}
		return fn(e, s, m)
	})
}

// count prints the number of live sessions, alone, for scripts.
func count(e *env, args []string) error {
	return maintenanceCommand(e, args, nil, func(e *env, s *openedStore, m store.Maintenance) error {
		n, err := m.Count(e.ctx)
		if err != nil {
			return fmt.Errorf("counting the sessions in %s: %w", s, err)
		}
		fmt.Fprintln(e.stdout, n)
		return nil
	})
}

// purge deletes the expired records now and prints how many.
func purge(e *env, args []string) error {
	return maintenanceCommand(e, args, nil, func(e *env, s *openedStore, m store.Maintenance) error {
		if native, ok := s.Store.(interface{ ExpiresNatively() bool }); ok && native.ExpiresNatively() {
			fmt.Fprintf(e.stdout, "deleted 0 expired records: the %s store expires records by itself (TTL), so there is never one to delete\n", s.name)
			return nil
		}
		n, err := m.DeleteExpired(e.ctx)
		if err != nil {
			return fmt.Errorf("deleting the expired records in %s: %w (the ones deleted so far stay deleted; run it again)", s, err)
		}
		fmt.Fprintf(e.stdout, "deleted %d expired %s\n", n, plural(n, "record", "records"))
		return nil
	})
}

// revokeAll ends every session in the store after a confirmation: typed on
// a terminal, or -yes when stdin is not one.
func revokeAll(e *env, args []string) error {
	var yes bool
	flags := func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, "do not ask for confirmation (required when stdin is not a terminal)")
	}
	return maintenanceCommand(e, args, flags, func(e *env, s *openedStore, m store.Maintenance) error {
		if !yes {
			if err := confirm(e, s, m); err != nil {
				return err
			}
		}
		n, err := m.DeleteAll(e.ctx)
		if err != nil {
			return fmt.Errorf("deleting every session in %s: %w (the ones deleted so far stay deleted; run it again)", s, err)
		}
		fmt.Fprintf(e.stdout, "revoked %d %s: every user is signed out\n", n, plural(n, "session", "sessions"))
		return nil
	})
}

// confirm asks the operator on a terminal to type the store's name or
// "yes", and refuses to go on without a terminal.
func confirm(e *env, s *openedStore, m store.Maintenance) error {
	if !isTerminal(e.stdin) {
		return usageErrorf("revoke-all signs every user out of %s; stdin is not a terminal to confirm on, so pass -yes", s)
	}
	n, err := m.Count(e.ctx)
	if err != nil {
		return fmt.Errorf("counting the sessions in %s: %w", s, err)
	}
	fmt.Fprintf(e.stderr, "This ends all %d live %s in %s: every user is signed out.\nType %q or \"yes\" to go on: ", n, plural(n, "session", "sessions"), s, s.name)
	answer, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the confirmation: %w", err)
	}
	if a := strings.TrimSpace(answer); a != s.name && a != "yes" {
		return errors.New("not confirmed; nothing was deleted")
	}
	return nil
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
