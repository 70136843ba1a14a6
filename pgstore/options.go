package pgstore

import (
	"log/slog"
	"time"

	"github.com/b4f9cdbb/session/internal/sqlstore"
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

// Option configures a Store in New. Make one with a With… function of this
// package; the zero Option changes nothing.
type Option struct{ set sqlstore.Option }

func (o Option) unwrap() sqlstore.Option { return o.set }

// WithTable sets the table name, for example to keep two applications'
// sessions in one database apart. It must be a plain identifier (letters,
// digits and underscores, not starting with a digit, at most 48 characters,
// leaving room for the index names derived from it); anything else makes
// New fail, because the name ends up in SQL text (quoted as an identifier).
func WithTable(name string) Option { return Option{sqlstore.WithTable(name)} }

// WithJanitorInterval sets how often expired rows are deleted in the
// background. Zero turns the janitor off, for applications that call
// DeleteExpired from their own scheduler; a negative interval is an error.
func WithJanitorInterval(d time.Duration) Option {
	return Option{sqlstore.WithJanitorInterval(d)}
}

// WithBatchSize sets how many expired rows one janitor statement deletes at
// most. Smaller batches hold row locks for less time; the janitor keeps
// deleting batches until none is full.
func WithBatchSize(n int) Option { return Option{sqlstore.WithBatchSize(n)} }

// WithClock sets the clock that decides whether a record has expired. Every
// expiry comparison uses this clock's reading, sent as a query parameter, so
// that tests can move time and the database server's clock never disagrees
// with the application's.
func WithClock(now func() time.Time) Option { return Option{sqlstore.WithClock(now)} }

// WithLogger sets where the janitor reports failures, since it has no caller
// to return them to. The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return Option{sqlstore.WithLogger(l)} }
