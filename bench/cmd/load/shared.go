package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/b4f9cdbb/session/bench"
)

// The shared-session test: many requests of one session at once.
//
// For each server-side implementation, the driver signs in one session per
// wrk thread (the adapter's New handler, in process), serves the
// ReadModifyWrite handler and runs wrk with wrk/shared.lua, whose threads
// each send their session's cookie on every connection. The server counts
// the answers of each session by status. When wrk is done the server is
// shut down, which waits for the requests wrk abandoned when its time was
// up (their contexts are detached from the connection, so that a closed
// connection cannot fail a commit half-way), and the driver reads each
// session's counter once more with the Read handler. An implementation that
// applies every acknowledged update ends with
//
//	final counter = 1 (New) + number of 2xx answers,
//
// and "lost updates" is how far short of that it falls.

// sessionCount is one session of a shared run.
type sessionCount struct {
	served, failed int // answers the server gave: 2xx, other
	wrkOK, wrkBad  int // answers wrk saw: 2xx, other
	wrkMax         int // the largest counter wrk saw
	final          int // the counter read after the run
}

// lost is how many acknowledged updates the final counter is missing.
func (c sessionCount) lost() int { return c.served - (c.final - 1) }

type sharedResult struct {
	wrkSummary
	sessions []sessionCount
	// cpu is the server's CPU time (this process's, user and system) per
	// answer: what each answer costs the server, which sets how many a
	// CPU of its own can give. On a machine that wrk and the store share
	// with the server, req/s also depends on how the three share the
	// cores; this depends on it less, though not at all only when the
	// server has a CPU to itself (Go's idle threads spin, and wake-ups
	// cross cores).
	cpu time.Duration
}

var reShared = regexp.MustCompile(`shared-check: session=(\d+) ok=(\d+) non2xx=(\d+) max=(\d+)`)

