package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/b4f9cdbb/session/pgstore"
	"github.com/b4f9cdbb/session/store"
)

// pgServer is a throw-away PostgreSQL cluster made by initdb, run by the
// postgres user when the soak runs as root (PostgreSQL refuses root).
type pgServer struct {
	server
	dsn string
}

func newPostgres(ctx context.Context) (*pgServer, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	as, err := unprivileged("postgres")
	if err != nil {
		return nil, err
	}
	dir, port, err := placeFor("postgres")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*pgServer, error) { os.RemoveAll(dir); return nil, err }
	// The cluster and its socket live in a folder the server's user owns.
	home := filepath.Join(dir, "pg")
	if err := owned(home, as); err != nil {
		return fail(err)
	}
	data := filepath.Join(home, "data")
	if err := command(ctx, as, filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return fail(err)
	}
	p := &pgServer{dsn: fmt.Sprintf("postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable&connect_timeout=2", port)}
	p.server = server{
		name: "postgres",
		bin:  filepath.Join(bin, "postgres"),
		args: []string{"-D", data, "-p", port, "-k", home, "-c", "listen_addresses=127.0.0.1",
			"-c", "max_connections=50", "-c", "shared_buffers=16MB", "-c", "fsync=on"},
		dir:   dir,
		as:    as,
		ready: p.ping,
		// pg_ctl stop's fast mode (roll back and disconnect every
		// session, then a clean shutdown), and its immediate mode (no
		// shutdown checkpoint: crash recovery at the next start).
		stopSig:  syscall.SIGINT,
		crashSig: syscall.SIGQUIT,
	}
	if err := p.run(ctx); err != nil {
		return fail(err)
	}
	return p, nil
}

// pgBinDir finds the directory of initdb and postgres: PATH, or the newest
// of Debian's /usr/lib/postgresql/N/bin.
func pgBinDir() (string, error) {
	if p, err := lookBin("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) < pgVersion(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if isExecutable(filepath.Join(dirs[i], "initdb")) && isExecutable(filepath.Join(dirs[i], "postgres")) {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("PostgreSQL's initdb not found on PATH or in /usr/lib/postgresql/*/bin: install the postgresql package")
}

func pgVersion(bin string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(bin)), 64)
	return v
}

// ping succeeds once the server runs queries, on a connection of its own.
func (p *pgServer) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, p.dsn)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	_, err = c.Exec(ctx, "SELECT 1")
	return err
}

// open gives each application instance its own pool and creates the table.
func (p *pgServer) open(ctx context.Context) (store.Store, func(), error) {
	pool, err := pgxpool.New(ctx, p.dsn+"&pool_max_conns=8")
	if err != nil {
		return nil, nil, err
	}
	st, err := pgstore.New(pool)
	return migrated(ctx, st, err, pool.Close)
}
