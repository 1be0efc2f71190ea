package audit

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/acme/bpo/kit/keyfile"
)

// KeyFile is the name of the audit key in the data directory.
const KeyFile = "audit-hmac.key"

// Key is the secret that seals a service's audit log. One secret of at
// least 32 bytes gives two keys: an HMAC-SHA256 key that chains the events
// and an Ed25519 key that signs checkpoints. Both are derived, so that a
// single file is kept and backed up, and neither use can stand in for the
// other.
type Key struct {
	chain []byte
	sign  ed25519.PrivateKey
	id    string
}

// NewKey derives the audit keys from secret (at least 32 bytes).
func NewKey(secret []byte) (*Key, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("an audit key needs at least 32 bytes, got %d", len(secret))
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	k := &Key{
		chain: derive("bpo audit chain v1"),
		sign:  ed25519.NewKeyFromSeed(derive("bpo audit checkpoint v1")),
	}
	sum := sha256.Sum256(k.PublicKey())
	k.id = hex.EncodeToString(sum[:8])
	return k, nil
}

// ID names the key without revealing it: the first 16 hex digits of the
// SHA-256 of its public key. The log stores it, so that a server started
// with another key refuses to write rather than write events nobody can
// verify.
func (k *Key) ID() string { return k.id }

// PublicKey is the Ed25519 key that checks the checkpoints k signs; it can
// be handed to auditors, who can then check checkpoints but not make them.
func (k *Key) PublicKey() ed25519.PublicKey { return k.sign.Public().(ed25519.PublicKey) }

// mac is the hex HMAC-SHA256 of parts, each length-prefixed so that no two
// different lists encode alike.
func (k *Key) mac(parts ...string) string {
	m := hmac.New(sha256.New, k.chain)
	writeFields(m, parts)
	return hex.EncodeToString(m.Sum(nil))
}

// keyring holds the keys attached in this process, by ID. Record finds its
// key through the ID the log's head names, since a transaction does not
// know its database.
var keyring sync.Map // ID → *Key

func loadedKey(id string) *Key {
	k, _ := keyring.Load(id)
	key, _ := k.(*Key)
	return key
}

// keyFile is the audit key as a file. Unlike the token key, a lost audit
// key cannot simply be replaced: the events it sealed can only be verified
// with it.
var keyFile = keyfile.Secret{
	What: "the audit key",
	Remedy: "restore it from a backup; a new key cannot verify the events sealed with the old one, " +
		"and the server refuses to write to a log keyed with another key",
}

// LoadOrCreateKey reads the audit key in dir (KeyFile), creating a random
// one, readable by the owner only, when there is none. Like the token key,
// the file appears whole or not at all, so a crash during the first start
// never leaves a file that blocks the next one.
func LoadOrCreateKey(dir string) (*Key, error) {
	secret, err := keyFile.LoadOrCreateHex(dir, KeyFile)
	if err != nil {
		return nil, err
	}
	return NewKey(secret)
}

// ReadKeyFile reads an audit key given as at least 64 hex digits, e.g. a
// mounted secret. A missing file is reported as os.ErrNotExist.
func ReadKeyFile(path string) (*Key, error) {
	secret, err := keyFile.ReadHex(path)
	if err != nil {
		return nil, err
	}
	return NewKey(secret)
}
