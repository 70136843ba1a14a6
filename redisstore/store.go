package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix starts every key the store writes unless WithPrefix says
// otherwise. A prefix is what lets sessions share a Redis database with
// other data, and what a clean-up (SCAN MATCH prefix*) selects.
const DefaultPrefix = "session:"

// Store keeps session records in Redis. It implements store.Store,
// store.Versioned, store.UserIndex and store.Maintenance, and is safe for use by many
// goroutines at once (as the go-redis client is). The zero value is not
// usable; build one with New.
type Store struct {
	client redis.UniversalClient
	prefix string
	now    func() time.Time
	// wantCache: WithClientSideCache was given. fences: set when the
	// client caches reads (see cache.go), nil otherwise.
	wantCache bool
	fences    *fences
}

// Compile-time checks that Store honours the whole contract.
var (
	_ store.Store       = (*Store)(nil)
	_ store.Versioned   = (*Store)(nil)
	_ store.UserIndex   = (*Store)(nil)
	_ store.Maintenance = (*Store)(nil)
)

// Option configures a Store in New.
type Option func(*Store)

// WithPrefix sets the string that starts every key the store writes
// (default DefaultPrefix). Give each application, or each test run, its own
// prefix when they share a Redis database. The prefix must not contain '{'
// or '}': Redis Cluster would take the first {…} as the hash tag and put
// every session in one slot.
func WithPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// WithClock sets the clock that Read, ListUser and the user index compare
// Record.Expires with (default time.Now). Redis expires keys on its own
// clock regardless; this is for callers that must agree with a clock of
// their own. It is not a way to fake time in tests: Redis would not follow.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// New returns a Store that keeps records through client, which may be a
// *redis.Client, a *redis.ClusterClient, a Sentinel failover client or a
// *redis.Ring... anything that implements redis.UniversalClient. The caller
// keeps ownership of the client and closes it. Build the client with
// ContextTimeoutEnabled: true so that context deadlines bound network waits
// (see the package documentation).
//
// New fails if client is nil or the prefix contains a hash-tag brace,
// which would put a session's keys in different Cluster slots.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: New needs a client, got nil")
	}
	s := &Store{client: client, prefix: DefaultPrefix, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if strings.ContainsAny(s.prefix, "{}") {
		return nil, fmt.Errorf("redisstore: prefix %q contains '{' or '}', which would break Redis Cluster hash tags; choose one without braces", s.prefix)
	}
	if s.now == nil {
		s.now = time.Now
	}
	life, why := cacheFences(client)
	if s.wantCache && life == 0 {
		return nil, fmt.Errorf("redisstore: WithClientSideCache: %s", why)
	}
	if life > 0 {
		s.fences = &fences{life: life}
	}
	return s, nil
}

// Prefix returns the prefix of every key the store writes, for clean-up
// scripts and tests that SCAN for them.
func (s *Store) Prefix() string { return s.prefix }

// recordKey is the Redis key of a record; the braces are the Cluster hash
// tag, so everything about one record hashes by its key hex alone.
func (s *Store) recordKey(hexKey string) string {
	return s.prefix + "{" + hexKey + "}"
}

// keys returns recordKey(key.String()) and key.String() in one allocation
// (the hex is a slice of the record key), for the hot Read and write paths.
func (s *Store) keys(key store.Key) (rk, hexKey string) {
	var h [2 * store.KeySize]byte
	hex.Encode(h[:], key[:])
	var b strings.Builder
	b.Grow(len(s.prefix) + len(h) + 2)
	b.WriteString(s.prefix)
	b.WriteByte('{')
	b.Write(h[:])
	b.WriteByte('}')
	rk = b.String()
	return rk, rk[len(s.prefix)+1 : len(rk)-1]
}

// userKey is the Redis key of a user's index. The user ID is hashed so that
// no user ID, whatever characters it holds, can shape the key name.
func (s *Store) userKey(userID string) string {
	sum := sha256.Sum256([]byte(userID))
	return s.prefix + "user:{" + hex.EncodeToString(sum[:]) + "}"
}

