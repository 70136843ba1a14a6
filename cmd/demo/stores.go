package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/b4f9cdbb/session/filestore"
	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/store"
)

var storeNames = []string{"cookie", "memory", "file", "sqlite", "redis", "postgres", "mysql"}

// openStore opens the server-side store the -store flag names, or returns
// a nil store for cookie storage. The returned function closes it.
func openStore(ctx context.Context, name, dsn string) (store.Store, func(), error) {
	noop := func() {}
	switch name {
	case "cookie":
		return nil, noop, nil
	case "memory":
		s := memstore.New()
		return s, func() { s.Close() }, nil
	case "file":
		if dsn == "" {
			dsn = filepath.Join(os.TempDir(), "session-demo")
		}
		s, err := filestore.New(dsn)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	case "sqlite", "redis", "postgres", "mysql":
		return nil, nil, fmt.Errorf("-store %s is not yet available", name)
	}
	return nil, nil, fmt.Errorf("-store %q: want one of %v", name, storeNames)
}
