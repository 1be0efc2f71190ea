package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	auditv1 "github.com/acme/bpo/gen/go/bpo/audit/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	createMethod = "/bpo.catalog.v1.CatalogService/CreateProvider"
	updateMethod = "/bpo.catalog.v1.CatalogService/UpdateProvider"
	deleteMethod = "/bpo.catalog.v1.CatalogService/DeleteProvider"
)

// methodStream is the part of a server stream grpc.Method reads.
type methodStream struct{ method string }

func (s methodStream) Method() string             { return s.method }
func (methodStream) SetHeader(metadata.MD) error  { return nil }
func (methodStream) SendHeader(metadata.MD) error { return nil }
func (methodStream) SetTrailer(metadata.MD) error { return nil }

// callCtx is the context of a call to method by subject with roles, as the
// gRPC server and the auth interceptor build it.
func callCtx(t *testing.T, method, subject string, roles ...auth.Role) context.Context {
	ctx := grpc.NewContextWithServerTransportStream(t.Context(), methodStream{method})
	return auth.WithPrincipal(ctx, &auth.Principal{Subject: subject, Roles: roles})
}

func obj(t testing.TB, fields map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(fields)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// change is one mutation to record.
type change struct {
	ctx           context.Context
	resource, rid string
	before, after proto.Message
}

// record appends each change in a transaction of its own, as a service does.
func record(t *testing.T, db *sqlstore.DB, changes ...change) {
	t.Helper()
	for _, c := range changes {
		err := db.Write(c.ctx, func(tx *sqlstore.Tx) error {
			return Record(c.ctx, tx, c.resource, c.rid, c.before, c.after)
		})
		if err != nil {
			t.Fatalf("Record %s: %v", c.resource, err)
		}
	}
}

// story records the life of one provider: created, renamed, deleted.
func story(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	acme := obj(t, map[string]any{"display_name": "Acme", "hq_country": "PH"})
	acmeGlobal := obj(t, map[string]any{"display_name": "Acme Global", "hq_country": "PH"})
	record(t, db,
		change{callCtx(t, createMethod, "ana", auth.SourcingManager), "providers/1", "req-1", nil, acme},
		change{callCtx(t, updateMethod, "ben", auth.SourcingManager, auth.Approver), "providers/1", "req-2", acme, acmeGlobal},
		change{callCtx(t, deleteMethod, "ana", auth.SourcingManager), "providers/1", "", acmeGlobal, nil},
	)
}

func listAll(t *testing.T, db *sqlstore.DB, filter string) []*auditv1.AuditEvent {
	t.Helper()
	events, next, err := List(t.Context(), db, filter, "", 0)
	if err != nil {
		t.Fatalf("List(%q): %v", filter, err)
	}
	if next != "" {
		t.Fatalf("List(%q) has a next page; the tests write fewer than 50 events", filter)
	}
	return events
}

func TestRecordWritesTheChangedFieldsInAChain(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "audit_test", nil)
			story(t, db)
			events := listAll(t, db, "")
			if len(events) != 3 {
				t.Fatalf("got %d events, want 3", len(events))
			}
			// The chain: each event holds its predecessor's hash, the first
			// 64 zeros.
			prev := zeroHash
			for _, e := range events {
				if e.GetPreviousHash() != prev {
					t.Errorf("event %d previous_hash = %q, want %q", e.GetSequence(), e.GetPreviousHash(), prev)
				}
				if len(e.GetHash()) != 64 || e.GetHash() == prev {
					t.Errorf("event %d hash %q is not a new SHA-256", e.GetSequence(), e.GetHash())
				}
				if e.GetTime() == nil {
					t.Errorf("event %d has no time", e.GetSequence())
				}
				prev = e.GetHash()
				e.Time, e.Hash, e.PreviousHash = nil, "", "" // checked above
			}
			want := []*auditv1.AuditEvent{{
				Sequence: 1, Subject: "ana", Roles: []string{"sourcing_manager"}, Method: createMethod,
				Resource: "providers/1", RequestId: "req-1",
				// A creation has no before; after holds every field set.
				After: obj(t, map[string]any{"display_name": "Acme", "hq_country": "PH"}),
			}, {
				Sequence: 2, Subject: "ben", Roles: []string{"sourcing_manager", "approver"}, Method: updateMethod,
				Resource: "providers/1", RequestId: "req-2",
				// Only the field that changed; hq_country stayed PH.
				Before: obj(t, map[string]any{"display_name": "Acme"}),
				After:  obj(t, map[string]any{"display_name": "Acme Global"}),
			}, {
				Sequence: 3, Subject: "ana", Roles: []string{"sourcing_manager"}, Method: deleteMethod,
				Resource: "providers/1",
				// A deletion has no after.
				Before: obj(t, map[string]any{"display_name": "Acme Global", "hq_country": "PH"}),
			}}
			for i := range want {
				if !proto.Equal(events[i], want[i]) {
					t.Errorf("event %d:\n got %v\nwant %v", i+1, events[i], want[i])
				}
			}
		})
	}
}

