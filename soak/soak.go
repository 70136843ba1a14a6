package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// config is one soak run.
type config struct {
	store     string
	duration  time.Duration
	clients   int
	sessions  int
	instances int
	rate      float64 // requests per second, all clients together
	chaos     bool
	schedule  schedule
	opTimeout time.Duration // bounds a request's store calls on the server

	goroutineSlack int   // goroutines the end may exceed the start by
	rssSlack       int64 // bytes the late RSS may exceed the early RSS by
	heapSlack      int64 // bytes the live heap may grow by

	// tolerateLostReplies does not fail the run for increments applied
	// although their commit failed, up to the number of failed commits.
	tolerateLostReplies bool

	bug bug // planted by the soak's own tests only
}

// check refuses a configuration that cannot run.
func (c *config) check() error {
	switch {
	case c.duration <= 0:
		return errors.New("-duration must be positive")
	case c.clients < 1 || c.sessions < 1 || c.instances < 1:
		return errors.New("-clients, -sessions and -instances must be at least 1")
	case c.sessions > c.clients:
		return fmt.Errorf("-sessions %d > -clients %d: some sessions would have no client", c.sessions, c.clients)
	case c.rate <= 0:
		return errors.New("-rate must be positive")
	case c.chaos && (c.schedule.up <= 0 || c.schedule.down < 0 || c.schedule.grace < 0):
		return errors.New("-up must be positive, -down and -grace not negative")
	}
	return nil
}

// run sets the store up, drives it under chaos for the configured time,
// reads the counters back and tears everything down, measuring on the way.
// An error means the run itself could not be done (a server that does not
// start); what the run found is in the result.
func run(ctx context.Context, cfg config) (*result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	res := &result{cfg: cfg, goroutinesBefore: steadyGoroutines()}
	b, err := newBackend(ctx, cfg.store, cfg.bug)
	if err != nil {
		return nil, fmt.Errorf("setting up the %s store: %w", cfg.store, err)
	}
	closed := false
	defer func() {
		if !closed {
			b.close()
		}
	}()
	secret := make([]byte, 32)
	rand.Read(secret)
	var (
		rc      races
		urls    []string
		servers []*appServer
		closers []func()
	)
	defer func() {
		for _, s := range servers {
			s.close()
		}
		for _, c := range closers {
			c()
		}
	}()
	for range cfg.instances {
		st, closeStore, err := b.open(ctx)
		if err != nil {
			return nil, fmt.Errorf("opening the %s store: %w", cfg.store, err)
		}
		closers = append(closers, closeStore)
		a, err := newApp(st, hex.EncodeToString(secret), cfg.opTimeout, &rc)
		if err != nil {
			return nil, err
		}
		srv, err := listen(a.handler())
		if err != nil {
			return nil, err
		}
		servers = append(servers, srv)
		urls = append(urls, srv.url)
	}

	o := &outages{}
	l := newLoad(urls, cfg.clients, o)
	if err := l.begin(cfg.sessions); err != nil {
		return nil, err
	}
	l.client.CloseIdleConnections()
	res.goroutinesStart = steadyGoroutines()
	res.heapStart = liveHeap()
	rss := sampleRSS(250 * time.Millisecond)

	started := time.Now()
	loadCtx, stopLoad := context.WithTimeout(ctx, cfg.duration)
	defer stopLoad()
	chaosDone := make(chan error, 1)
	if cfg.chaos {
		go func() { chaosDone <- chaos(loadCtx, b, cfg.schedule, o) }()
	} else {
		chaosDone <- nil
	}
	l.run(loadCtx, cfg.clients, cfg.rate)
	stopLoad()
	if err := <-chaosDone; err != nil {
		rss.stop()
		return nil, err
	}
	res.elapsed = time.Since(started)
	res.outages, res.downtime = o.count()

	res.finals = l.final()
	res.rssEarly, res.rssLate = rss.stop()
	for _, s := range l.sessions {
		res.oks = append(res.oks, s.ok.Load())
		res.uncertain = append(res.uncertain, s.uncertain.Load())
		res.lost = append(res.lost, s.lost.Load())
	}
	res.tally = l.tally
	res.retried, res.maxAttempts = rc.retried.Load(), rc.maxAttempts.Load()

	l.client.CloseIdleConnections()
	res.goroutinesEnd = goroutinesDownTo(res.goroutinesStart)
	res.heapEnd = liveHeap()
	for _, s := range servers {
		s.close()
	}
	for _, c := range closers {
		c()
	}
	servers, closers = nil, nil
	b.close()
	closed = true
	res.goroutinesClosed = goroutinesDownTo(res.goroutinesBefore)
	res.peakRSS = procStatus("VmHWM")
	return res, nil
}
