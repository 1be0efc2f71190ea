// Package docstore keeps a service's resources as protobuf JSON documents,
// one row per resource name, with a revision for etags and optimistic
// locking, and facets — (field, value) pairs — indexed for List filters.
//
// Resource names follow AIP-122: `kind/id` or `parent/kind/id`; a
// singleton (`engagements/1/scope`) has kind `scope` and its parent's name.
// Ids are ULIDs, so name order within a collection is creation order.
package docstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Facet is a value a document can be filtered by.
type Facet struct {
	Field, Value string
}

// Split returns the kind (collection id) and parent of a resource name.
func Split(name string) (kind, parent string) {
	segs := strings.Split(name, "/")
	if len(segs)%2 == 1 { // singleton: …/parent/kind
		return segs[len(segs)-1], strings.Join(segs[:len(segs)-1], "/")
	}
	return segs[len(segs)-2], strings.Join(segs[:len(segs)-2], "/")
}

var unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}

func encode(m proto.Message) (string, error) {
	c := proto.Clone(m)
	setETag(c, "")
	b, err := protojson.Marshal(c)
	return string(b), err
}

// setETag sets the message's `etag` field, when it has one.
func setETag(m proto.Message, etag string) {
	r := m.ProtoReflect()
	if fd := r.Descriptor().Fields().ByName("etag"); fd != nil && fd.Kind() == protoreflect.StringKind {
		r.Set(fd, protoreflect.ValueOfString(etag))
	}
}

// Insert stores a new document at revision 1 and sets m's etag;
// ALREADY_EXISTS when the name is taken.
func Insert(ctx context.Context, tx *sqlstore.Tx, name string, m proto.Message, facets []Facet) error {
	data, err := encode(m)
	if err != nil {
		return err
	}
	kind, parent := Split(name)
	now := sqlstore.Time(time.Now())
	if _, err := tx.Exec(ctx, `INSERT INTO documents (name, kind, parent, revision, create_time, update_time, data) VALUES (?, ?, ?, 1, ?, ?, ?)`,
		name, kind, parent, now, now, data); err != nil {
		if sqlstore.IsUniqueViolation(err) {
			return apperr.New(apperr.AlreadyExists, "%s already exists", name)
		}
		return fmt.Errorf("insert %s: %w", name, err)
	}
	setETag(m, sqlstore.ETag(name, 1))
	return insertFacets(ctx, tx, kind, name, facets)
}

func insertFacets(ctx context.Context, tx *sqlstore.Tx, kind, name string, facets []Facet) error {
	seen := map[Facet]bool{}
	for _, f := range facets {
		if f.Value == "" || seen[f] {
			continue
		}
		seen[f] = true
		if _, err := tx.Exec(ctx, `INSERT INTO document_facets (kind, field, value, name) VALUES (?, ?, ?, ?)`, kind, f.Field, f.Value, name); err != nil {
			return fmt.Errorf("index %s: %w", name, err)
		}
	}
	return nil
}

// Get reads the document name into m and sets its etag; NOT_FOUND when
// there is none.
func Get(ctx context.Context, tx *sqlstore.Tx, name string, m proto.Message) (sqlstore.Version, error) {
	var rev int64
	var data string
	err := tx.QueryRow(ctx, `SELECT revision, data FROM documents WHERE name = ?`, name).Scan(&rev, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return sqlstore.Version{}, apperr.New(apperr.NotFound, "%s does not exist", name)
	}
	if err != nil {
		return sqlstore.Version{}, fmt.Errorf("get %s: %w", name, err)
	}
	if err := unmarshal.Unmarshal([]byte(data), m); err != nil {
		return sqlstore.Version{}, fmt.Errorf("decode %s: %w", name, err)
	}
	setETag(m, sqlstore.ETag(name, rev))
	return sqlstore.Version{Revision: rev}, nil
}

