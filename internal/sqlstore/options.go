package sqlstore

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"
)

// Defaults of the options. The store packages declare them again under the
// same names (DefaultTable, …), as literals so that their godoc shows the
// values rather than this package; sqltest.SameDefaults checks that they
// agree.
const (
	DefaultTable           = "sessions"
	DefaultJanitorInterval = 5 * time.Minute
	DefaultBatchSize       = 1000
)

// identifier is what a table name may look like. Table names cannot be query
// parameters, so they are checked against this pattern and then quoted by
// the dialect, never interpolated as given. 48 characters leave room for the
// index names derived from the table name within every server's limit.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,47}$`)

// Config is what the options set. Its fields are unexported: only the
// options below change them, and each checks its value.
type Config struct {
	name     string // the store package, for error messages
	table    string
	interval time.Duration
	batch    int
	now      func() time.Time
	log      *slog.Logger
}

// Option sets one field of a Config, or says why it cannot. Each store
// package wraps it in an Option type of its own, an opaque struct, so that
// no exported signature of a store names this internal package.
type Option func(*Config) error

// WithTable sets the table name; it must be a plain identifier.
func WithTable(name string) Option {
	return func(c *Config) error {
		if !identifier.MatchString(name) {
			return fmt.Errorf("%s: table name %q is not a plain identifier", c.name, name)
		}
		c.table = name
		return nil
	}
}

// WithJanitorInterval sets how often expired rows are deleted; zero turns
// the janitor off, a negative interval is an error.
func WithJanitorInterval(d time.Duration) Option {
	return func(c *Config) error {
		if d < 0 {
			return fmt.Errorf("%s: janitor interval %v is negative", c.name, d)
		}
		c.interval = d
		return nil
	}
}

// WithBatchSize sets how many expired rows one statement deletes at most.
func WithBatchSize(n int) Option {
	return func(c *Config) error {
		if n <= 0 {
			return fmt.Errorf("%s: batch size %d is not positive", c.name, n)
		}
		c.batch = n
		return nil
	}
}

// WithClock sets the clock every expiry comparison uses.
func WithClock(now func() time.Time) Option {
	return func(c *Config) error {
		if now == nil {
			return fmt.Errorf("%s: clock is nil", c.name)
		}
		c.now = now
		return nil
	}
}

// WithLogger sets where the janitor reports failures.
func WithLogger(l *slog.Logger) Option {
	return func(c *Config) error {
		if l == nil {
			return fmt.Errorf("%s: logger is nil", c.name)
		}
		c.log = l
		return nil
	}
}

// NewConfig applies opts, in order, to the defaults; unwrap gives the
// Option inside a store package's option, nil for its zero value, which
// changes nothing. name is the store package that error messages start
// with. The first invalid option's error is returned.
func NewConfig[O any](name string, opts []O, unwrap func(O) Option) (Config, error) {
	if name == "" {
		return Config{}, errors.New("sqlstore: config without a store name")
	}
	c := Config{
		name:     name,
		table:    DefaultTable,
		interval: DefaultJanitorInterval,
		batch:    DefaultBatchSize,
		now:      time.Now,
		log:      slog.Default(),
	}
	for _, o := range opts {
		set := unwrap(o)
		if set == nil {
			continue
		}
		if err := set(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}
