// Package filestore keeps session records as files in one directory.
//
//	s, err := filestore.New(filepath.Join(stateDir, "sessions"))
//	if err != nil {
//		return err // names the directory and says how to fix it
//	}
//	defer s.Close()
//	sessions, err := session.NewStorage(s, cfg)
//
// Each record is one file named by its key (64 lowercase hex digits: the
// SHA-256 hash of the session ID, never the ID itself), mode 0600. A file
// holds a small versioned binary header (format version, Created, Updated,
// Expires as Unix milliseconds, the record version and the user ID), then
// the session data and a checksum; a damaged file reads as an error
// wrapping store.ErrCorrupt.
//
// Writes are crash-safe: the new contents go to a temp file in the same
// directory (".tmp-…"), which is written, fsynced and closed, then renamed
// over the record (Create links it instead, see below) and the directory is
// fsynced. A reader therefore sees the old record or the new one, never a
// mix, even after a crash or power loss.
//
// The store implements store.Versioned, store.UserIndex and
// store.Maintenance. The user index is a folder per user, users/<SHA-256
// hex of the user ID>/, holding one empty marker file per session, named by
// key; ListUser reads that folder and checks each record, so it never scans
// every session.
//
// # A directory nobody else can write
//
// Whoever can write the directory can replace any record, and so forge any
// user's session. New therefore refuses a directory that is a symbolic link
// (checked with Lstat, never followed), that another user owns, or that its
// group or others may write, and the error names the directory and the
// command that fixes it. The same holds for its "users" subfolder. A
// missing directory is created with mode 0700, and so are its missing
// parents. An existing one may let group or others read and search it (the
// names are hashes, the files stay 0600), never write.
//
// New checks the directory, not its parents: whoever can write a parent
// can rename the directory away and put their own in its place later. Keep
// it in a folder only you can write, such as os.UserCacheDir or a service's
// state directory (systemd's StateDirectory=), never directly in a shared
// temporary directory like /tmp.
//
// On systems other than Unix (Windows), where ownership and access are
// ACLs that Go's permission bits do not show, New checks only that the
// path is a real directory and not a symbolic link; keep it under the
// user's profile (%LocalAppData%), whose ACL admits only that user.
//
// # Corrupt files
//
// A record file this package cannot decode (truncated, edited, junk, a
// newer format) is reported by Read as an error wrapping store.ErrCorrupt,
// never as "not found". Delete removes it, ListUser leaves it out,
// DeleteUser deletes it without counting it, and DeleteExpired (the
// janitor) deletes it too, so that one bad file never locks its user out. A user's index
// folder that is not a folder (a file or a link in its place) is removed
// and rebuilt the same way.
//
// # Floods of new sessions
//
// Every new session is one file until it expires, and a client that sends
// no cookie gets a new session per request if the application commits it.
// The janitor deletes expired files faster than Create writes new ones
// (Create syncs twice per file, the janitor once per run), so what piles
// up is live sessions: a flood of R new sessions a second leaves about
// R × IdleTimeout files on disk.
//
// A file takes one file-system block and one inode, whatever its size: the
// anonymous session of the demo's counter is a file of 77 bytes that uses
// 4 KiB on ext4 (a signed-in session adds an empty marker file, one more
// inode). With the default 24-hour idle timeout, 100 new sessions a second
// leave 8.6 million files: 33 GiB of blocks and 8.6 million inodes. An
// ext4 file system has one inode per 16 KiB by default, so inodes run out
// first, when sessions fill a quarter of the disk; "df -i" shows them.
//
// What to do, from most to least effective:
//   - Commit a session only once it holds something worth keeping (a
//     login, a cart), so that a request without a cookie writes nothing.
//   - Shorten session.Config.IdleTimeout (every commit slides it, so
//     active users stay signed in): the number of files is rate × idle
//     timeout, and an hour instead of a day is 24 times fewer.
//   - Rate-limit new sessions per client address in front of the
//     application.
//   - Cap the number of files with WithMaxFiles: past the cap Create fails
//     with ErrFull, so the disk never fills; new sessions (logins too) fail
//     until the janitor deletes expired ones, while existing sessions keep
//     working.
//
// # Several processes sharing one directory
//
// Guaranteed across processes: Create is insert-only (it publishes the
// record with a hard link, which fails if the name exists), readers never
// see a torn record, and a record file is only ever written whole.
//
// Guaranteed only within one process: Update, CompareAndUpdate and Delete
// of one key are serialized by an in-process lock, and so is Delete's
// report of whether it removed a live record. Two processes can interleave
// them, so an Update racing a Delete in another process can bring a deleted
// session back, two CompareAndUpdate calls from the same read can both
// succeed, and two Deletes of one session in two processes can both report
// that they removed it. The WithMaxFiles cap is counted per process (and
// recounted by every DeleteExpired). Run one process per directory, or use
// a database store, when you need those guarantees across servers.
//
// The directory must be on a file system with hard links and an atomic
// rename (any local POSIX file system; not most network shares).
package filestore
