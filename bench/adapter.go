package bench

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"os"

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
	// RedisHooks are added to this module's Redis client (to count round
	// trips in the tests).
	RedisHooks []redis.Hook
}

// EnvRedis names the variable that points at a disposable Redis server,
// as in the store modules' tests.
const EnvRedis = "SESSION_TEST_REDIS_ADDR"

// EnvFromOS returns an Env with RedisAddr from SESSION_TEST_REDIS_ADDR.
func EnvFromOS(dir string) Env {
	return Env{Dir: dir, RedisAddr: os.Getenv(EnvRedis)}
}

// ErrSkip is returned by Adapter.Open when the environment lacks what the
// adapter needs (a Redis server).
var ErrSkip = errors.New("bench: adapter needs a server that is not configured")

// Adapter is one session implementation.
type Adapter struct {
	// Name identifies it in benchmark names and tables.
	Name string
	// Library is "session" (this module), "gorilla", "scs" or "none".
	Library string
	// Open builds the handlers; close releases what they hold (stores,
	// connections, keys written to Redis).
	Open func(env Env) (h Handlers, close func() error, err error)
}

// Floor is the name of the adapter that uses no session at all.
const Floor = "floor"

// Adapters returns every implementation, the floor first.
func Adapters() []Adapter {
	return []Adapter{
		{Floor, "none", openFloor},
		{"session-signed", "session", openSessionSigned},
		{"session-sealed", "session", openSessionSealed},
		{"session-memory", "session", openSessionMemory},
		{"session-sqlite", "session", openSessionSQLite},
		{"session-redis", "session", openSessionRedis},
		{"gorilla-cookie", "gorilla", openGorillaCookie},
		{"gorilla-cookie-aes", "gorilla", openGorillaCookieAES},
		{"gorilla-fs", "gorilla", openGorillaFS},
		{"scs-memory", "scs", openSCSMemory},
		{"scs-redis", "scs", openSCSRedis},
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
