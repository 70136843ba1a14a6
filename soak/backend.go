package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/b4f9cdbb/session/filestore"
	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/sqlitestore"
	"github.com/b4f9cdbb/session/store"
)

// storeNames are the stores the soak can run, in the order the short test
// runs them.
var storeNames = []string{"memory", "file", "sqlite", "redis", "postgres", "mysql"}

// backend is where one run's sessions live: a throw-away server, or an
// in-process store behind a fault window.
type backend interface {
	disruptor
	// open returns a store for one application instance (with its own
	// client or pool where the store has one) and the function that
	// closes it.
	open(ctx context.Context) (store.Store, func(), error)
	// close stops the server, if any, and removes its files.
	close()
}

// newBackend sets up the named store. planted is noBug outside the soak's
// own tests.
func newBackend(ctx context.Context, name string, planted bug) (backend, error) {
	switch name {
	case "memory", "file", "sqlite":
		return newLocal(ctx, name, planted)
	case "redis":
		return newRedis(ctx)
	case "postgres":
		return newPostgres(ctx)
	case "mysql":
		return newMariaDB(ctx)
	}
	return nil, fmt.Errorf("-store %q: want one of %v", name, storeNames)
}

// local is an in-process store (memory, file or sqlite) that every
// application instance shares, behind a fault window.
type local struct {
	*faultStore
	done func()
}

func newLocal(ctx context.Context, name string, planted bug) (*local, error) {
	switch name {
	case "memory":
		st := memstore.New()
		f := newFaultStore(st, planted)
		return &local{faultStore: f, done: func() { f.close(); st.Close() }}, nil
	}
	dir, err := os.MkdirTemp("", "soak-"+name+"-")
	if err != nil {
		return nil, err
	}
	var (
		inner store.Versioned
		done  func()
	)
	if name == "file" {
		st, err := filestore.New(filepath.Join(dir, "sessions"))
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		inner, done = st, func() { st.Close() }
	} else {
		st, err := sqlitestore.Open(filepath.Join(dir, "sessions.db"))
		if err == nil {
			err = st.Migrate(ctx)
		}
		if err != nil {
			if st != nil {
				st.Close()
			}
			os.RemoveAll(dir)
			return nil, err
		}
		inner, done = st, func() { st.Close() }
	}
	f := newFaultStore(inner, planted)
	return &local{faultStore: f, done: func() { f.close(); done(); os.RemoveAll(dir) }}, nil
}

func (l *local) open(context.Context) (store.Store, func(), error) {
	return l.faultStore, func() {}, nil
}

func (l *local) close() { l.done() }
