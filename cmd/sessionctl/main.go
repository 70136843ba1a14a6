// Command sessionctl is the operator's tool for the session library's
// stores: it lists and revokes a user's sessions, signs everyone out,
// deletes expired records, counts live sessions, makes secrets, and
// decodes a session cookie to tell why a request was, or would be, logged
// out.
//
//	sessionctl gen-secret
//	sessionctl count      -store redis -dsn redis://127.0.0.1:6379/0
//	sessionctl list       -store postgres alice@example.com
//	sessionctl revoke     -store mysql alice@example.com
//	sessionctl revoke-all -store sqlite -dsn /var/lib/app/sessions.sqlite
//	sessionctl purge      -store file -dsn /var/lib/app/sessions
//	SESSION_SECRETS=… sessionctl inspect -store redis 'COOKIE VALUE'
//
// # Stores
//
// The store is named as in the demo (cmd/demo): -store file, sqlite,
// redis, postgres or mysql, and -dsn where it keeps sessions (file: a
// folder; sqlite: a file; redis: a redis:// URL; postgres: a URL or
// key=value DSN; mysql: a go-sql-driver DSN), each with the demo's local
// default. -table names the SQL stores' table (default "sessions", as
// WithTable) and -prefix the Redis keys' prefix (default "session:", as
// WithPrefix): use the application's values. sessionctl never creates a
// folder, database file or table; a store that is not there is an error.
// The memory store lives inside the application's process and cookie
// storage keeps nothing on the server, so -store memory and -store cookie
// are refused with what to do instead.
//
// Flags may come before or after a command's arguments; "--" ends the
// flags, for a user ID that starts with "-".
//
// # Secrets
//
// inspect reads the secrets from SESSION_SECRETS, comma-separated, current
// first, as the demo does. sessionctl never prints a secret, nor a
// session ID (only its store key, a SHA-256 hash).
//
// # Exit codes
//
//	0  success (inspect: the cookie would be accepted)
//	1  the operation failed: the store could not be opened or reached,
//	   a store call failed, or revoke-all was not confirmed
//	2  usage error: unknown command or flag, missing argument, a store
//	   sessionctl cannot work on, SESSION_SECRETS missing or too weak
//	3  inspect: the cookie would be refused (expired, wrong secret or
//	   tampered, another cookie name, too large, malformed, or its
//	   server-side record is gone)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes; see the package documentation.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitRefused = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// env is what a command runs with: its standard streams and a context that
// ends on Ctrl-C.
type env struct {
	name   string  // the command's name
	cmd    command // the command
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one sessionctl command.
type command struct {
	args    string // the synopsis after the command name
	summary string
	run     func(e *env, args []string) error
}

// commands are sessionctl's commands, by name.
var commands = map[string]command{
	"gen-secret": {"", "print a new secret for SESSION_SECRETS and how to rotate", genSecret},
	"list":       {"[store flags] USER", "list the user's live sessions", listUser},
	"revoke":     {"[store flags] USER", "end every session of the user", revokeUser},
	"revoke-all": {"[store flags] [-yes]", "end every session in the store (asks first)", revokeAll},
	"purge":      {"[store flags]", "delete the expired records now", purge},
	"count":      {"[store flags]", "print the number of live sessions", count},
	"inspect":    {"[-name N] [-codec native|remix] [-store-kind cookie|server] [store flags] VALUE|-", "decode a cookie value with SESSION_SECRETS and say whether it would be accepted", inspect},
}

// run runs sessionctl with args (without the program name) and returns the
// exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		if strings.HasPrefix(name, "-") {
			fmt.Fprintf(stderr, "sessionctl: flags go after the command, e.g. sessionctl count %s …; run sessionctl -h for the commands\n", name)
		} else {
			fmt.Fprintf(stderr, "sessionctl: unknown command %q; run sessionctl -h for the commands\n", name)
		}
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd.run(&env{name: name, cmd: cmd, ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}, args[1:])
	return exitCode(err, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `sessionctl: operate the session stores of github.com/b4f9cdbb/session

Usage: sessionctl COMMAND [flags] [arguments]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, `
Store flags (every command but gen-secret; optional for inspect):
  -store NAME   %s (required)
  -dsn DSN      where the store keeps sessions; default as the demo's:
                file: a folder (the user's cache folder/session-demo/sessions)
                sqlite: a file (%s)
                redis: a URL (%s)
                postgres: a URL or key=value DSN (%s)
                mysql: a go-sql-driver DSN (%s)
  -table NAME   the SQL stores' table (default "sessions")
  -prefix P     the Redis keys' prefix (default "session:")
  -timeout D    give up after D (default %v; 0 for no limit)

Secrets: inspect reads SESSION_SECRETS (comma-separated, current first).
sessionctl never prints a secret or a session ID.

Exit codes:
  0  success (inspect: the cookie would be accepted)
  1  the operation failed (store unreachable or a store error, or
     revoke-all not confirmed)
  2  usage error (unknown command or flag, missing argument, a store that
     sessionctl cannot work on, SESSION_SECRETS missing or too weak)
  3  inspect: the cookie would be refused

Run sessionctl COMMAND -h for a command's flags.
`, strings.Join(storeNames, ", "), defaultDSN("sqlite"), defaultDSN("redis"), defaultDSN("postgres"), defaultDSN("mysql"), defaultTimeout)
}
