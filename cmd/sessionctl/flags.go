package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// defaultTimeout bounds a whole command unless -timeout says otherwise:
// long enough for a DeleteAll over millions of records, short enough that
// a hung server does not hang a script forever.
const defaultTimeout = 5 * time.Minute

// storeFlags are the flags that name a store, shared by every command that
// works on one.
type storeFlags struct {
	store   string
	dsn     string
	table   string
	prefix  string
	timeout time.Duration
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.store, "store", "", "the store: "+strings.Join(storeNames, ", "))
	fs.StringVar(&f.dsn, "dsn", "", "where the store keeps sessions (file: a folder; sqlite: a file; redis, postgres: a URL; mysql: a go-sql-driver DSN); each has the demo's local default")
	fs.StringVar(&f.table, "table", "", `the table of the sqlite, postgres or mysql store (default "sessions")`)
	fs.StringVar(&f.prefix, "prefix", "", `the prefix of the redis store's keys (default "session:")`)
	fs.DurationVar(&f.timeout, "timeout", defaultTimeout, "give up after this long (0: no limit)")
}

// newFlagSet returns the flag set of a command, whose -h prints the
// command's synopsis and flags.
func newFlagSet(e *env) *flag.FlagSet {
	name := e.name
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: sessionctl %s %s\n\n%s.\n", name, e.cmd.args, e.cmd.summary)
		if hasFlags(fs) {
			fmt.Fprintln(e.stdout, "\nFlags:")
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
		fmt.Fprintln(e.stdout, "\nExit codes: 0 ok, 1 failed, 2 usage error, 3 (inspect) cookie refused; see sessionctl -h.")
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	any := false
	fs.VisitAll(func(*flag.Flag) { any = true })
	return any
}

// parseArgs parses args with fs, letting flags and arguments come in any
// order ("list alice -store redis" as well as "list -store redis alice"),
// and checks that there are exactly want arguments, named by what. "--"
// ends the flags. A -h exits 0 after printing the help.
func parseArgs(e *env, fs *flag.FlagSet, args []string, what ...string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) { // Parse has printed the help
				return nil, &codeError{code: exitOK}
			}
			return nil, usageErrorf("%s: %v; run sessionctl %s -h for its flags", fs.Name(), err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) != len(what) {
		if len(what) == 0 {
			return nil, usageErrorf("%s takes no arguments, got %q", fs.Name(), pos)
		}
		return nil, usageErrorf("%s needs %s, got %d argument(s); usage: sessionctl %s %s", fs.Name(), strings.Join(what, " and "), len(pos), fs.Name(), e.cmd.args)
	}
	return pos, nil
}