// Create inserts rec under key, or returns an error wrapping store.ErrExists
// when the key holds anything. rec.Version is ignored; the record starts at
// version 1. When rec.UserID is set the user index is updated in the same
// round trip.
func (s *Store) Create(ctx context.Context, key store.Key, rec store.Record) error {
	const op = "create"
	if err := ctx.Err(); err != nil {
		return s.fail(ctx, op, key, err)
	}
	rc, ic := s.writeCalls(createScript, key, rec)
	s.runScripts(ctx, rc, ic)
	n, err := rc.cmd.Int64()
	if err != nil {
		return s.fail(ctx, op, key, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: create %s: %w", short(key), store.ErrExists)
	}
	s.wrote(key, 1, "")
	return s.indexResult(ctx, op, key, ic)
}

// Read returns the live record under key in one round trip (HGETALL), or an
// error wrapping store.ErrNotFound when it is absent or expired, or
// store.ErrCorrupt when the key holds something this package did not write.
// With a client-side cache (see WithClientSideCache) a Read of an unchanged
// record makes no round trip at all.
func (s *Store) Read(ctx context.Context, key store.Key) (store.Record, error) {
	const op = "read"
	if err := ctx.Err(); err != nil {
		return store.Record{}, s.fail(ctx, op, key, err)
	}
	rk, hexKey := s.keys(key)
	m, err := s.readHash(ctx, rk, hexKey)
	if err != nil {
		if redis.HasErrorPrefix(err, "WRONGTYPE") {
			return store.Record{}, fmt.Errorf("redisstore: read %s: %w: %w", short(key), ErrCorrupt, err)
		}
		return store.Record{}, s.fail(ctx, op, key, err)
	}
	if len(m) == 0 {
		return store.Record{}, fmt.Errorf("redisstore: read %s: %w", short(key), store.ErrNotFound)
	}
	rec, err := decodeRecord(m)
	if err != nil {
		return store.Record{}, fmt.Errorf("redisstore: read %s: %w", short(key), err)
	}
	if !rec.Expires.After(s.now()) {
		return store.Record{}, fmt.Errorf("redisstore: read %s: %w (expired)", short(key), store.ErrNotFound)
	}
	return rec, nil
}

// Update replaces the live record under key and bumps its version, or
// returns an error wrapping store.ErrNotFound when there is none. It never
// creates a record, which is what keeps a slow request from bringing back a
// session that was deleted at logout.
func (s *Store) Update(ctx context.Context, key store.Key, rec store.Record) error {
	return s.write(ctx, "update", key, rec, "")
}

// CompareAndUpdate replaces the record under key only if its stored version
// is still rec.Version, and bumps the version, atomically inside Redis. It
// returns an error wrapping store.ErrConflict when another writer got there
// first, and store.ErrNotFound when there is no live record.
func (s *Store) CompareAndUpdate(ctx context.Context, key store.Key, rec store.Record) error {
	return s.write(ctx, "compare-and-update", key, rec, strconv.FormatUint(rec.Version, 10))
}

// write is Update (expect == "") and CompareAndUpdate.
func (s *Store) write(ctx context.Context, op string, key store.Key, rec store.Record, expect string) error {
	if err := ctx.Err(); err != nil {
		return s.fail(ctx, op, key, err)
	}
	rc, ic := s.writeCalls(writeScript, key, rec, expect)
	s.runScripts(ctx, rc, ic)
	n, err := rc.cmd.Int64()
	if err != nil {
		return s.fail(ctx, op, key, err)
	}
	s.wrote(key, n, expect)
	switch n {
	case resNotFound:
		return fmt.Errorf("redisstore: %s %s: %w", op, short(key), store.ErrNotFound)
	case resCorrupt:
		return fmt.Errorf("redisstore: %s %s: %w", op, short(key), ErrCorrupt)
	case resConflict:
		return fmt.Errorf("redisstore: %s %s: version %s is stale: %w", op, short(key), expect, store.ErrConflict)
	}
	if n < 1 {
		return fmt.Errorf("redisstore: %s %s: unexpected script result %d", op, short(key), n)
	}
	return s.indexResult(ctx, op, key, ic)
}

// Delete removes the record under key, whatever it holds, and reports
// whether it was a live record (present, readable and not expired on the
// store's clock); an absent key is not an error. The answer is decided by
// the same script that deletes, so of several racing Deletes exactly one
// reports true. A record that named a user is also taken out of that user's
// index, in a second round trip.
func (s *Store) Delete(ctx context.Context, key store.Key) (bool, error) {
	const op = "delete"
	if err := ctx.Err(); err != nil {
		return false, s.fail(ctx, op, key, err)
	}
	hexKey := key.String()
	c := s.deleteCall(hexKey, "")
	s.runScripts(ctx, c)
	r, err := s.removal(c.cmd)
	if err != nil {
		return false, s.fail(ctx, op, key, err)
	}
	s.gone(hexKey)
	if r.user != "" {
		if err := s.client.ZRem(ctx, s.userKey(r.user), hexKey).Err(); err != nil {
			// The record is gone; a stale index member is dropped by the
			// next ListUser or DeleteUser, and expires with the index anyway.
			return r.live, s.fail(ctx, op+" (user index)", key, err)
		}
	}
	return r.live, nil
}

// deleteCall prepares a deleteScript run on the record of hexKey; owner ""
// deletes whoever owns it.
func (s *Store) deleteCall(hexKey, owner string) *scriptCall {
	return &scriptCall{
		script: deleteScript,
		keys:   []string{s.recordKey(hexKey)},
		args:   []any{owner},
	}
}

// removal is what deleteScript reports about one key.
type removal struct {
	deleted bool   // the script deleted the key
	live    bool   // it held a live record that Read would have returned
	user    string // the user field it held, for the user index clean-up
}

// removal decodes deleteScript's reply exactly as Read decodes a record, so
// that "live" means the same in Delete, DeleteUser and DeleteAll as in Read.
func (s *Store) removal(cmd *redis.Cmd) (removal, error) {
	v, err := cmd.Result()
	if errors.Is(err, redis.Nil) {
		return removal{}, nil
	}
	if err != nil {
		return removal{}, err
	}
	list, ok := v.([]any)
	if !ok {
		if b, isBool := v.(bool); isBool && !b { // Lua false over RESP3
			return removal{}, nil
		}
		return removal{}, fmt.Errorf("unexpected delete script reply of type %T", v)
	}
	m := hashReply(list)
	rec, err := decodeRecord(m)
	return removal{
		deleted: true,
		live:    err == nil && rec.Expires.After(s.now()),
		user:    m[fieldUser],
	}, nil
}

// writeCalls prepares a record write (createScript or writeScript, whose
// ARGV[1..6] are the record's fields and expiry, then extra) and the
// user-index update that rides along with it (nil for a record without a
// user).
func (s *Store) writeCalls(script *redis.Script, key store.Key, rec store.Record, extra ...any) (rc, ic *scriptCall) {
	rk, hexKey := s.keys(key)
	// Every write runs through here, so allocations are counted: the three
	// times share one string, and expireAt is boxed once for both calls.
	var buf [96]byte
	b := appendTime(buf[:0], rec.Created)
	c := len(b)
	b = appendTime(b, rec.Updated)
	u := len(b)
	b = appendTime(b, rec.Expires)
	times := string(b)
	expireAt := any(expireAtMillis(rec.Expires))
	args := make([]any, 0, 6+len(extra))
	args = append(args, rec.Data, times[:c], times[c:u], times[u:], rec.UserID, expireAt)
	rc = &scriptCall{
		script: script,
		keys:   []string{rk},
		args:   append(args, extra...),
	}
	if rec.UserID != "" {
		ic = &scriptCall{
			script: indexScript,
			keys:   []string{s.userKey(rec.UserID)},
			args:   []any{hexKey, expireAt, s.now().UnixMilli()},
		}
	}
	return rc, ic
}

// indexResult turns the outcome of the index update of a successful record
// write into the method's result. The record is written either way; the
// error says so, because a session missing from its user's index would
// escape "sign out everywhere".
func (s *Store) indexResult(ctx context.Context, op string, key store.Key, ic *scriptCall) error {
	if ic == nil {
		return nil
	}
	if err := ic.cmd.Err(); err != nil {
		return s.fail(ctx, op+": record written but user index not updated", key, err)
	}
	return nil
}

// scriptCall is one script invocation of a pipelined round trip.
type scriptCall struct {
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
}

// runScripts runs the non-nil calls in one round trip: a lone call through
// Script.Run, several as EVALSHA in one pipeline (on Cluster, go-redis sends
// each node its share in parallel). A call whose script the server has not
// cached (NOSCRIPT: it did not run) is sent again as EVAL. Results and
// errors are left in each call's cmd.
func (s *Store) runScripts(ctx context.Context, calls ...*scriptCall) {
	// Count the calls in place rather than gather them in a new slice:
	// every write comes through here.
	n := 0
	var one *scriptCall
	for _, c := range calls {
		if c != nil {
			n++
			one = c
		}
	}
	switch n {
	case 0:
		return
	case 1:
		one.cmd = one.script.Run(ctx, s.client, one.keys, one.args...)
		return
	}
	// The pipeline's own error is the first failed command's, which each
	// cmd carries as well. No Pipelined closure: capturing calls would move
	// the caller's argument slice to the heap.
	p := s.client.Pipeline()
	for _, c := range calls {
		if c != nil {
			c.cmd = c.script.EvalSha(ctx, p, c.keys, c.args...)
		}
	}
	_, _ = p.Exec(ctx)
	for _, c := range calls {
		if c != nil && redis.HasErrorPrefix(c.cmd.Err(), "NOSCRIPT") {
			c.cmd = c.script.Eval(ctx, s.client, c.keys, c.args...)
		}
	}
}

// fail wraps err for a failed operation on key. When ctx ended during the
// call, the error also wraps ctx.Err(), whatever the driver reported (a
// network timeout, typically), so errors.Is(err, context.DeadlineExceeded)
// holds.
func (s *Store) fail(ctx context.Context, op string, key store.Key, err error) error {
	return wrapCtx(ctx, fmt.Sprintf("redisstore: %s %s", op, short(key)), err)
}

// failUser is fail for the user-index operations; it leaves the user ID out
// of the message, as user IDs may be personal data.
func (s *Store) failUser(ctx context.Context, op string, err error) error {
	return wrapCtx(ctx, "redisstore: "+op, err)
}

func wrapCtx(ctx context.Context, msg string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%s: %w: %w", msg, cerr, err)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// short is a key's first 16 hex digits: enough to find it in Redis with
// SCAN, short enough for a log line. Keys are hashes, so they are safe to
// log.
func short(k store.Key) string { return k.String()[:16] }
