// Command demo is a small web application that shows the session library at
// work: a visit counter, a login with a one-time error message, a dashboard
// that lists the user's sessions (server-side stores) and a logout.
//
//	go run ./cmd/demo                     # cookie storage on 127.0.0.1:8080
//	go run ./cmd/demo -store memory -insecure
//
// Flags: -addr, -store (cookie, memory, file, sqlite, redis, postgres,
// mysql), -dsn, -codec (native, remix), -insecure, -metrics (Prometheus
// text at /metrics). The secrets come from
// SESSION_SECRETS (comma-separated, current first); without it the demo
// makes a random one, so sessions end when it restarts.
//
// It is meant to be copied, so it is safe in the ways a real application
// must be: every POST refuses cross-origin browser requests (CSRF, with
// http.CrossOriginProtection), every response carries a content security
// policy without inline code, and the password check runs in constant time
// (protect.go, credentials.go).
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/b4f9cdbb/session/internal/storeflag"
	"github.com/b4f9cdbb/session/memstore"
)

func main() {
	if err := run(os.Args[1:], os.Getenv("SESSION_SECRETS")); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// options are the demo's command-line flags.
type options struct {
	addr     string
	store    string
	dsn      string
	codec    string
	insecure bool
	metrics  bool
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&o.store, "store", "cookie", "session storage: "+strings.Join(storeNames, ", ")+
		" (memory is capped at "+strconv.Itoa(memstore.DefaultMaxEntries)+" sessions: when full, anonymous ones make room first, so a flood of cookie-less requests cannot exhaust memory)")
	fs.StringVar(&o.dsn, "dsn", "", "where the store keeps sessions (file: a folder, default "+defaultDSN("file")+"; sqlite: a file, default "+defaultDSN("sqlite")+"; redis, postgres: a URL; mysql: a go-sql-driver DSN; each has a local default)")
	fs.StringVar(&o.codec, "codec", "native", "cookie format: native or remix (shares sessions with a React Router app; with -store cookie its cookies never expire on the server)")
	fs.BoolVar(&o.insecure, "insecure", false, "allow the cookie over plain HTTP (no Secure attribute), for local use")
	fs.BoolVar(&o.metrics, "metrics", false, "serve the session metrics (loads, commits, store latency, cookie sizes; OpenTelemetry) as Prometheus text at /metrics")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return o, nil
}

func run(args []string, secretsEnv string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	secrets := storeflag.SplitSecrets(secretsEnv)
	if len(secrets) == 0 {
		secrets = []string{randomSecret()}
		log.Warn("SESSION_SECRETS is not set: using a random secret, so sessions end when the demo stops")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	app, closeStore, err := newApp(ctx, o, secrets, log)
	if err != nil {
		return err
	}
	defer closeStore()

	srv := &http.Server{
		Addr:              o.addr,
		Handler:           app.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("demo listening", "url", "http://"+o.addr+"/", "store", o.store, "codec", o.codec, "insecure", o.insecure)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
