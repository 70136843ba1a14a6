package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

// cli runs the command and returns its exit status: 0 when every goal was
// met, 1 when one was missed, 2 when the run could not be done.
func cli(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return 2
	}
	fmt.Fprint(stdout, res)
	if len(res.missed()) > 0 {
		return 1
	}
	return 0
}

// defaults is the configuration the flags start from.
func defaults() config {
	return config{
		store:     "memory",
		duration:  3 * time.Minute,
		clients:   16,
		sessions:  4,
		instances: 2,
		rate:      200,
		chaos:     true,
		schedule: schedule{
			up:   20 * time.Second,
			down: 3 * time.Second,
		},
		opTimeout:      5 * time.Second,
		goroutineSlack: 5,
		rssSlack:       32 << 20,
		heapSlack:      8 << 20,
	}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	c := defaults()
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./soak [flags]\n\nPuts one session store under shared load while its server is stopped and started; see the package documentation.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.store, "store", c.store, "store to soak: "+strings.Join(storeNames, ", "))
	fs.DurationVar(&c.duration, "duration", c.duration, "how long the clients send requests")
	fs.IntVar(&c.clients, "clients", c.clients, "parallel clients")
	fs.IntVar(&c.sessions, "sessions", c.sessions, "sessions the clients share (client i uses session i mod this)")
	fs.IntVar(&c.instances, "instances", c.instances, "application instances, each with its own storage and store client; clients spread their requests over them")
	fs.Float64Var(&c.rate, "rate", c.rate, "requests per second, all clients together")
	fs.BoolVar(&c.chaos, "chaos", c.chaos, "stop and start the store's server during the run (a fault window for memory, file and sqlite)")
	fs.DurationVar(&c.schedule.up, "up", c.schedule.up, "time the store stays up before each stop")
	fs.DurationVar(&c.schedule.down, "down", c.schedule.down, "time the store stays down")
	fs.DurationVar(&c.schedule.grace, "grace", c.schedule.grace, "time after a restart still counted as the outage (0: errors right after the server answers again miss the goal)")
	fs.BoolVar(&c.schedule.crash, "crash", c.schedule.crash, "kill the server (SIGKILL; PostgreSQL: immediate shutdown) instead of stopping it cleanly")
	fs.DurationVar(&c.opTimeout, "op-timeout", c.opTimeout, "bound on one request's store calls on the server")
	fs.IntVar(&c.goroutineSlack, "goroutine-slack", c.goroutineSlack, "goroutines the end of the run may exceed its start by")
	fs.BoolVar(&c.tolerateLostReplies, "tolerate-lost-replies", c.tolerateLostReplies, "do not fail the run for increments the store applied although their commit failed (the store's reply lost in the shutdown), as long as there are no more of them than failed commits; they are still reported")
	rss := fs.Int64("rss-slack", c.rssSlack>>20, "MiB the RSS late in the run may exceed the RSS early in it by")
	heap := fs.Int64("heap-slack", c.heapSlack>>20, "MiB the live heap may grow by through the run")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments %q: give flags only", fs.Args())
		fmt.Fprintln(stderr, "soak:", err)
		return c, err
	}
	c.rssSlack, c.heapSlack = *rss<<20, *heap<<20
	if err := c.check(); err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return c, err
	}
	return c, nil
}
