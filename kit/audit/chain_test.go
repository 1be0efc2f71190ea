package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	auditv1 "github.com/acme/bpo/gen/go/bpo/audit/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"google.golang.org/protobuf/proto"
)

func newKey(t *testing.T) *Key {
	t.Helper()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	k, err := NewKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func attach(t *testing.T, db *sqlstore.DB, key *Key) *Chain {
	t.Helper()
	c, err := Attach(t.Context(), db, "catalog", key)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	return c
}

// keyedLog is a catalog log keyed from its first event, holding the story
// of one provider (events 1 to 3).
func keyedLog(t *testing.T, dialect string) (*sqlstore.DB, *Chain) {
	t.Helper()
	db := sqltest.Open(t, dialect, "audit_test", nil)
	c := attach(t, db, newKey(t))
	story(t, db)
	return db, c
}

func verifyWith(t *testing.T, db *sqlstore.DB, held *auditv1.AuditCheckpoint) *auditv1.Verification {
	t.Helper()
	v, err := Verify(t.Context(), db, held)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return v
}

func wantBroken(t *testing.T, v *auditv1.Verification, at int64, problem string) {
	t.Helper()
	if v.GetIntact() || v.GetFirstBrokenSequence() != at || !strings.Contains(v.GetProblem(), problem) {
		t.Fatalf("Verify = %v; want broken at event %d, problem containing %q", v, at, problem)
	}
	if v.GetCheckpoint() != nil {
		t.Fatalf("a broken log came with a checkpoint: %v", v.GetCheckpoint())
	}
}

func wantIntact(t *testing.T, v *auditv1.Verification, events int64) {
	t.Helper()
	if !v.GetIntact() || v.GetEventsChecked() != events {
		t.Fatalf("Verify = %v; want intact with %d events", v, events)
	}
}

// The attacker below writes the database directly, with the append-only
// triggers dropped, and knows how hashes are computed, but not the key.

func events(t *testing.T, db *sqlstore.DB) []row {
	t.Helper()
	var out []row
	err := db.Read(t.Context(), func(tx *sqlstore.Tx) error {
		rows, err := tx.Query(t.Context(), `SELECT sequence, time, subject, roles, method, resource, request_id, before_json, after_json, previous_hash, hash FROM audit_events ORDER BY sequence`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.Sequence, &r.Time, &r.Subject, &r.Roles, &r.Method, &r.Resource, &r.RequestID, &r.Before, &r.After, &r.PreviousHash, &r.Hash); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// truncateAndRewind deletes the last event and points the head at the one
// before, as the report's truncation does.
func truncateAndRewind(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	mustExec(t, db,
		`DELETE FROM audit_events WHERE sequence = (SELECT max(sequence) FROM audit_events)`,
		`UPDATE audit_head SET sequence = sequence - 1, hash = (SELECT hash FROM audit_events ORDER BY sequence DESC LIMIT 1)`)
}

// headRow is the head as stored, for an attacker who copies it and puts it
// back later.
type headRow struct {
	sequence       int64
	hash, headSeal string
}

func saveHead(t *testing.T, db *sqlstore.DB) headRow {
	t.Helper()
	var h headRow
	err := db.Read(t.Context(), func(tx *sqlstore.Tx) error {
		return tx.QueryRow(t.Context(), `SELECT sequence, hash, head_seal FROM audit_head`).Scan(&h.sequence, &h.hash, &h.headSeal)
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// truncateToSavedHead deletes the events after h and puts back the head
// row copied when h was the head, seal and all.
func truncateToSavedHead(t *testing.T, db *sqlstore.DB, h headRow) {
	t.Helper()
	err := db.Write(t.Context(), func(tx *sqlstore.Tx) error {
		if _, err := tx.Exec(t.Context(), `DELETE FROM audit_events WHERE sequence > ?`, h.sequence); err != nil {
			return err
		}
		_, err := tx.Exec(t.Context(), `UPDATE audit_head SET sequence = ?, hash = ?, head_seal = ?`, h.sequence, h.hash, h.headSeal)
		return err
	})
	if err != nil {
		t.Fatalf("truncate: %v", err)
	}
}

// forgeAppend appends an approval nobody made, hashed as an unkeyed event
// is, and moves the head to it.
func forgeAppend(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	h := saveHead(t, db)
	r := row{
		Sequence: h.sequence + 1, Time: sqlstore.Time(time.Now()), Subject: "mallory", Roles: "approver",
		Method: "/bpo.catalog.v1.CatalogService/ApproveAward", Resource: "sourcingEvents/1",
		Before: `{"state":"AWARD_PROPOSED"}`, After: `{"state":"AWARDED"}`, PreviousHash: h.hash,
	}
	r.Hash = r.hash(nil)
	err := db.Write(t.Context(), func(tx *sqlstore.Tx) error {
		if _, err := tx.Exec(t.Context(), `INSERT INTO audit_events (sequence, time, subject, roles, method, resource, request_id, before_json, after_json, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Sequence, r.Time, r.Subject, r.Roles, r.Method, r.Resource, r.RequestID, r.Before, r.After, r.PreviousHash, r.Hash); err != nil {
			return err
		}
		_, err := tx.Exec(t.Context(), `UPDATE audit_head SET sequence = ?, hash = ?`, r.Sequence, r.Hash)
		return err
	})
	if err != nil {
		t.Fatalf("forge: %v", err)
	}
}

// rewriteAndRechain sets the subject of event seq and recomputes, as
// unkeyed hashes, its hash and those of every later event, and the head.
func rewriteAndRechain(t *testing.T, db *sqlstore.DB, seq int64, subject string) {
	t.Helper()
	all := events(t, db)
	err := db.Write(t.Context(), func(tx *sqlstore.Tx) error {
		prev := all[seq-1].PreviousHash
		for _, r := range all[seq-1:] {
			if r.Sequence == seq {
				r.Subject = subject
			}
			r.PreviousHash = prev
			r.Hash = r.hash(nil)
			if _, err := tx.Exec(t.Context(), `UPDATE audit_events SET subject = ?, previous_hash = ?, hash = ? WHERE sequence = ?`, r.Subject, r.PreviousHash, r.Hash, r.Sequence); err != nil {
				return err
			}
			prev = r.Hash
		}
		_, err := tx.Exec(t.Context(), `UPDATE audit_head SET hash = ?`, prev)
		return err
	})
	if err != nil {
		t.Fatalf("rewrite: %v", err)
	}
}

func TestTheReportsThreeUndetectedAttacksAreDetectedOnAKeyedLog(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Run("truncating the tail and rewinding the head", func(t *testing.T) {
				db, _ := keyedLog(t, dialect)
				dropTriggers(t, db)
				truncateAndRewind(t, db)
				// The head the attacker wrote lacks the key's seal; event 3
				// is the first that may be gone.
				wantBroken(t, verifyWith(t, db, nil), 3, "the head of the log (event 2) does not carry the audit key's seal")
			})
			t.Run("appending a forged event with a recomputed hash", func(t *testing.T) {
				db, _ := keyedLog(t, dialect)
				dropTriggers(t, db)
				forgeAppend(t, db)
				wantBroken(t, verifyWith(t, db, nil), 4, "event 4 was altered or forged: its hash is not the audit key's seal")
			})
			t.Run("rewriting one event and re-hashing the rest", func(t *testing.T) {
				db, _ := keyedLog(t, dialect)
				dropTriggers(t, db)
				rewriteAndRechain(t, db, 2, "mallory@evil.example")
				wantBroken(t, verifyWith(t, db, nil), 2, "event 2 was altered or forged")
			})
		})
	}
}

func TestACheckpointCatchesATruncationThatPutsBackAnOldHead(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "audit_test", nil)
			attach(t, db, newKey(t))
			x := obj(t, map[string]any{"display_name": "X"})
			ctx := callCtx(t, createMethod, "ana", auth.SourcingManager)
			record(t, db, change{ctx, "providers/1", "", nil, x}, change{ctx, "providers/2", "", nil, x})
			// An attacker who copied the head row at event 2 ...
			old := saveHead(t, db)
			record(t, db, change{ctx, "providers/3", "", nil, x})
			// ... while an auditor kept the checkpoint of event 3.
			held := verifyWith(t, db, nil).GetCheckpoint()
			if held.GetSequence() != 3 {
				t.Fatalf("checkpoint = %v, want one of event 3", held)
			}

			dropTriggers(t, db)
			truncateToSavedHead(t, db, old)
			// Every hash and seal left is genuine: only something kept
			// outside the database can tell that event 3 is gone.
			wantIntact(t, verifyWith(t, db, nil), 2)
			wantBroken(t, verifyWith(t, db, held), 3, "the log ends at event 2, but the checkpoint of")

			// Nor does a new event 3, genuinely written, pass for the old one.
			record(t, db, change{ctx, "providers/4", "", nil, x})
			wantBroken(t, verifyWith(t, db, held), 3, "event 3 is not the one the checkpoint of")
		})
	}
}

func TestACheckpointCatchesARewriteOfALogWithoutKey(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "audit_test", nil)
			story(t, db)
			// An unkeyed log's checkpoint is unsigned: the auditor noted
			// the head from a verification.
			v := verifyWith(t, db, nil)
			held := &auditv1.AuditCheckpoint{Sequence: 3, Hash: v.GetHeadHash()}
			wantIntact(t, verifyWith(t, db, held), 3)

			dropTriggers(t, db)
			rewriteAndRechain(t, db, 2, "mallory@evil.example")
			wantIntact(t, verifyWith(t, db, nil), 3)
			wantBroken(t, verifyWith(t, db, held), 3, "event 3 is not the one the checkpoint given vouches for")
		})
	}
}

func TestAppendingToABrokenLogKeepsItBrokenAtTheSamePlace(t *testing.T) {
	x := obj(t, map[string]any{"display_name": "X"})
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			for _, tt := range []struct {
				name    string
				tamper  func(t *testing.T, db *sqlstore.DB)
				at      int64
				problem string
			}{
				{"rewound head", truncateAndRewind, 3, "the head of the log was rewound or altered before event 3 was written"},
				{"forged event", forgeAppend, 4, "event 4 was altered or forged"},
				{"rewritten event", func(t *testing.T, db *sqlstore.DB) { rewriteAndRechain(t, db, 2, "mallory") }, 2, "event 2 was altered or forged"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					db, _ := keyedLog(t, dialect)
					dropTriggers(t, db)
					tt.tamper(t, db)
					// The service keeps writing, genuinely sealed events.
					for i := range 3 {
						ctx := callCtx(t, createMethod, "ana", auth.SourcingManager)
						record(t, db, change{ctx, fmt.Sprintf("providers/%d", 10+i), "", nil, x})
					}
					wantBroken(t, verifyWith(t, db, nil), tt.at, tt.problem)
				})
			}
		})
	}
}

func TestTheKeyMarkerCannotBeMovedOrRemoved(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			for _, tt := range []struct {
				name, marker string
			}{
				// Events 1 and 2 would then pass as written before the key.
				{"moved past the events to rewrite", `UPDATE audit_head SET keyed_from = 3`},
				{"removed, the log passing for one never keyed", `UPDATE audit_head SET keyed_from = 0, key_id = '', key_seal = '', head_seal = ''`},
			} {
				t.Run(tt.name, func(t *testing.T) {
					db, _ := keyedLog(t, dialect)
					dropTriggers(t, db)
					mustExec(t, db, tt.marker)
					rewriteAndRechain(t, db, 1, "mallory")
					wantBroken(t, verifyWith(t, db, nil), 1, "the log's key marker was altered")
				})
			}
			// A server started after the marker was removed takes the log
			// for one written before keys, and keys it from the next event:
			// then only a checkpoint kept outside the database tells.
			t.Run("removed while the server was down", func(t *testing.T) {
				db, c := keyedLog(t, dialect)
				held := verifyWith(t, db, nil).GetCheckpoint()
				dropTriggers(t, db)
				mustExec(t, db, `UPDATE audit_head SET keyed_from = 0, key_id = '', key_seal = '', head_seal = ''`)
				rewriteAndRechain(t, db, 1, "mallory")
				attach(t, db, c.Key())
				wantBroken(t, verifyWith(t, db, held), 3, "event 3 is not the one the checkpoint of")
			})
		})
	}
}

func TestALogWrittenBeforeTheKeyStaysCheckableAndIsAnchoredByTheFirstKeyedEvent(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "audit_test", nil)
			story(t, db) // events 1-3, by a build without keys
			before := events(t, db)
			c := attach(t, db, newKey(t))
			if c.KeyedFrom() != 4 {
				t.Fatalf("KeyedFrom = %d, want 4: the next event", c.KeyedFrom())
			}
			story(t, db) // events 4-6, keyed
			v := verifyWith(t, db, nil)
			wantIntact(t, v, 6)
			if v.GetKeyedFrom() != 4 || v.GetCheckpoint().GetSequence() != 6 {
				t.Fatalf("Verify = %v; want keyed from 4 and a checkpoint of event 6", v)
			}
			all := events(t, db)
			for i, r := range all {
				if i < 3 && r != before[i] {
					t.Errorf("event %d changed when the log was keyed: %+v, was %+v", r.Sequence, r, before[i])
				}
				if i >= 3 && r.Hash == r.hash(nil) {
					t.Errorf("event %d has an unkeyed hash", r.Sequence)
				}
			}

			// Rewriting history from before the key shows at the first
			// keyed event, whose seal covers the hash of its predecessor.
			dropTriggers(t, db)
			rewriteAndRechain(t, db, 2, "mallory")
			wantBroken(t, verifyWith(t, db, nil), 4, "event 4 was altered or forged")
		})
	}
}

func TestAttachingAgainKeepsTheMarkerAndAnotherKeyIsRefused(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "audit_test", nil)
			story(t, db)
			key := newKey(t)
			attach(t, db, key)
			story(t, db)
			// A restart attaches the same key to a log keyed from event 4.
			if c := attach(t, db, key); c.KeyedFrom() != 4 {
				t.Fatalf("KeyedFrom after a restart = %d, want 4", c.KeyedFrom())
			}
			wantIntact(t, verifyWith(t, db, nil), 6)

			other := newKey(t)
			_, err := Attach(t.Context(), db, "catalog", other)
			if err == nil || !strings.Contains(err.Error(), "keyed with audit key "+key.ID()) || !strings.Contains(err.Error(), other.ID()) {
				t.Fatalf("Attach with another key: error %v, want a refusal naming both keys", err)
			}
			wantIntact(t, verifyWith(t, db, nil), 6)
		})
	}
}

func TestRecordRefusesToWriteToALogKeyedWithAKeyNotLoaded(t *testing.T) {
	db := sqltest.Open(t, sqltest.SQLite, "audit_test", nil)
	// As if another process had keyed the log with a key this one lacks.
	mustExec(t, db, `UPDATE audit_head SET keyed_from = 1, key_id = '00000000deadbeef'`)
	ctx := callCtx(t, createMethod, "ana", auth.SourcingManager)
	err := db.Write(ctx, func(tx *sqlstore.Tx) error {
		return Record(ctx, tx, "providers/1", "", nil, obj(t, map[string]any{"display_name": "X"}))
	})
	if err == nil || !strings.Contains(err.Error(), "00000000deadbeef") {
		t.Fatalf("Record = %v; want a refusal naming the missing key", err)
	}
	if n := len(events(t, db)); n != 0 {
		t.Fatalf("%d events written; want none", n)
	}
	// Nor can this process verify that log.
	if _, err := Verify(t.Context(), db, nil); apperr.KindOf(err) != apperr.FailedPrecondition {
		t.Fatalf("Verify error %v, want FAILED_PRECONDITION", err)
	}
}

func TestAnAuditorChecksACheckpointWithThePublicKeyAlone(t *testing.T) {
	db, c := keyedLog(t, sqltest.SQLite)
	v := verifyWith(t, db, nil)
	cp := v.GetCheckpoint()
	if cp.GetService() != "catalog" || cp.GetSequence() != 3 || cp.GetHash() != v.GetHeadHash() || cp.GetKeyId() != c.Key().ID() || cp.GetTime() == nil {
		t.Fatalf("checkpoint = %v; want catalog's event 3, head hash %s, key %s, a time", cp, v.GetHeadHash(), c.Key().ID())
	}
	pub := ed25519.PublicKey(v.GetPublicKey())
	if !pub.Equal(c.Key().PublicKey()) {
		t.Fatalf("Verification public key %x, want %x", v.GetPublicKey(), c.Key().PublicKey())
	}
	// The text the proto documents, built by hand.
	text := fmt.Sprintf("bpo.audit.v1.AuditCheckpoint\ncatalog\n3\n%s\n%d.%09d\n", cp.GetHash(), cp.GetTime().GetSeconds(), cp.GetTime().GetNanos())
	if !ed25519.Verify(pub, []byte(text), cp.GetSignature()) {
		t.Fatal("the checkpoint's signature does not verify over the documented text")
	}
	// Signed with another key's public half, it does not.
	if ed25519.Verify(newKey(t).PublicKey(), []byte(text), cp.GetSignature()) {
		t.Fatal("the signature verifies with another key")
	}

	empty := sqltest.Open(t, sqltest.SQLite, "audit_test", nil)
	attach(t, empty, newKey(t))
	if v := verifyWith(t, empty, nil); !v.GetIntact() || v.GetCheckpoint() != nil {
		t.Fatalf("empty log: Verify = %v; want intact, without a checkpoint", v)
	}
}

func TestVerifyRefusesACheckpointThatIsNotThisLogs(t *testing.T) {
	db, _ := keyedLog(t, sqltest.SQLite)
	good := verifyWith(t, db, nil).GetCheckpoint()
	wantIntact(t, verifyWith(t, db, good), 3)
	// Given without its signature, it is compared all the same.
	unsigned := &auditv1.AuditCheckpoint{Sequence: good.GetSequence(), Hash: good.GetHash()}
	wantIntact(t, verifyWith(t, db, unsigned), 3)

	otherDB, _ := keyedLog(t, sqltest.SQLite)
	ofOtherKey := verifyWith(t, otherDB, nil).GetCheckpoint()

	edit := func(f func(cp *auditv1.AuditCheckpoint)) *auditv1.AuditCheckpoint {
		cp := proto.CloneOf(good)
		f(cp)
		return cp
	}
	for _, tt := range []struct {
		name  string
		cp    *auditv1.AuditCheckpoint
		field string
	}{
		{"a moved sequence under the old signature", edit(func(cp *auditv1.AuditCheckpoint) { cp.Sequence = 2 }), "checkpoint.signature"},
		{"another hash under the old signature", edit(func(cp *auditv1.AuditCheckpoint) { cp.Hash = strings.Repeat("a", 64) }), "checkpoint.signature"},
		{"signed with another key", ofOtherKey, "checkpoint.key_id"},
		{"signed with another key, its id removed", edit(func(cp *auditv1.AuditCheckpoint) { cp.KeyId, cp.Signature = "", ofOtherKey.GetSignature() }), "checkpoint.signature"},
		{"of another service", edit(func(cp *auditv1.AuditCheckpoint) { cp.Service = "contract" }), "checkpoint.service"},
		{"no sequence", &auditv1.AuditCheckpoint{Hash: good.GetHash()}, "checkpoint.sequence"},
		{"a hash that is not one", &auditv1.AuditCheckpoint{Sequence: 3, Hash: "abc"}, "checkpoint.hash"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(t.Context(), db, tt.cp)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || len(ae.Violations) != 1 || ae.Violations[0].Field != tt.field {
				t.Fatalf("Verify error %v, want INVALID_ARGUMENT on %s", err, tt.field)
			}
		})
	}
}

// verifyRequest is a VerifyAuditLog request as the services declare it.
type verifyRequest struct{ cp *auditv1.AuditCheckpoint }

func (r *verifyRequest) GetCheckpoint() *auditv1.AuditCheckpoint { return r.cp }

func TestCheckpointOfReadsTheRequestsCheckpoint(t *testing.T) {
	cp := &auditv1.AuditCheckpoint{Sequence: 3}
	if got := CheckpointOf(&verifyRequest{cp}); got != cp {
		t.Fatalf("CheckpointOf = %v, want %v", got, cp)
	}
	if got := CheckpointOf(&auditv1.Verification{}); got != nil {
		t.Fatalf("CheckpointOf a message without the field = %v, want nil", got)
	}
}

func TestALogWrittenByAnEarlierBuildVerifiesAndIsKeyedFromItsNextEvent(t *testing.T) {
	// The earlier build's recipe, as the report gives it: SHA-256 over
	// "<len>:<value>;" for sequence, time, subject, roles, method,
	// resource, request_id, before_json, after_json, previous_hash.
	oldHash := func(fields ...string) string {
		h := sha256.New()
		for _, f := range fields {
			h.Write([]byte(strconv.Itoa(len(f)) + ":" + f + ";"))
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "audit_test", nil)
			prev := strings.Repeat("0", 64)
			for seq := 1; seq <= 2; seq++ {
				f := []string{strconv.Itoa(seq), "2026-01-0" + strconv.Itoa(seq) + "T10:00:00.000000000Z", "ana", "sourcing_manager", createMethod, "providers/1", "", "{}", `{"display_name":"Acme"}`, prev}
				hash := oldHash(f...)
				mustExec(t, db, fmt.Sprintf(`INSERT INTO audit_events (sequence, time, subject, roles, method, resource, request_id, before_json, after_json, previous_hash, hash) VALUES (%d, '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s')`,
					seq, f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], hash),
					fmt.Sprintf(`UPDATE audit_head SET sequence = %d, hash = '%s'`, seq, hash))
				prev = hash
			}
			wantIntact(t, verifyWith(t, db, nil), 2)

			c := attach(t, db, newKey(t))
			story(t, db)
			v := verifyWith(t, db, nil)
			wantIntact(t, v, 5)
			if c.KeyedFrom() != 3 || v.GetKeyedFrom() != 3 {
				t.Fatalf("keyed from %d (Verification: %d), want 3", c.KeyedFrom(), v.GetKeyedFrom())
			}
		})
	}
}