// Update stores m over the revision read as v (ABORTED when someone wrote
// it since), replaces its facets and sets m's new etag.
func Update(ctx context.Context, tx *sqlstore.Tx, name string, m proto.Message, v sqlstore.Version, facets []Facet) error {
	data, err := encode(m)
	if err != nil {
		return err
	}
	res, err := tx.Exec(ctx, `UPDATE documents SET revision = revision + 1, update_time = ?, data = ? WHERE name = ? AND revision = ?`,
		sqlstore.Time(time.Now()), data, name, v.Revision)
	if err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return sqlstore.Stale(name)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM document_facets WHERE name = ?`, name); err != nil {
		return fmt.Errorf("reindex %s: %w", name, err)
	}
	setETag(m, sqlstore.ETag(name, v.Revision+1))
	kind, _ := Split(name)
	return insertFacets(ctx, tx, kind, name, facets)
}

// Delete removes the document read at v.
func Delete(ctx context.Context, tx *sqlstore.Tx, name string, v sqlstore.Version) error {
	if _, err := tx.Exec(ctx, `DELETE FROM document_facets WHERE name = ?`, name); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	res, err := tx.Exec(ctx, `DELETE FROM documents WHERE name = ? AND revision = ?`, name, v.Revision)
	if err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return sqlstore.Stale(name)
	}
	return nil
}

// Query selects a page of one collection.
type Query struct {
	Kind string
	// Parent restricts to children of one parent; "*" means any parent.
	Parent string
	// Terms filter by facets (field = value / field != value); values must
	// already be normalised as the facets were written.
	Terms []listing.Term
	// Name, when set, restricts the result to that one document (a
	// provider user's own provider, say).
	Name string
	// After is the name after which the page starts.
	After string
	Limit int
}

// List returns the documents of q in name order, decoding each with
// newMsg.
func List[T proto.Message](ctx context.Context, tx *sqlstore.Tx, q Query, newMsg func() T) ([]T, error) {
	sqlq := `SELECT d.name, d.revision, d.data FROM documents d WHERE d.kind = ? AND d.name > ?`
	args := []any{q.Kind, q.After}
	if q.Parent != "*" {
		sqlq += ` AND d.parent = ?`
		args = append(args, q.Parent)
	}
	if q.Name != "" {
		sqlq += ` AND d.name = ?`
		args = append(args, q.Name)
	}
	for _, t := range q.Terms {
		exists := "EXISTS"
		if t.Op == listing.NotEqual {
			exists = "NOT EXISTS"
		}
		sqlq += ` AND ` + exists + ` (SELECT 1 FROM document_facets f WHERE f.kind = ? AND f.field = ? AND f.value = ? AND f.name = d.name)`
		args = append(args, q.Kind, t.Field, t.Value)
	}
	sqlq += ` ORDER BY d.name LIMIT ` + strconv.Itoa(q.Limit)
	rows, err := tx.Query(ctx, sqlq, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", q.Kind, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var name, data string
		var rev int64
		if err := rows.Scan(&name, &rev, &data); err != nil {
			return nil, fmt.Errorf("list %s: %w", q.Kind, err)
		}
		m := newMsg()
		if err := unmarshal.Unmarshal([]byte(data), m); err != nil {
			return nil, fmt.Errorf("decode %s: %w", name, err)
		}
		setETag(m, sqlstore.ETag(name, rev))
		out = append(out, m)
	}
	return out, rows.Err()
}

// Page runs a List request's paging: it decodes the page token, lists one
// more than the page size to know whether there is a next page, and returns
// the page and the next token. The token is bound to query (the request's
// other parameters, e.g. the filter) and to q's collection, parent and name,
// so a token is refused on any other list (AIP-158). nameOf returns a
// document's resource name.
func Page[T proto.Message](ctx context.Context, tx *sqlstore.Tx, q Query, pageSize int32, pageToken, query string, newMsg func() T, nameOf func(T) string) ([]T, string, error) {
	query = strings.Join([]string{q.Kind, q.Parent, q.Name, query}, "\x00")
	after, err := listing.DecodePageToken(pageToken, query)
	if err != nil {
		return nil, "", err
	}
	limit := listing.PageSize(pageSize)
	q.After, q.Limit = after, limit+1
	page, err := List(ctx, tx, q, newMsg)
	if err != nil {
		return nil, "", err
	}
	if len(page) <= limit {
		return page, "", nil
	}
	page = page[:limit]
	return page, listing.EncodePageToken(nameOf(page[limit-1]), query), nil
}

// GetCurrent is Get for a change: it also answers ABORTED when the caller
// sent an etag that is not the document's current one (AIP-154).
func GetCurrent(ctx context.Context, tx *sqlstore.Tx, name, etag string, m proto.Message) (sqlstore.Version, error) {
	v, err := Get(ctx, tx, name, m)
	if err != nil {
		return v, err
	}
	return v, sqlstore.CheckETag(name, etag, sqlstore.ETag(name, v.Revision))
}
