package sqlitestore

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"
)

// DefaultTable is the table name used unless WithTable says otherwise.
const DefaultTable = "sessions"

// DefaultJanitorInterval is how often the janitor deletes expired rows unless
// WithJanitorInterval says otherwise: often enough that the table does not
// grow with dead sessions, rarely enough to cost nothing measurable.
const DefaultJanitorInterval = 5 * time.Minute

// DefaultBatchSize is how many expired rows one janitor statement deletes at
// most, so that a large backlog never becomes one long, lock-heavy statement.
const DefaultBatchSize = 1000

// identifier is what a table name may look like. Table names cannot be query
// parameters, so they are checked against this pattern and then quoted,
// never interpolated as given.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,47}$`)

type config struct {
	table    string
	interval time.Duration
	batch    int
	now      func() time.Time
	log      *slog.Logger
}

// Option configures a Store in New.
type Option func(*config) error

// WithTable sets the table name, for example to keep two applications'
// sessions in one database apart. It must be a plain identifier (letters,
// digits and underscores, not starting with a digit, at most 48 characters, leaving room for the index names derived from it);
// anything else makes New fail, because the name ends up in SQL text.
func WithTable(name string) Option {
	return func(c *config) error {
		if !identifier.MatchString(name) {
			return fmt.Errorf("sqlitestore: table name %q is not a plain identifier", name)
		}
		c.table = name
		return nil
	}
}

// WithJanitorInterval sets how often expired rows are deleted in the
// background. Zero turns the janitor off, for applications that call
// DeleteExpired from their own scheduler; a negative interval is an error.
func WithJanitorInterval(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("sqlitestore: janitor interval %v is negative", d)
		}
		c.interval = d
		return nil
	}
}

// WithBatchSize sets how many expired rows one janitor statement deletes at
// most. Smaller batches hold locks for less time; the janitor keeps deleting
// batches until none is full.
func WithBatchSize(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("sqlitestore: batch size %d is not positive", n)
		}
		c.batch = n
		return nil
	}
}

// WithClock sets the clock that decides whether a record has expired. Every
// expiry comparison uses this clock's reading, sent as a query parameter, so
// that tests can move time and the database server's clock never disagrees
// with the application's.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("sqlitestore: clock is nil")
		}
		c.now = now
		return nil
	}
}

// WithLogger sets where the janitor reports failures, since it has no caller
// to return them to. The default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("sqlitestore: logger is nil")
		}
		c.log = l
		return nil
	}
}

func newConfig(opts []Option) (config, error) {
	c := config{
		table:    DefaultTable,
		interval: DefaultJanitorInterval,
		batch:    DefaultBatchSize,
		now:      time.Now,
		log:      slog.Default(),
	}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}
