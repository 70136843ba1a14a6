package bench

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/redis/go-redis/v9"
)

// Handlers are one implementation's handlers of the four workloads.
//
//   - Read loads the session and answers its counter, or 401 when the
//     session has no user.
//   - ReadModifyWrite loads the session, increments the counter, saves the
//     session and answers the new counter.
//   - New signs in: it sets the counter to 1 and the user, saves the
//     session and answers "1".
//   - FlashSet sets the flash message FlashKey = FlashValue and saves;
//     FlashGet takes it (answering it, or "" when there is none) and saves
//     its removal.
//
// A failed load or save answers 500.
type Handlers struct {
	Read, ReadModifyWrite, New, FlashSet, FlashGet http.Handler
}

// Env is what adapters may need from the machine.
type Env struct {
	// Dir is a scratch directory for file-backed stores; it is the
	// caller's to remove.
	Dir string
	// RedisAddr is a Redis server on this machine; "" skips the adapters
	// that need one.
	RedisAddr string
	// PostgresDSN and MySQLDSN name a PostgreSQL and a MySQL or MariaDB
	// database (pgx and go-sql-driver syntax); "" skips the adapters that
	// need them. Each adapter works in a table of its own and drops it.
	PostgresDSN, MySQLDSN string
	// RedisHooks are added to this module's Redis client (to count round
	// trips in the tests).
	RedisHooks []redis.Hook
}

// ErrSkip is returned, wrapped with the variable to set, by Adapter.Open
// and OpenBackend when the environment lacks the server they need.
var ErrSkip = errors.New("bench: adapter needs a server that is not configured")

// Adapter is one session implementation.
type Adapter struct {
	// Name identifies it in benchmark names and tables.
	Name string
	// Library is "session" (this module), "gorilla", "scs" or "none".
	Library string
	// Open builds the handlers; close releases what they hold (stores,
	// connections, keys written to Redis, tables).
	Open func(env Env) (h Handlers, close func() error, err error)
	// ServerSide is true when the cookie carries only an ID and the
	// session lives in a store that every request shares: the
	// implementations the shared-session load test (cmd/load -shared)
	// runs, since many requests can then write one session at once.
	ServerSide bool
}

// Floor is the name of the adapter that uses no session at all.
const Floor = "floor"

// Adapters returns every implementation, the floor first.
func Adapters() []Adapter {
	return []Adapter{
		{Name: Floor, Library: "none", Open: openFloor},
		{Name: "session-signed", Library: "session", Open: openSessionSigned},
		{Name: "session-sealed", Library: "session", Open: openSessionSealed},
		{Name: "session-memory", Library: "session", Open: openServerSide("memory"), ServerSide: true},
		{Name: "session-sqlite", Library: "session", Open: openServerSide("sqlite"), ServerSide: true},
		{Name: "session-redis", Library: "session", Open: openServerSide("redis"), ServerSide: true},
		{Name: "session-redis-cached", Library: "session", Open: openServerSide("redis-cached"), ServerSide: true},
		{Name: "session-postgres", Library: "session", Open: openServerSide("postgres"), ServerSide: true},
		{Name: "session-mariadb", Library: "session", Open: openServerSide("mariadb"), ServerSide: true},
		{Name: "gorilla-cookie", Library: "gorilla", Open: openGorillaCookie},
		{Name: "gorilla-cookie-aes", Library: "gorilla", Open: openGorillaCookieAES},
		{Name: "gorilla-fs", Library: "gorilla", Open: openGorillaFS, ServerSide: true},
		{Name: "scs-memory", Library: "scs", Open: openSCSMemory, ServerSide: true},
		{Name: "scs-redis", Library: "scs", Open: openSCSRedis, ServerSide: true},
	}
}

// randomPrefix returns a Redis key prefix no other run uses.
func randomPrefix(what string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "bench-" + what + "-" + hex.EncodeToString(b[:]) + ":"
}

// Test-only fixed keys: the benchmark's secrets are not secret.
const (
	secret     = "bq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"
	hashKey    = "hq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6hq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6" // 64 bytes, HMAC-SHA256
	blockKey   = "kq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"                                 // 32 bytes, AES-256
	cookieName = "session"
)
