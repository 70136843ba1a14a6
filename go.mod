module github.com/b4f9cdbb/session

go 1.24.0
