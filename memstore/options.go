package memstore

import "time"

// DefaultSweepInterval is how often the sweeper frees expired records unless
// WithSweepInterval says otherwise. Expired records are invisible at once;
// the interval only bounds how long their memory stays in use.
const DefaultSweepInterval = time.Minute

// DefaultMaxEntries is how many records a store holds unless WithMaxEntries
// says otherwise. A record with 200 bytes of session data takes about 460
// bytes of heap when anonymous and 510 when signed in (TestBytesPerSession
// measures it and fails above 600), so the default cap bounds the store at
// about 50 MB (60 MB at most) of live heap; every further byte of session
// data adds up to DefaultMaxEntries bytes (100 MB more at 1 KiB more per
// session). With the default GOGC=100 the process may use up to about
// twice its live heap.
//
// The cap is what keeps a flood of cookie-less requests, each of which
// starts a new anonymous session, from exhausting the server's memory: at
// the cap, new anonymous sessions push out older anonymous ones, not the
// sessions of signed-in users (see WithMaxEntries). 100 000 live sessions
// is plenty for a single server; raise it if yours has more signed-in
// users and the memory for them.
const DefaultMaxEntries = 100_000

// Option configures a Store built by New.
type Option func(*config)

type config struct {
	clock      func() time.Time
	sweepEvery time.Duration
	maxEntries int
}

func defaultConfig() config {
	return config{clock: time.Now, sweepEvery: DefaultSweepInterval, maxEntries: DefaultMaxEntries}
}

// WithClock sets the clock the store compares Record.Expires with. Tests use
// it to expire records without sleeping; the default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.clock = now
		}
	}
}

// WithSweepInterval sets how often the background sweeper frees expired
// records (default DefaultSweepInterval). A shorter interval frees memory
// sooner at the cost of more frequent locking; d <= 0 runs no sweeper, so
// expired records then stay in memory until they are deleted, replaced,
// evicted or freed by a call to DeleteExpired.
func WithSweepInterval(d time.Duration) Option {
	return func(c *config) { c.sweepEvery = d }
}

// WithMaxEntries sets how many records the store holds at most (default
// DefaultMaxEntries); n <= 0 keeps the default. Size it from your sessions:
// a record takes about 260 bytes of heap (310 when signed in) plus its
// data.
//
// When the store is full, Create makes room by evicting one record, chosen
// in this order: an expired record; else an anonymous one (Record.UserID is
// empty); else a signed-in one. Within each class the record that expires
// soonest goes first, which is the one its user would lose first anyway.
// So a flood of new anonymous sessions pushes out anonymous sessions, and
// signed-in users keep theirs as long as those alone do not fill the cap.
//
// The store is split into shards, a power of two of them, at most 64 and
// at most one per 1024 records of the cap (a cap under 2048 gives one
// shard), and each shard holds an equal share of n, so the total never
// exceeds n. The order above holds within a shard: a shard whose share is
// full evicts even if another has room, and a signed-in session is evicted
// only when its shard holds nothing but signed-in sessions. Keys are
// hashes, so shards fill evenly: at the default cap the first eviction
// comes when the store holds about 94% of n records, and after n creates
// it holds about 99% of n.
//
// There is deliberately no "unlimited" setting: a store without a cap lets
// any client that sends requests without a cookie grow the server's memory
// without bound. If you need more, pass a larger n that your memory holds.
func WithMaxEntries(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxEntries = n
		}
	}
}
