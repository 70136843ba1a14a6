module github.com/b4f9cdbb/session/mysqlstore

go 1.24.0

require (
	github.com/b4f9cdbb/session v0.1.0
	github.com/go-sql-driver/mysql v1.10.1
	go.uber.org/goleak v1.3.0
)

require filippo.io/edwards25519 v1.2.0 // indirect
