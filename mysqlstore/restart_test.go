package mysqlstore

import (
	"testing"

	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
)

// TestServerRestart stops and restarts the machine's MariaDB server under a
// live db (see sqltest.ServerRestart); only with SESSION_TEST_RESTART=1.
// The start command is the one the machine notes give; mariadb-admin
// shutdown waits until the server has stopped.
func TestServerRestart(t *testing.T) {
	sqltest.ServerRestart(t, sqltest.Restart{
		Server: "MariaDB",
		Stop:   `mariadb-admin -uroot shutdown`,
		Start:  `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`,
	}, func() *Store { return testStore(t, testDB(t), WithJanitorInterval(0)) })
}
