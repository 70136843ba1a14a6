package filestore

import "os"

// fileSystem is what the write path asks of the operating system. The
// store uses osFS; tests substitute one that fails at a chosen step to show
// that a failed write never tears a record or leaves a temp file behind.
type fileSystem interface {
	// CreateTemp creates a new file with mode 0600 in dir.
	CreateTemp(dir, pattern string) (tempFile, error)
	Link(oldname, newname string) error
	Rename(oldpath, newpath string) error
	Remove(name string) error
	// SyncDir makes the directory's entries (a new or renamed name)
	// durable.
	SyncDir(dir string) error
}

// tempFile is the part of *os.File the write path uses.
type tempFile interface {
	Name() string
	Write(b []byte) (int, error)
	Sync() error
	Close() error
}

// osFS is the real file system.
type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }
func (osFS) Link(oldname, newname string) error               { return os.Link(oldname, newname) }
func (osFS) Rename(oldpath, newpath string) error             { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error                         { return os.Remove(name) }

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