func TestVerifyIntactLog(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "audit_test", nil)
			v, err := Verify(t.Context(), db, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := &auditv1.Verification{Intact: true, EventsChecked: 0, HeadHash: zeroHash}
			if !proto.Equal(v, want) {
				t.Fatalf("empty log: Verify = %v, want %v", v, want)
			}

			story(t, db)
			v, err = Verify(t.Context(), db, nil)
			if err != nil {
				t.Fatal(err)
			}
			events := listAll(t, db, "")
			want = &auditv1.Verification{Intact: true, EventsChecked: 3, HeadHash: events[2].GetHash()}
			if !proto.Equal(v, want) {
				t.Fatalf("after 3 records: Verify = %v, want %v", v, want)
			}
		})
	}
}

func TestDatabaseRefusesToChangeTheLog(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "audit_test", nil)
			story(t, db)
			for _, stmt := range []string{
				`UPDATE audit_events SET subject = 'mallory' WHERE sequence = 2`,
				`DELETE FROM audit_events WHERE sequence = 3`,
			} {
				if err := exec(t, db, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("%s: error %v, want the append-only trigger to refuse it", stmt, err)
				}
			}
			if v, err := Verify(t.Context(), db, nil); err != nil || !v.GetIntact() || v.GetEventsChecked() != 3 {
				t.Fatalf("Verify = %v, %v; want intact with 3 events", v, err)
			}
		})
	}
}

func exec(t *testing.T, db *sqlstore.DB, stmts ...string) error {
	t.Helper()
	return db.Write(t.Context(), func(tx *sqlstore.Tx) error {
		for _, s := range stmts {
			if _, err := tx.Exec(t.Context(), s); err != nil {
				return err
			}
		}
		return nil
	})
}

func mustExec(t *testing.T, db *sqlstore.DB, stmts ...string) {
	t.Helper()
	if err := exec(t, db, stmts...); err != nil {
		t.Fatalf("tamper: %v", err)
	}
}

// dropTriggers removes the append-only triggers, as someone with direct
// access to the database could, so that a test can tamper with the log.
func dropTriggers(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	stmts := []string{`DROP TRIGGER audit_events_no_update`, `DROP TRIGGER audit_events_no_delete`}
	if db.Dialect == sqlstore.Postgres {
		stmts = []string{`DROP TRIGGER audit_events_no_change ON audit_events`}
	}
	mustExec(t, db, stmts...)
}

// rehash edits event seq's after_json and stores a hash that matches the
// edit, as a forger who knows the hash function would.
func rehash(t *testing.T, db *sqlstore.DB, seq int64, after string) {
	t.Helper()
	ctx := t.Context()
	err := db.Write(ctx, func(tx *sqlstore.Tx) error {
		var r row
		if err := tx.QueryRow(ctx, `SELECT sequence, time, subject, roles, method, resource, request_id, before_json, after_json, previous_hash FROM audit_events WHERE sequence = ?`, seq).
			Scan(&r.Sequence, &r.Time, &r.Subject, &r.Roles, &r.Method, &r.Resource, &r.RequestID, &r.Before, &r.After, &r.PreviousHash); err != nil {
			return err
		}
		r.After = after
		_, err := tx.Exec(ctx, `UPDATE audit_events SET after_json = ?, hash = ? WHERE sequence = ?`, r.After, r.hash(nil), seq)
		return err
	})
	if err != nil {
		t.Fatalf("rehash event %d: %v", seq, err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name        string
		tamper      func(t *testing.T, db *sqlstore.DB)
		wantBroken  int64
		wantProblem string
		// wantChecked counts the events read up to the first broken one.
		wantChecked int64
	}{
		{"edited change", func(t *testing.T, db *sqlstore.DB) {
			mustExec(t, db, `UPDATE audit_events SET after_json = '{"display_name":"Evil Corp"}' WHERE sequence = 2`)
		}, 2, "event 2 was altered or forged", 2},
		{"edited subject of the first event", func(t *testing.T, db *sqlstore.DB) {
			mustExec(t, db, `UPDATE audit_events SET subject = 'mallory' WHERE sequence = 1`)
		}, 1, "event 1 was altered or forged", 1},
		// The edited event verifies on its own; its successor no longer
		// follows it.
		{"edited change with a recomputed hash", func(t *testing.T, db *sqlstore.DB) {
			rehash(t, db, 2, `{"display_name":"Evil Corp"}`)
		}, 3, "event 3 does not follow event 2", 3},
		// The missing event is the one named, not its successor.
		{"deleted event in the middle", func(t *testing.T, db *sqlstore.DB) {
			mustExec(t, db, `DELETE FROM audit_events WHERE sequence = 2`)
		}, 2, "event 2 is missing", 2},
		{"deleted first event", func(t *testing.T, db *sqlstore.DB) {
			mustExec(t, db, `DELETE FROM audit_events WHERE sequence = 1`)
		}, 1, "event 1 is missing", 1},
		{"deleted run of events", func(t *testing.T, db *sqlstore.DB) {
			mustExec(t, db, `DELETE FROM audit_events WHERE sequence IN (1, 2)`)
		}, 1, "events 1 and 2 are missing", 1},
		// Nothing follows the last event; the head row remembers it.
		{"deleted last event", func(t *testing.T, db *sqlstore.DB) {
			mustExec(t, db, `DELETE FROM audit_events WHERE sequence = 3`)
		}, 3, "the log ends at event 2 but 3 were written", 2},
	}
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					db := sqltest.Open(t, dialect, "audit_test", nil)
					story(t, db)
					dropTriggers(t, db)
					tt.tamper(t, db)
					v, err := Verify(t.Context(), db, nil)
					if err != nil {
						t.Fatal(err)
					}
					if v.GetIntact() || v.GetFirstBrokenSequence() != tt.wantBroken || !strings.Contains(v.GetProblem(), tt.wantProblem) || v.GetEventsChecked() != tt.wantChecked {
						t.Fatalf("Verify = %v; want not intact, first_broken_sequence %d, %d checked, problem %q",
							v, tt.wantBroken, tt.wantChecked, tt.wantProblem)
					}
				})
			}
		})
	}
}