// sharedRuns runs the shared-session test for each adapter, rounds times
// (interleaved), prints the table, and fails when one of this module's
// implementations answered an error or lost an update.
func sharedRuns(adapters []bench.Adapter, env bench.Env, script string, d time.Duration, threads, conns, rounds int, cpuOut string) error {
	results := map[string][]sharedResult{}
	for round := 1; round <= rounds; round++ {
		for _, a := range adapters {
			stop := startCPUProfile(cpuOut, a.Name != bench.Floor || len(adapters) == 1)
			res, err := runShared(a, env, script, d, threads, conns)
			stop()
			if errors.Is(err, bench.ErrSkip) {
				if round == 1 {
					fmt.Fprintf(os.Stderr, "%s: skipped (%v)\n", a.Name, err)
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", a.Name, err)
			}
			t := total(res.sessions)
			fmt.Fprintf(os.Stderr, "round %d %-22s %8.0f req/s  cpu=%.1fµs 2xx=%d non-2xx=%d final-1=%d lost=%d (wrk: 2xx=%d other=%d largest counter=%d) %s\n",
				round, a.Name, res.rps, float64(res.cpu)/1e3, t.served, t.failed, t.final-1, t.lost(), t.wrkOK, t.wrkBad, t.wrkMax, res.errors)
			results[a.Name] = append(results[a.Name], res)
		}
	}

	fmt.Printf("wrk -t%d -c%d -d%s -s %s: %d session(s), each sent by %d connections at once; ReadModifyWrite handler on 127.0.0.1; %d round(s), req/s the median, counts summed.\n\n",
		threads, conns, d, script, threads, conns/max(threads, 1), rounds)
	fmt.Println("| implementation | req/s | % of floor | avg latency | server CPU / answer | 2xx answers | non-2xx | 2xx seen by wrk | final counter − 1 | lost updates | verdict |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	var broken []string
	floorRPS := medianRPS(results[bench.Floor])
	for _, a := range adapters {
		rs := results[a.Name]
		if len(rs) == 0 {
			fmt.Printf("| %s | skipped | | | | | | | | | |\n", a.Name)
			continue
		}
		if a.Name == bench.Floor {
			fmt.Printf("| %s | %.0f | 100.0%% | %s | %s | %d | | | | | (no session) |\n", a.Name, floorRPS, rs[len(rs)/2].latency, medianCPU(rs), total(sessionsOf(rs)).served)
			continue
		}
		rps := medianRPS(rs)
		t := total(sessionsOf(rs))
		verdict := "ok: every 2xx counted"
		switch {
		case a.Library == "session" && (t.failed > 0 || t.lost() != 0):
			verdict = "**FAIL**"
			broken = append(broken, a.Name)
		case t.lost() > 0:
			verdict = fmt.Sprintf("loses updates (%.1f%% of 2xx)", 100*float64(t.lost())/float64(max(t.served, 1)))
		case t.failed > 0:
			verdict = "answers errors"
		}
		fmt.Printf("| %s | %.0f | %.1f%% | %s | %s | %d | %d | %d | %d | %d | %s |\n",
			a.Name, rps, 100*rps/floorRPS, rs[len(rs)/2].latency, medianCPU(rs), t.served, t.failed, t.wrkOK, t.final-1, t.lost(), verdict)
	}
	if len(broken) > 0 {
		return fmt.Errorf("shared session: %s answered errors or lost updates: see the table", strings.Join(broken, ", "))
	}
	return nil
}

// medianRPS is the median req/s of rs, or 0 for none.
func medianRPS(rs []sharedResult) float64 {
	if len(rs) == 0 {
		return 0
	}
	rps := make([]float64, len(rs))
	for i, r := range rs {
		rps[i] = r.rps
	}
	slices.Sort(rps)
	return rps[len(rps)/2]
}

// medianCPU is the median server CPU per answer of rs, in µs.
func medianCPU(rs []sharedResult) string {
	cpu := make([]time.Duration, len(rs))
	for i, r := range rs {
		cpu[i] = r.cpu
	}
	slices.Sort(cpu)
	return fmt.Sprintf("%.1f µs", float64(cpu[len(cpu)/2])/1e3)
}

// sessionsOf is every session of rs.
func sessionsOf(rs []sharedResult) []sessionCount {
	var all []sessionCount
	for _, r := range rs {
		all = append(all, r.sessions...)
	}
	return all
}

// total sums the counts of sessions; its final is 1 + the sum of the
// sessions' final counters less one, so that lost() stays the sum.
func total(sessions []sessionCount) sessionCount {
	var t sessionCount
	for _, c := range sessions {
		t.served += c.served
		t.failed += c.failed
		t.wrkOK += c.wrkOK
		t.wrkBad += c.wrkBad
		t.wrkMax = max(t.wrkMax, c.wrkMax)
		t.final += c.final - 1
	}
	t.final++
	return t
}

// answers counts one session's answers on the server.
type answers struct{ ok, other atomic.Int64 }

// runShared runs the shared-session test once for a.
func runShared(a bench.Adapter, env bench.Env, script string, d time.Duration, threads, conns int) (sharedResult, error) {
	h, closeFn, err := a.Open(env)
	if err != nil {
		return sharedResult{}, err
	}
	defer func() {
		if err := closeFn(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: close: %v\n", a.Name, err)
		}
	}()

	// One signed-in session per wrk thread, counter 1. The floor has no
	// session: its threads send a cookie of their own, which it ignores.
	floor := a.Name == bench.Floor
	cookies := make([]string, threads)
	reqs := make([]*http.Request, threads)
	counts := make(map[string]*answers, threads)
	for i := range cookies {
		if floor {
			cookies[i] = "floor=" + strconv.Itoa(i+1)
			counts[cookies[i]] = &answers{}
			continue
		}
		r, w := bench.Seed(h)
		if w.Code != http.StatusOK || w.Body.String() != "1" {
			return sharedResult{}, fmt.Errorf("New answered %d %q", w.Code, w.Body.String())
		}
		reqs[i], cookies[i] = r, r.Header.Get("Cookie")
		if cookies[i] == "" || counts[cookies[i]] != nil {
			return sharedResult{}, fmt.Errorf("New gave session %d the cookie %q", i+1, cookies[i])
		}
		counts[cookies[i]] = &answers{}
	}
	var strangers atomic.Int64 // requests with a cookie the driver did not hand out
	rmw := h.ReadModifyWrite
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithoutCancel(r.Context()))
		sw := &statusWriter{ResponseWriter: w}
		rmw.ServeHTTP(sw, r)
		c := counts[r.Header.Get("Cookie")]
		code := sw.code
		if code == 0 {
			code = http.StatusOK // nothing written: net/http answers 200
		}
		switch {
		case c == nil:
			strangers.Add(1)
		case code >= 200 && code < 300:
			c.ok.Add(1)
		default:
			c.other.Add(1)
		}
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return sharedResult{}, err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	cpu0 := processCPU()
	out, wrkErr := runWrk(ln.Addr().String(), script, d, threads, conns, cookies...)
	// Shutdown waits for the handlers still running, those of the requests
	// wrk abandoned included.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return sharedResult{}, fmt.Errorf("waiting for the last requests: %w", err)
	}
	cpu := processCPU() - cpu0
	if wrkErr != nil {
		return sharedResult{}, wrkErr
	}
	if n := strangers.Load(); n > 0 {
		return sharedResult{}, fmt.Errorf("%d requests carried a cookie the driver did not hand out", n)
	}

	res := sharedResult{sessions: make([]sessionCount, threads)}
	if res.wrkSummary, err = parseSummary(out); err != nil {
		return res, err
	}
	for _, m := range reShared.FindAllStringSubmatch(out, -1) {
		i, _ := strconv.Atoi(m[1])
		if i < 1 || i > threads {
			return res, fmt.Errorf("wrk reported session %d of %d", i, threads)
		}
		c := &res.sessions[i-1]
		c.wrkOK, _ = strconv.Atoi(m[2])
		c.wrkBad, _ = strconv.Atoi(m[3])
		c.wrkMax, _ = strconv.Atoi(m[4])
	}
	for i, r := range reqs {
		c := &res.sessions[i]
		n := counts[cookies[i]]
		c.served, c.failed = int(n.ok.Load()), int(n.other.Load())
		if floor {
			c.final = 1 + c.served // nothing to lose
			continue
		}
		w := bench.Do(h.Read, r)
		if w.Code != http.StatusOK {
			return res, fmt.Errorf("reading session %d back: %d %s", i+1, w.Code, strings.TrimSpace(w.Body.String()))
		}
		if c.final, err = strconv.Atoi(w.Body.String()); err != nil {
			return res, fmt.Errorf("reading session %d back: %q is not a counter", i+1, w.Body.String())
		}
	}
	t := total(res.sessions)
	res.cpu = cpu / time.Duration(max(t.served+t.failed, 1))
	return res, nil
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
