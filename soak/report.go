package main

import (
	"fmt"
	"strings"
	"time"
)

// result is what one run measured.
type result struct {
	cfg      config
	elapsed  time.Duration
	outages  int
	downtime time.Duration // outage windows in total, grace included
	tally    *tally

	oks       []int64 // per session: increments answered 2xx
	uncertain []int64 // per session: failed increments that may have been applied
	finals    []int64 // per session: the counter read back at the end (-1: unread)
	lost      []bool  // per session: found gone

	retried     int64 // commits that lost a race and wrote again
	maxAttempts int64 // the most store writes one commit needed

	goroutinesBefore int // before anything was set up
	goroutinesStart  int // after the set-up, before the load
	goroutinesEnd    int // after the load, idle connections closed
	goroutinesClosed int // after everything was closed

	rssEarly, rssLate  int64 // peak RSS in the second and the last quarter of the run
	peakRSS            int64 // VmHWM at the end
	heapStart, heapEnd int64 // live heap before and after the load
}

// updates sums, over the sessions that were not lost, what their final
// counters say about their increments.
type updates struct {
	ok          int64 // increments answered 2xx
	lost        int64 // of those, missing from the counters
	applied     int64 // increments in the counters that were not answered 2xx
	lostReplies int64 // of those, at most as many as commits that failed or got no answer
	unread      int   // sessions whose counter could not be read
}

func (r *result) updates() updates {
	var u updates
	for i := range r.oks {
		if r.lost[i] {
			continue
		}
		if r.finals[i] < 0 {
			u.unread++
			continue
		}
		u.ok += r.oks[i]
		switch d := r.finals[i] - r.oks[i]; {
		case d < 0:
			u.lost -= d
		case d > 0:
			u.applied += d
			u.lostReplies += min(d, r.uncertain[i])
		}
	}
	return u
}

// sessionsLost counts the sessions a request found gone.
func (r *result) sessionsLost() int {
	n := 0
	for _, l := range r.lost {
		if l {
			n++
		}
	}
	return n
}

// missed returns one line per goal the run missed; none means a pass.
func (r *result) missed() []string {
	var m []string
	miss := func(format string, args ...any) { m = append(m, fmt.Sprintf(format, args...)) }
	u := r.updates()
	if u.lost > 0 {
		miss("%d lost updates: increments answered 2xx that the final counters do not hold", u.lost)
	}
	if n := u.applied - u.lostReplies; n > 0 {
		miss("%d updates applied that were never answered 2xx and never reached a commit", n)
	}
	if u.lostReplies > 0 && !r.cfg.tolerateLostReplies {
		miss("%d failed updates applied: their commit failed (or got no answer) although the store applied the write; its reply was lost", u.lostReplies)
	}
	if u.unread > 0 {
		miss("%d sessions' final counters could not be read", u.unread)
	}
	if n := r.sessionsLost(); n > 0 {
		miss("%d of %d sessions lost (a request found the session gone)", n, len(r.lost))
	}
	if n := r.tally.count(phaseOutage, func(s int) bool { return s != 200 && (s < 500 || s > 599) }); n > 0 {
		miss("%d answers during outages were neither 200 nor 5xx", n)
	}
	if n := r.tally.count(phaseUp, func(s int) bool { return s != 200 }); n > 0 {
		miss("%d answers other than 200 while every server was up", n)
	}
	if r.cfg.chaos && r.outages == 0 {
		miss("no outage happened: make -duration longer than -up")
	}
	slack := r.cfg.goroutineSlack
	if r.goroutinesEnd > r.goroutinesStart+slack {
		miss("goroutines did not come back: %d before the load, %d after it (slack %d)", r.goroutinesStart, r.goroutinesEnd, slack)
	}
	if r.goroutinesClosed > r.goroutinesBefore+slack {
		miss("goroutines left after closing everything: %d, %d before the run (slack %d)", r.goroutinesClosed, r.goroutinesBefore, slack)
	}
	if r.rssLate > r.rssEarly+r.cfg.rssSlack {
		miss("RSS grew through the run: %s early, %s late (slack %s)", mib(r.rssEarly), mib(r.rssLate), mib(r.cfg.rssSlack))
	}
	if r.heapEnd > r.heapStart+r.cfg.heapSlack {
		miss("live heap grew through the run: %s before the load, %s after it (slack %s)", mib(r.heapStart), mib(r.heapEnd), mib(r.cfg.heapSlack))
	}
	return m
}

// String is the report the command prints.
func (r *result) String() string {
	var b strings.Builder
	c := r.cfg
	fmt.Fprintf(&b, "soak: store %s, %s, %d clients over %d sessions, %d instances, %.0f requests/s\n",
		c.store, r.elapsed.Round(time.Second), c.clients, c.sessions, c.instances, c.rate)
	switch {
	case !c.chaos:
		b.WriteString("chaos: off\n")
	default:
		how := "clean stop"
		if c.schedule.crash {
			how = "crash"
		}
		if c.store == "memory" || c.store == "file" || c.store == "sqlite" {
			how = "simulated: every store call fails"
		}
		fmt.Fprintf(&b, "chaos: %d outages (%s), every %s up, %s down; %s in outage windows in all (restart and %s grace included)\n",
			r.outages, how, c.schedule.up, c.schedule.down, r.downtime.Round(10*time.Millisecond), c.schedule.grace)
	}
	fmt.Fprintf(&b, "requests: %d (setup and final reads included)\n", r.tally.total())
	r.tally.describe(&b, phaseUp)
	r.tally.describe(&b, phaseOutage)
	h := &r.tally.latency
	fmt.Fprintf(&b, "latency (every answer): p50 %s, p99 %s, max %s\n",
		h.quantile(0.5).Round(time.Microsecond), h.quantile(0.99).Round(time.Microsecond), h.max.Round(time.Microsecond))
	u := r.updates()
	fmt.Fprintf(&b, "sessions: %d, lost %d; increments answered 2xx %d; lost updates %d; failed updates applied %d (%d with a failed commit or no answer)\n",
		len(r.oks), r.sessionsLost(), u.ok, u.lost, u.applied, u.lostReplies)
	fmt.Fprintf(&b, "commits that lost a race to another instance and re-applied their change: %d (at most %d store writes for one commit)\n",
		r.retried, r.maxAttempts)
	for i := range r.oks {
		fmt.Fprintf(&b, "    session %d: 2xx %d, failed commits or no answer %d, final counter %d, lost %v\n",
			i, r.oks[i], r.uncertain[i], r.finals[i], r.lost[i])
	}
	fmt.Fprintf(&b, "goroutines: %d before the run, %d before the load, %d after it, %d after closing everything\n",
		r.goroutinesBefore, r.goroutinesStart, r.goroutinesEnd, r.goroutinesClosed)
	fmt.Fprintf(&b, "memory: peak RSS (VmHWM) %s; RSS peak %s in the 2nd quarter, %s in the last; live heap %s before the load, %s after\n",
		mib(r.peakRSS), mib(r.rssEarly), mib(r.rssLate), mib(r.heapStart), mib(r.heapEnd))
	if u.lostReplies > 0 && r.cfg.tolerateLostReplies {
		fmt.Fprintf(&b, "TOLERATED (-tolerate-lost-replies): %d failed commits were applied by the store anyway\n", u.lostReplies)
	}
	if m := r.missed(); len(m) > 0 {
		for _, line := range m {
			fmt.Fprintf(&b, "GOAL MISSED: %s\n", line)
		}
	} else {
		b.WriteString("goals: all met\n")
	}
	return b.String()
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
