package audit

import (
	"fmt"
	"testing"

	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
)

// An event that cannot be stored fails Record, and with it the change
// and the head's move: the head keeps its sequence, hash and seal, and
// the next change appends where the log left off, intact. (On PostgreSQL
// the event and the head's new hash are one statement; here its insert
// fails on a row squatting on the next sequence.)
func TestRecordThatCannotAppendChangesNothing(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "audit_test", nil)
			attach(t, db, newKey(t))
			ctx := callCtx(t, createMethod, "ana", auth.SourcingManager)
			after := obj(t, map[string]any{"display_name": "Acme"})
			record := func(resource string) error {
				return db.Write(ctx, func(tx *sqlstore.Tx) error { return Record(ctx, tx, resource, "", nil, after) })
			}
			if err := record("providers/1"); err != nil {
				t.Fatal(err)
			}
			before := saveHead(t, db)
			mustExec(t, db, fmt.Sprintf(`INSERT INTO audit_events (sequence, time, subject, roles, method, resource, request_id, before_json, after_json, previous_hash, hash)
				VALUES (%d, 't', 's', '', 'm', 'r', '', '{}', '{}', 'p', 'h')`, before.sequence+1))
			if err := record("providers/2"); err == nil {
				t.Fatal("Record over a taken sequence succeeded")
			}
			if got := saveHead(t, db); got != before {
				t.Fatalf("head after the failed append = %+v, want it unchanged %+v", got, before)
			}
			dropTriggers(t, db) // to take the squatter away again
			mustExec(t, db, fmt.Sprintf(`DELETE FROM audit_events WHERE sequence = %d`, before.sequence+1))
			if err := record("providers/3"); err != nil {
				t.Fatal(err)
			}
			v, err := Verify(t.Context(), db, nil)
			if err != nil || !v.GetIntact() || v.GetEventsChecked() != 2 {
				t.Fatalf("Verify = %v, %v; want intact with 2 events", v, err)
			}
		})
	}
}
