// Command soak puts one session store under a long, shared load while its
// server is stopped and started again, and checks that no session update is
// lost on the way.
//
//	go run ./soak -store redis -duration 3m -clients 16
//
// # What it runs
//
// An in-process HTTP application on 127.0.0.1 (two instances by default,
// each with its own session.Storage and, for the server stores, its own
// connection pool, as two replicas behind a load balancer would have) whose
// GET / loads the session, increments a counter with s.Update and commits.
// The commit is the last thing that can fail: once it returned, the answer
// is 200 and the new count.
//
// Parallel clients share a few sessions (16 clients over 4 sessions by
// default, each client sending its session's cookie), at a bounded total
// rate, for a bounded time, over loopback only.
//
// # Chaos
//
// For redis, postgres and mysql the command starts a throw-away server of its
// own on a free loopback port in a temporary directory (redis-server with an
// fsynced append-only file; PostgreSQL's initdb and postgres, run as the
// postgres user when the command runs as root; mariadb-install-db and
// mariadbd), never the machine's shared servers. While the load runs it
// stops that server (a clean shutdown, or a crash with -crash), keeps it down
// for a moment and starts it again, over and over. For memory, file and
// sqlite there is no server: a store wrapper fails every store call during
// the same windows instead, which checks the library's side of an outage.
//
// # What it reports, and the goals
//
// Requests, answers by status code (while every server was up, and while one
// was down or coming back), lost updates, updates applied although their
// request failed, sessions lost, latency, peak RSS and goroutines. The
// command exits with status 1 and names each goal it missed:
//
//   - no lost update: each session's final counter, read through a fresh
//     request, is at least the number of its increments answered 2xx;
//   - no failed update applied: the final counter is at most that number
//     (a 5xx increment must not have been applied);
//   - no session lost across a restart (a session that reads as new again);
//   - while a server is down, only 200 or 5xx answers;
//   - while every server is up, only 200 answers;
//   - goroutines back to their level before the load (within
//     -goroutine-slack) once the clients stopped and idle connections
//     closed, and back to the level before the run once everything closed;
//   - resident memory not growing through the run (-rss-growth).
//
// Setup failures (a server that does not start) exit with status 2.
//
// TestSoakShort runs a short form of every store when SESSION_SOAK=1.
package main
