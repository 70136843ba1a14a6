// Command load serves each implementation's ReadModifyWrite handler on
// 127.0.0.1 and drives it with wrk (wrk/cookie.lua keeps one session per
// in-flight request, and checks that its counter goes up by one each
// time), then prints a Markdown table of requests per second and their
// share of the no-session floor.
//
//	go run ./cmd/load [-d 5s] [-t 2] [-c 16] [-rounds 3] [-only REGEXP]
//
// With -shared it runs the shared-session test instead (shared.go): the
// server-side implementations only, every connection of a wrk thread
// sending the cookie of one session (wrk/shared.lua), and a table of lost
// updates: the session's final counter against the 2xx answers it got.
// The floor runs there too, under the same script, threads and counting
// handler, so that its "% of floor" compares like with like.
//
//	go run ./cmd/load -shared -t 1 -c 16 -s wrk/shared.lua
//
// Its table also gives the server's CPU time per answer (this process's:
// the server runs in it, wrk does not). To give the server a CPU of its
// own, run the command on one CPU and wrk on the others, as bench/load.sh
// does:
//
//	GOMAXPROCS=1 taskset -c 0 load -shared -t 1 -c 16 -s wrk/shared.lua -wrk-cpus 1
//
// Only loopback addresses are used, and every run is bounded by -d (wrk
// is killed if it overruns by a minute).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/b4f9cdbb/session/bench"
)

type result struct {
	rps       float64
	latency   string
	requests  int
	ok, bad   int
	non2xx    int
	errors    string
	checkLine string
}

