package audit

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"weak"

	"github.com/acme/bpo/kit/sqlstore"
)

// Chain is a service's audit log with the service's audit key attached:
// what Attach returns, to verify and watch the log with.
type Chain struct {
	db *sqlstore.DB
	*sealing
}

// sealing is what Attach settled about a log: whose it is, its key, and
// from which event it is keyed. Verify trusts these, not the marker the
// database holds, which whoever writes the database can change.
type sealing struct {
	service   string
	key       *Key
	keyedFrom int64
}

// sealings are the logs attached in this process, by database: the
// handlers verify with the *sqlstore.DB they hold. Weak, so that the
// databases a test suite opens and closes by the hundred are not kept.
var sealings sync.Map // weak.Pointer[sqlstore.DB] → *sealing

func sealingOf(db *sqlstore.DB) *sealing {
	s, _ := sealings.Load(weak.Make(db))
	v, _ := s.(*sealing)
	return v
}

// Attach keys the audit log of db, the log of service, with key, and loads
// key for Record in this process. A log that has no key yet (a new one, or
// one written before keys) is keyed from its next event on; the events
// before stay checkable as plain SHA-256. A log keyed with another key is
// refused: the events written with key would not verify.
//
// Call it once per store at start-up, after migrating, before the service
// writes.
func Attach(ctx context.Context, db *sqlstore.DB, service string, key *Key) (*Chain, error) {
	s := &sealing{service: service, key: key}
	err := db.Write(ctx, func(tx *sqlstore.Tx) error {
		var seq, keyedFrom int64
		var hash, keyID string
		// Locking the head row as Record does: two replicas starting at
		// once key the log once.
		if err := tx.QueryRow(ctx, `UPDATE audit_head SET sequence = sequence WHERE id = 1 RETURNING sequence, hash, keyed_from, key_id`).
			Scan(&seq, &hash, &keyedFrom, &keyID); err != nil {
			return err
		}
		switch {
		case keyID == "" && keyedFrom == 0:
			s.keyedFrom = seq + 1
			_, err := tx.Exec(ctx, `UPDATE audit_head SET keyed_from = ?, key_id = ?, key_seal = ?, head_seal = ? WHERE id = 1`,
				s.keyedFrom, key.id, key.markerSeal(s.keyedFrom), key.headSeal(seq, hash))
			return err
		case keyID != "" && keyID != key.id:
			return fmt.Errorf("the audit log of %s is keyed with audit key %s, but the key given is %s: "+
				"start with the key the log was written with", service, keyID, key.id)
		default:
			// Ours, or a marker someone half erased: taken as it stands
			// (Verify checks its seal), never rewritten, so that an
			// alteration stays visible.
			s.keyedFrom = max(keyedFrom, 1)
			return nil
		}
	})
	if err != nil {
		return nil, fmt.Errorf("attach the audit key to the %s log: %w", service, err)
	}
	keyring.Store(key.id, key)
	wp := weak.Make(db)
	sealings.Store(wp, s)
	runtime.AddCleanup(db, func(wp weak.Pointer[sqlstore.DB]) { sealings.Delete(wp) }, wp)
	return &Chain{db: db, sealing: s}, nil
}

// Service is the name of the service whose log c is.
func (c *Chain) Service() string { return c.service }

// KeyedFrom is the first event of c sealed with its key.
func (c *Chain) KeyedFrom() int64 { return c.keyedFrom }

// Key is the key attached to c.
func (c *Chain) Key() *Key { return c.key }

// markerSeal is the MAC of the marker saying that the log is keyed with k
// from event keyedFrom on.
func (k *Key) markerSeal(keyedFrom int64) string {
	return k.mac("keyed from", strconv.FormatInt(keyedFrom, 10), k.id)
}

// headSeal is the MAC of the head of a log at event seq with hash.
func (k *Key) headSeal(seq int64, hash string) string {
	return k.mac("head", strconv.FormatInt(seq, 10), hash)
}

// brokenSince starts a head seal that Record found invalid: it names the
// first event that may have replaced a removed one.
const brokenSince = "broken since "

// nextHeadSeal is the seal of the head after appending event seq with
// hash to a log whose head (prevSeq, prevHash) carried seal. A head that
// did not carry a valid seal stays unsealed, naming where the break
// began: appending must not heal a rewound head.
func (k *Key) nextHeadSeal(seal string, prevSeq int64, prevHash string, seq int64, hash string) string {
	switch {
	case seal == k.headSeal(prevSeq, prevHash):
		return k.headSeal(seq, hash)
	case strings.HasPrefix(seal, brokenSince):
		return seal
	default:
		return brokenSince + strconv.FormatInt(prevSeq+1, 10)
	}
}
