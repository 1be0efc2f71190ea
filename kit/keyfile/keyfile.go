// Package keyfile writes a secret a server creates on its first start (the
// token key, the audit key) so that a crash never leaves it torn or empty,
// and two first starts never end with two keys.
package keyfile

import (
	"errors"
	"os"
	"path/filepath"
)

// AfterTempWritten runs between writing the data and publishing it; tests
// set it to crash there.
var AfterTempWritten = func() {}

// CreateWhole creates path with data unless it exists (os.ErrExist then).
// The data reaches the disk under a temporary name first (mode 0600) and
// is then linked in: a link, unlike a rename, fails when another process
// published its key in the meantime instead of replacing a key already in
// use.
func CreateWhole(dir, path string, data []byte) error {
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // once linked, path keeps the data
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	AfterTempWritten()
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return err
		}
		// A file system without hard links: rename, checking first, which
		// leaves a short race between two first starts but never a torn
		// file.
		if _, serr := os.Lstat(path); serr == nil {
			return os.ErrExist
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	}
	// The new directory entry must survive a power loss as well.
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
