package main

import (
	"context"
	"database/sql"
	"io"
	"log"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/b4f9cdbb/session/mysqlstore"
	"github.com/b4f9cdbb/session/store"
)

// mariaDB is a throw-away MariaDB server made by mariadb-install-db, with a
// passwordless root on loopback and a database named soak.
type mariaDB struct {
	server
	addr string
}

func newMariaDB(ctx context.Context) (*mariaDB, error) {
	install, err := lookBin("mariadb-install-db", "/usr/bin", "/usr/local/bin")
	if err != nil {
		return nil, err
	}
	bin, err := lookBin("mariadbd", "/usr/sbin", "/usr/local/sbin", "/usr/bin")
	if err != nil {
		return nil, err
	}
	dir, port, err := placeFor("mariadb")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*mariaDB, error) { os.RemoveAll(dir); return nil, err }
	data := filepath.Join(dir, "data")
	if err := command(ctx, nil, install, "--no-defaults", "--datadir="+data,
		"--auth-root-authentication-method=normal", "--skip-test-db"); err != nil {
		return fail(err)
	}
	// The driver logs each connection the shutdown broke; the report
	// has what the requests saw.
	_ = mysql.SetLogger(log.New(io.Discard, "", 0))
	m := &mariaDB{addr: "127.0.0.1:" + port}
	args := []string{"--no-defaults", "--datadir=" + data, "--port=" + port, "--socket=" + filepath.Join(dir, "s"),
		"--bind-address=127.0.0.1", "--skip-name-resolve", "--innodb-buffer-pool-size=32M"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	m.server = server{name: "mariadbd", bin: bin, args: args, dir: dir, ready: m.ping,
		// mariadb-admin shutdown's normal shutdown; a kill, from which
		// InnoDB recovers with its redo log at the next start.
		stopSig: syscall.SIGTERM, crashSig: syscall.SIGKILL}
	if err := m.run(ctx); err != nil {
		return fail(err)
	}
	return m, nil
}

// ping succeeds once the server runs queries on a connection of its own;
// it also makes the soak's database, once.
func (m *mariaDB) ping(ctx context.Context) error {
	db, err := sql.Open("mysql", "root@tcp("+m.addr+")/?timeout=2s")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_, err = db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS soak")
	return err
}

// open gives each application instance its own database/sql pool and
// creates the table.
func (m *mariaDB) open(ctx context.Context) (store.Store, func(), error) {
	db, err := sql.Open("mysql", "root@tcp("+m.addr+")/soak?timeout=2s&readTimeout=5s&writeTimeout=5s")
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(8)
	st, err := mysqlstore.New(db)
	return migrated(ctx, st, err, func() { db.Close() })
}
