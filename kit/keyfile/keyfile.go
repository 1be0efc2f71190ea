// Package keyfile writes a secret a server creates on its first start (the
// token key, the audit key) so that a crash never leaves it torn or empty,
// and two first starts never end with two keys.
package keyfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// A Secret names a hex-encoded secret of at least 32 bytes kept in a file,
// for ReadHex and LoadOrCreateHex: What names it in errors ("the audit
// key"), Remedy says how to recover from a damaged file.
type Secret struct{ What, Remedy string }

// ReadHex reads the secret at path: at least 64 hex digits. A missing file
// is os.ErrNotExist; a damaged one is refused with s.Remedy.
func (s Secret) ReadHex(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(string(b))
	secret, err := hex.DecodeString(text)
	if err == nil && len(secret) >= 32 {
		return secret, nil
	}
	what := "is empty"
	if text != "" {
		what = fmt.Sprintf("is not a key of at least 64 hex digits (it holds %d bytes)", len(b))
	}
	return nil, fmt.Errorf("%s %s %s, perhaps cut short by a crash or an edit: %s", s.What, path, what, s.Remedy)
}

// LoadOrCreateHex reads the secret at dir/name, creating a random one of
// 32 bytes (owner-only, whole or not at all: CreateWhole) when there is
// none. Of two processes creating it at once, both end with the one
// published first.
func (s Secret) LoadOrCreateHex(dir, name string) ([]byte, error) {
	path := filepath.Join(dir, name)
	if b, err := s.ReadHex(path); !errors.Is(err, os.ErrNotExist) {
		return b, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	err := CreateWhole(dir, path, []byte(hex.EncodeToString(secret)+"\n"))
	if errors.Is(err, os.ErrExist) { // another process created it first
		return s.ReadHex(path)
	}
	if err != nil {
		return nil, fmt.Errorf("create %s %s: %w", s.What, path, err)
	}
	return secret, nil
}