func TestConcurrentRecordsNeverForkTheChain(t *testing.T) {
	const writers = 20
	for _, dialect := range sqltest.Dialects(t) {
		for _, keyed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s keyed=%v", dialect, keyed), func(t *testing.T) {
				db := sqltest.Open(t, dialect, "audit_test", nil)
				if keyed {
					attach(t, db, newKey(t))
				}
				after := obj(t, map[string]any{"display_name": "X"})
				var wg sync.WaitGroup
				errs := make(chan error, writers)
				for i := range writers {
					ctx := callCtx(t, createMethod, fmt.Sprintf("user-%d", i), auth.SourcingManager)
					wg.Go(func() {
						errs <- db.Write(ctx, func(tx *sqlstore.Tx) error {
							return Record(ctx, tx, fmt.Sprintf("providers/%d", i), "", nil, after)
						})
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
				v, err := Verify(t.Context(), db, nil)
				if err != nil || !v.GetIntact() || v.GetEventsChecked() != writers {
					t.Fatalf("Verify = %v, %v; want intact with %d events", v, err, writers)
				}
			})
		}
	}
}

func TestList(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "audit_test", nil)
			x := obj(t, map[string]any{"display_name": "X"})
			// Five events: 1, 3, 5 on providers/1 by ana; 2, 4 on providers/2 by ben.
			for i := 1; i <= 5; i++ {
				res, who := "providers/1", "ana"
				if i%2 == 0 {
					res, who = "providers/2", "ben"
				}
				record(t, db, change{callCtx(t, createMethod, who, auth.SourcingManager), res, fmt.Sprintf("req-%d", i), nil, x})
			}

			tests := []struct {
				name     string
				filter   string
				pageSize int32
				// wantPages lists the sequences of each page in turn.
				wantPages [][]int64
			}{
				{"everything on one default page", "", 0, [][]int64{{1, 2, 3, 4, 5}}},
				{"pages of two, oldest first", "", 2, [][]int64{{1, 2}, {3, 4}, {5}}},
				{"page size equal to the count has no next page", "", 5, [][]int64{{1, 2, 3, 4, 5}}},
				{"by resource", `resource = "providers/1"`, 2, [][]int64{{1, 3}, {5}}},
				{"by resource, negated", `resource != "providers/1"`, 0, [][]int64{{2, 4}}},
				{"by subject and request id", `subject = ben AND request_id = req-4`, 0, [][]int64{{4}}},
				{"by method", "method = " + createMethod, 3, [][]int64{{1, 2, 3}, {4, 5}}},
				{"nothing matches", "subject = carla", 0, [][]int64{nil}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					var got [][]int64
					token := ""
					for range 10 {
						events, next, err := List(t.Context(), db, tt.filter, token, tt.pageSize)
						if err != nil {
							t.Fatalf("List: %v", err)
						}
						var seqs []int64
						for _, e := range events {
							seqs = append(seqs, e.GetSequence())
						}
						got = append(got, seqs)
						if next == "" {
							break
						}
						token = next
					}
					if !slices.EqualFunc(got, tt.wantPages, slices.Equal) {
						t.Fatalf("pages = %v, want %v", got, tt.wantPages)
					}
				})
			}
		})
	}
}

func TestListRefuses(t *testing.T) {
	db := sqltest.Open(t, sqltest.SQLite, "audit_test", nil)
	story(t, db)
	_, next, err := List(t.Context(), db, "", "", 1)
	if err != nil || next == "" {
		t.Fatalf("first page: next %q, %v", next, err)
	}
	tests := []struct {
		name, filter, token, field string
	}{
		{"filter on a field that is not filterable", "before = x", "", "filter"},
		{"page token of another filter", "resource = providers/1", next, "page_token"},
		{"garbage page token", "", "garbage", "page_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := List(t.Context(), db, tt.filter, tt.token, 0)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || len(ae.Violations) != 1 || ae.Violations[0].Field != tt.field {
				t.Fatalf("List error %v, want INVALID_ARGUMENT on %s", err, tt.field)
			}
		})
	}
}
