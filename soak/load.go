package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/b4f9cdbb/session"
)

// sharedSession is one session that several clients use at once, as the
// tabs of one browser do.
type sharedSession struct {
	cookie string       // the Cookie header its clients send
	ok     atomic.Int64 // its increments answered 2xx (its start included)
	lost   atomic.Bool  // a request found it gone (410)
	// uncertain counts its failed increments that may have been applied:
	// those whose commit failed (the store's reply may have been lost
	// after it applied the write) and those that got no answer at all.
	uncertain atomic.Int64
}

// load drives the application instances with parallel clients.
type load struct {
	client   *http.Client
	urls     []string // one per application instance
	sessions []*sharedSession
	outages  *outages
	tally    *tally
}

func newLoad(urls []string, clients int, o *outages) *load {
	tr := &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		MaxIdleConnsPerHost: clients,
		IdleConnTimeout:     time.Minute,
	}
	return &load{
		// Longer than any request can take on the server (its store calls
		// are bounded by -op-timeout), so that a client never gives up on
		// a request the server then completes.
		client:  &http.Client{Transport: tr, Timeout: 2 * time.Minute},
		urls:    urls,
		outages: o,
		tally:   newTally(),
	}
}

// begin starts n sessions, each at count 1. The store is up: any failure
// ends the run.
func (l *load) begin(n int) error {
	for range n {
		res := l.get(l.urls[0]+pathNew, "")
		if res.status != http.StatusOK {
			return fmt.Errorf("starting a session: %s", res)
		}
		if res.cookie == "" {
			return fmt.Errorf("starting a session: the answer set no %s cookie", session.DefaultCookieName)
		}
		s := &sharedSession{cookie: res.cookie}
		s.ok.Store(1)
		l.sessions = append(l.sessions, s)
	}
	return nil
}

// run starts the clients and returns when ctx ends and every client's last
// request was answered. Client i uses session i mod the number of sessions
// and spreads its requests over the instances; together the clients send
// about rate requests per second.
func (l *load) run(ctx context.Context, clients int, rate float64) {
	interval := time.Duration(float64(clients) / rate * float64(time.Second))
	var wg sync.WaitGroup
	for i := range clients {
		s := l.sessions[i%len(l.sessions)]
		wg.Go(func() { l.drive(ctx, i, s, interval) })
	}
	wg.Wait()
}

// drive is one client: a request every interval on average until ctx
// ends, not catching up when it falls behind. Each gap is drawn between
// half and one and a half intervals: clients with a fixed period would keep
// their phases, and two clients of one session would then either always or
// never overlap. A request in flight is never cancelled, so that its
// outcome is always known.
func (l *load) drive(ctx context.Context, i int, s *sharedSession, interval time.Duration) {
	next := time.Now().Add(rand.N(interval + 1))
	for k := i; ; k++ {
		if !sleep(ctx, time.Until(next)) {
			return
		}
		next = next.Add(interval/2 + rand.N(interval+1))
		if now := time.Now(); next.Before(now) {
			next = now
		}
		if s.lost.Load() {
			continue // nothing left to count on
		}
		l.increment(s, l.urls[k%len(l.urls)])
	}
}

// increment sends one GET / and counts its answer.
func (l *load) increment(s *sharedSession, url string) {
	res := l.get(url+pathIncr, s.cookie)
	switch {
	case res.status >= 200 && res.status < 300:
		s.ok.Add(1)
	case res.status == 0 || res.stage == stageCommit:
		s.uncertain.Add(1)
	}
	if res.status == http.StatusGone {
		s.lost.Store(true)
	}
}

// final reads each session's counter through a fresh request; a failed
// read is tried again for a few seconds (each failure is counted: the
// store is up by now). It returns -1 for a session that could not be read
// and marks lost sessions.
func (l *load) final() []int64 {
	counts := make([]int64, len(l.sessions))
	for i, s := range l.sessions {
		counts[i] = -1
		for range 25 {
			res := l.get(l.urls[0]+pathCount, s.cookie)
			if res.status == http.StatusGone {
				s.lost.Store(true)
				break
			}
			if res.status == http.StatusOK {
				counts[i] = res.count
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return counts
}

// answer is what one request got.
type answer struct {
	status int    // 0: no HTTP answer (the text says why)
	stage  string // which step failed on the server (headerStage), if any
	text   string // the body's first line (or the transport error) unless 200
	cookie string // the session cookie the answer set, as a Cookie header
	count  int64  // the counter a 200 answered
}

func (a answer) String() string {
	if a.status == 0 {
		return "no answer: " + a.text
	}
	return fmt.Sprintf("%d %s", a.status, a.text)
}

// get sends one request with the cookie and tallies its answer against the
// outages it overlapped.
func (l *load) get(url, cookie string) answer {
	start := time.Now()
	res := l.fetch(url, cookie)
	end := time.Now()
	outage := l.outages.overlaps(start, end)
	since := time.Duration(-1)
	if !outage && res.status != http.StatusOK {
		since = l.outages.sinceRestart(start)
	}
	l.tally.add(outage, res, end.Sub(start), since)
	return res
}

func (l *load) fetch(url, cookie string) answer {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return answer{text: err.Error()}
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return answer{text: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	res := answer{status: resp.StatusCode, stage: resp.Header.Get(headerStage)}
	if err != nil && !errors.Is(err, io.EOF) {
		// The status is known, so is the outcome: only the body broke.
		res.text = "reading the body: " + err.Error()
	}
	line, _, _ := strings.Cut(string(body), "\n")
	if res.status != http.StatusOK {
		res.text = line
	} else if res.count, err = strconv.ParseInt(line, 10, 64); err != nil {
		res.text = fmt.Sprintf("a 200 without a count: %q", line)
	}
	for _, c := range resp.Cookies() {
		if c.Name == session.DefaultCookieName && c.Value != "" {
			res.cookie = c.Name + "=" + c.Value
		}
	}
	return res
}
