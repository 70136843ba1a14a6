// Command scale measures how this module's stores behave as they grow, and
// draws the results as SVG line charts (standard library only):
//
//   - latency: store Read and the commit's write (CompareAndUpdate) vs the
//     number of sessions stored (1 k, 10 k, … up to -max);
//   - memory: memstore's live heap per session at the same counts;
//   - janitor: one DeleteExpired over 1 k … -max expired rows, and the
//     latency of reads of live sessions while it runs and without it;
//   - users: ListUser and DeleteUser of a user with 100 … -user-max
//     sessions;
//   - size: a Read request and a read-modify-write request through the
//     session layer vs the session's size, from 100 B to the 4096-byte
//     cookie limit for cookie storages and to 64 KiB for server-side ones.
//
// Usage (from the repository root; the servers' variables as in the
// stores' tests, each store skipped with a message when its variable is
// unset):
//
//	go run ./bench/scale -max 1000000 -out bench/results/scale   # the full run
//	go run ./bench/scale -max 10000 -out /tmp/scale               # a quick check, under a minute
//	go run ./bench/scale -plot bench/results/scale/scale.json     # redraw the charts only
//
// It writes scale.json (every point, with the command, machine and load
// average), scale.csv, scale.md (the same as tables) and the charts
// latency-read.svg, latency-commit.svg, memory.svg, janitor-time.svg,
// janitor-reads.svg, users.svg, size-read.svg and size-commit.svg.
//
// Every store works in a private SQLite file, table or Redis key prefix,
// which is removed at the end, also when the run fails.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/b4f9cdbb/session/bench"
)

// experiments and the stores each one runs, in order.
var experiments = []struct {
	name   string
	stores []string
}{
	{"memory", []string{"memory"}},
	{"latency", []string{"memory", "sqlite", "redis", "postgres", "mariadb"}},
	{"janitor", []string{"memory", "sqlite", "postgres", "mariadb"}},
	{"users", []string{"memory", "sqlite", "redis", "postgres", "mariadb"}},
	{"size", []string{"signed", "sealed", "memory", "sqlite", "redis", "redis-cached", "postgres", "mariadb"}},
}

func main() {
	var (
		maxN     = flag.Int("max", 1_000_000, "the largest number of sessions stored (latency, memory) and of expired rows (janitor); counts are 1 k, 10 k, … up to it")
		userMax  = flag.Int("user-max", 10_000, "the most sessions of one user (users); counts are 100, 1 k, … up to it")
		stores   = flag.String("stores", "all", "comma-separated stores to run: memory, sqlite, redis, redis-cached, postgres, mariadb, signed, sealed")
		exps     = flag.String("exp", "all", "comma-separated experiments: memory, latency, janitor, users, size")
		samples  = flag.Int("samples", 1000, "timed calls per latency point, at most")
		budget   = flag.Duration("point-time", 2*time.Second, "wall time per latency point, at most (once 100 calls are in)")
		maxSize  = flag.Int("max-size", 65536, "the largest session size (bytes of JSON) for server-side stores (size)")
		out      = flag.String("out", "bench/results/scale", "directory for scale.json, scale.csv, scale.md and the SVGs")
		plotOnly = flag.String("plot", "", "redraw the charts and tables from this scale.json into its directory, measuring nothing")
	)
	flag.Parse()
	if *plotOnly != "" {
		r, err := readResults(*plotOnly)
		if err == nil {
			err = report(r, filepath.Dir(*plotOnly))
		}
		if err != nil {
			fail(err)
		}
		return
	}
	if *maxN < 1000 || *userMax < 100 || *samples < 1 || *maxSize < 100 {
		fail(errors.New("-max must be at least 1000, -user-max at least 100, -samples at least 1 and -max-size at least 100"))
	}
	want := func(list, name string) bool {
		return list == "all" || slices.Contains(strings.Split(list, ","), name)
	}
	for _, list := range []struct{ flag, value string }{{"-stores", *stores}, {"-exp", *exps}} {
		for _, name := range strings.Split(list.value, ",") {
			if name != "all" && !known(name) {
				fail(fmt.Errorf("%s: unknown name %q", list.flag, name))
			}
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, err := os.MkdirTemp("", "session-scale-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	env := bench.EnvFromOS(dir)
	sm := sampler{samples: *samples, budget: *budget, minSamples: min(100, *samples)}
	counts := decades(1000, *maxN)
	r := &Results{
		Command: "go run ./bench/scale " + strings.Join(os.Args[1:], " "),
		Started: time.Now(),
		Machine: fmt.Sprintf("%d cores, %s, %s/%s", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH),
		Load:    loadAverage(),
	}
	var sizes []int
	for _, s := range []int{100, 250, 500, 1000, 2000, 4096, 16384, 65536} {
		if s <= *maxSize {
			sizes = append(sizes, s)
		}
	}

	var failed []string
	for _, e := range experiments {
		if !want(*exps, e.name) {
			continue
		}
		for _, st := range e.stores {
			if !want(*stores, st) {
				continue
			}
			var err error
			switch e.name {
			case "memory":
				err = memoryPerSession(ctx, r, counts)
			case "latency":
				err = latencyVsCount(ctx, r, st, env, counts, sm)
			case "janitor":
				err = janitorVsCount(ctx, r, st, env, counts)
			case "users":
				err = usersVsCount(ctx, r, st, env, decades(100, *userMax))
			case "size":
				err = sizeVsStore(ctx, r, st, env, sizes, sm)
			}
			switch {
			case errors.Is(err, bench.ErrSkip):
				logf("%-8s %-8s skipped: %v", e.name, st, err)
			case err != nil:
				logf("%-8s %-8s FAILED: %v", e.name, st, err)
				failed = append(failed, e.name+"/"+st)
			}
			if ctx.Err() != nil {
				fail(ctx.Err())
			}
		}
	}
	r.Finished = time.Now()
	r.Load += " → " + loadAverage()
	if err := report(r, *out); err != nil {
		fail(err)
	}
	if len(failed) > 0 {
		fail(fmt.Errorf("failed: %s", strings.Join(failed, ", ")))
	}
}

// report writes the results and says where.
func report(r *Results, dir string) error {
	files, err := r.write(dir)
	if err != nil {
		return err
	}
	logf("wrote %s: %s", dir, strings.Join(files, ", "))
	return nil
}

// known reports whether name is a store or an experiment.
func known(name string) bool {
	for _, e := range experiments {
		if e.name == name || slices.Contains(e.stores, name) {
			return true
		}
	}
	return false
}

// decades returns from, 10·from, … up to and including to (to itself when
// it is not a power of ten times from).
func decades(from, to int) []int {
	var out []int
	for n := from; n < to; n *= 10 {
		out = append(out, n)
	}
	return append(out, to)
}

// closeBackend closes b, reporting a failure to clean up.
func closeBackend(b *bench.Backend) {
	if err := b.Close(); err != nil {
		logf("%s: cleaning up: %v", b.Name, err)
	}
}

// loadAverage returns the 1, 5 and 15-minute load averages, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

var start = time.Now()

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%6.1fs "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "scale:", err)
	os.Exit(1)
}
