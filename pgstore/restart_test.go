package pgstore

import (
	"testing"

	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
)

// TestServerRestart stops and restarts the machine's PostgreSQL cluster
// under a live pool (see sqltest.ServerRestart); only with
// SESSION_TEST_RESTART=1. The start command is the one the machine notes
// give.
func TestServerRestart(t *testing.T) {
	sqltest.ServerRestart(t, sqltest.Restart{
		Server: "PostgreSQL",
		Stop:   `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main stop`,
		Start:  `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
	}, func() *Store { return testStore(t, testPool(t), WithJanitorInterval(0)) })
}