func main() {
	var (
		dur    = flag.Duration("d", 5*time.Second, "wrk duration per run")
		thr    = flag.Int("t", 2, "wrk threads")
		conns  = flag.Int("c", 16, "wrk connections")
		rounds = flag.Int("rounds", 3, "runs per implementation (interleaved); the median is reported")
		only   = flag.String("only", "", "regexp: implementations to run (the floor always runs)")
		script = flag.String("s", "wrk/cookie.lua", "the wrk script")
		shared = flag.Bool("shared", false, "run the shared-session test: -t sessions, each sent by -c/-t connections at once (use -s wrk/shared.lua)")
		cpuOut = flag.String("cpuprofile", "", "write a CPU profile of the server during the last run of an implementation other than the floor (of the floor, if it runs alone: -only '^$')")
		memOut = flag.String("memprofile", "", "write an allocation profile of the server at the end")
	)
	flag.StringVar(&wrkCPUs, "wrk-cpus", "", "run wrk on these CPUs only (taskset -c LIST), e.g. to keep it off the server's: see bench/load.sh")
	flag.Parse()
	if *dur <= 0 || *dur > 5*time.Minute || *rounds < 1 || *rounds > 20 {
		fail(errors.New("-d must be in (0, 5m] and -rounds in [1, 20]"))
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		fail(errors.New("wrk is not installed (apt-get install -y wrk)"))
	}
	if _, err := exec.LookPath("taskset"); wrkCPUs != "" && err != nil {
		fail(errors.New("-wrk-cpus needs taskset (util-linux)"))
	}
	if _, err := os.Stat(*script); err != nil {
		fail(err)
	}
	re, err := regexp.Compile(*only)
	if err != nil {
		fail(err)
	}
	dir, err := os.MkdirTemp("", "session-load-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	env := bench.EnvFromOS(dir)
	if *shared {
		var adapters []bench.Adapter
		for _, a := range bench.Adapters() {
			if a.Name == bench.Floor || a.ServerSide && re.MatchString(a.Name) {
				adapters = append(adapters, a)
			}
		}
		if err := sharedRuns(adapters, env, *script, *dur, *thr, *conns, *rounds, *cpuOut); err != nil {
			fail(err)
		}
		if *cpuOut != "" {
			if err := writeCPUProfile(*cpuOut); err != nil {
				fail(err)
			}
		}
		return
	}
	var adapters []bench.Adapter
	for _, a := range bench.Adapters() {
		if a.Name == bench.Floor || re.MatchString(a.Name) {
			adapters = append(adapters, a)
		}
	}

	results := map[string][]result{}
	skipped := map[string]bool{}
	for round := 1; round <= *rounds; round++ {
		for _, a := range adapters {
			if skipped[a.Name] {
				continue
			}
			stop := startCPUProfile(*cpuOut, a.Name != bench.Floor || len(adapters) == 1)
			res, err := run(a, env, *script, *dur, *thr, *conns)
			stop()
			if errors.Is(err, bench.ErrSkip) {
				fmt.Fprintf(os.Stderr, "%s: skipped (%v)\n", a.Name, err)
				skipped[a.Name] = true
				continue
			}
			if err != nil {
				fail(fmt.Errorf("%s: %w", a.Name, err))
			}
			fmt.Fprintf(os.Stderr, "round %d %-20s %10.0f req/s  %s\n", round, a.Name, res.rps, res.checkLine)
			results[a.Name] = append(results[a.Name], res)
		}
	}

	if *cpuOut != "" {
		if err := writeCPUProfile(*cpuOut); err != nil {
			fail(err)
		}
	}
	if *memOut != "" {
		if err := writeProfile("allocs", *memOut); err != nil {
			fail(err)
		}
	}
	floor := median(results[bench.Floor]).rps
	fmt.Printf("wrk -t%d -c%d -d%s -s %s, ReadModifyWrite handler on 127.0.0.1, median of %d interleaved run(s).\n\n",
		*thr, *conns, *dur, *script, *rounds)
	fmt.Println("| implementation | req/s | % of floor | avg latency | requests checked | counter wrong | non-2xx | all runs (req/s) |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---|")
	broken := false
	for _, a := range adapters {
		rs := results[a.Name]
		if len(rs) == 0 {
			fmt.Printf("| %s | skipped | | | | | | |\n", a.Name)
			continue
		}
		m := median(rs)
		var all []string
		ok, bad, non2xx := 0, 0, 0
		for _, r := range rs {
			all = append(all, strconv.FormatFloat(r.rps, 'f', 0, 64))
			ok += r.ok
			bad += r.bad
			non2xx += r.non2xx
		}
		if bad > 0 || non2xx > 0 {
			broken = true
		}
		checked := strconv.Itoa(ok + bad)
		if a.Name == bench.Floor {
			checked = "(no session)"
		}
		fmt.Printf("| %s | %.0f | %.1f%% | %s | %s | %d | %d | %s |\n",
			a.Name, m.rps, 100*m.rps/floor, m.latency, checked, bad, non2xx, strings.Join(all, ", "))
	}
	if broken {
		fail(errors.New("some implementation answered errors or wrong counters: see the table"))
	}
}

// run serves a's ReadModifyWrite handler on a free loopback port and
// drives it with wrk for d.
func run(a bench.Adapter, env bench.Env, script string, d time.Duration, threads, conns int) (result, error) {
	h, closeFn, err := a.Open(env)
	if err != nil {
		return result{}, err
	}
	defer func() {
		if err := closeFn(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: close: %v\n", a.Name, err)
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	srv := &http.Server{Handler: echoSlot(h.ReadModifyWrite), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()

	arg := "check"
	if a.Name == bench.Floor {
		arg = "nocheck"
	}
	out, err := runWrk(ln.Addr().String(), script, d, threads, conns, arg)
	if err != nil {
		return result{}, err
	}
	return parseWrk(out)
}

// wrkCPUs is the -wrk-cpus flag: the CPUs wrk may run on, "" for any.
var wrkCPUs string

// runWrk drives the server at addr with wrk for d and returns its output;
// args are the script's arguments. wrk is killed if it overruns by a
// minute.
func runWrk(addr, script string, d time.Duration, threads, conns int, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d+time.Minute)
	defer cancel()
	argv := append([]string{"wrk", "-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns),
		"-d" + strconv.Itoa(int(d.Seconds())) + "s", "--timeout", "10s", "-s", script, "http://" + addr + "/", "--"}, args...)
	if wrkCPUs != "" {
		argv = append([]string{"taskset", "-c", wrkCPUs}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("wrk: %w\n%s", err, out)
	}
	return string(out), nil
}

// echoSlot answers the X-Slot header the wrk script sends (see
// wrk/cookie.lua), around every implementation alike.
func echoSlot(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header["X-Slot"]; len(v) > 0 {
			w.Header()["X-Slot"] = v
		}
		next.ServeHTTP(w, r)
	})
}

var (
	reRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reLatency = regexp.MustCompile(`Latency\s+(\S+)`)
	reNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	reSocket  = regexp.MustCompile(`Socket errors:[^\n]*`)
	reCheck   = regexp.MustCompile(`session-check: requests=(\d+) ok=(\d+) bad=(\d+) unmatched=(\d+) non200=(\d+)`)
)

// wrkSummary is what wrk itself reports, whatever the script.
type wrkSummary struct {
	rps     float64
	latency string
	non2xx  int
	errors  string // wrk's "Socket errors: …" line, if any
}

func parseSummary(out string) (wrkSummary, error) {
	var s wrkSummary
	m := reRPS.FindStringSubmatch(out)
	if m == nil {
		return s, fmt.Errorf("unexpected wrk output:\n%s", out)
	}
	s.rps, _ = strconv.ParseFloat(m[1], 64)
	if l := reLatency.FindStringSubmatch(out); l != nil {
		s.latency = l[1]
	}
	if n := reNon2xx.FindStringSubmatch(out); n != nil {
		s.non2xx, _ = strconv.Atoi(n[1])
	}
	s.errors = reSocket.FindString(out)
	return s, nil
}

func parseWrk(out string) (result, error) {
	var r result
	s, err := parseSummary(out)
	if err != nil {
		return r, err
	}
	c := reCheck.FindStringSubmatch(out)
	if c == nil {
		return r, fmt.Errorf("unexpected wrk output:\n%s", out)
	}
	r.rps, r.latency, r.non2xx, r.errors = s.rps, s.latency, s.non2xx, s.errors
	r.checkLine = c[0]
	r.requests, _ = strconv.Atoi(c[1])
	r.ok, _ = strconv.Atoi(c[2])
	r.bad, _ = strconv.Atoi(c[3])
	unmatched, _ := strconv.Atoi(c[4])
	r.bad += unmatched
	if r.errors != "" {
		r.checkLine += " " + r.errors
	}
	return r, nil
}

func median(rs []result) result {
	if len(rs) == 0 {
		return result{}
	}
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int {
		switch {
		case a.rps < b.rps:
			return -1
		case a.rps > b.rps:
			return 1
		}
		return 0
	})
	return s[len(s)/2]
}

// cpuProfile collects the CPU profile of several runs: pprof can profile
// only one span at a time, so the spans are kept in memory and the last
// one is written (with -only and one round there is one span).
var cpuProfile bytes.Buffer

// startCPUProfile profiles until the returned function is called, when
// path is set and on is true.
func startCPUProfile(path string, on bool) (stop func()) {
	if path == "" || !on {
		return func() {}
	}
	cpuProfile.Reset()
	if err := pprof.StartCPUProfile(&cpuProfile); err != nil {
		fail(err)
	}
	return pprof.StopCPUProfile
}

func writeCPUProfile(path string) error {
	return os.WriteFile(path, cpuProfile.Bytes(), 0o644)
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}
