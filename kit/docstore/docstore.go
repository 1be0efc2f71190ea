// Package docstore keeps a service's resources as documents: one row per
// resource name holding the resource as binary protobuf, a revision for
// etags and optimistic locking, and facets — (field, value) pairs — indexed
// for List filters.
//
// Every document belongs to a Collection: one message type under one name
// pattern (`providers/{provider}`), taken from the message's
// google.api.resource annotation or, for a service's own bookkeeping,
// declared where it is used. A collection refuses a name of any other
// pattern, so a handler that is handed the name of another kind of resource
// can neither read it as its own nor overwrite it.
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
	"go.einride.tech/aip/pagination"
	"go.einride.tech/aip/resourcename"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Facet is a value a document can be filtered by.
type Facet = listing.Facet

// Split returns the kind (collection id) and parent of a resource name.
func Split(name string) (kind, parent string) {
	segs := strings.Split(name, "/")
	if len(segs)%2 == 1 { // singleton: …/parent/kind
		return segs[len(segs)-1], strings.Join(segs[:len(segs)-1], "/")
	}
	return segs[len(segs)-2], strings.Join(segs[:len(segs)-2], "/")
}

// Encodings of the data of a document. Documents written before binary
// storage hold protojson; docstore.Prepare rewrites them as binary.
const (
	encodingProto     = "proto"
	encodingProtoJSON = "protojson"
)

// Binary protobuf keeps the data of a field this build does not know (one
// removed, or added by a newer build) as unknown fields and writes it back
// on update, and a renamed field keeps its number: no change of the schema
// loses stored data silently.
var marshal = proto.MarshalOptions{Deterministic: true}

func encode(m proto.Message) ([]byte, error) {
	c := proto.Clone(m)
	setETag(c, "")
	return marshal.Marshal(c)
}

// decode reads a stored document into m. Old protojson documents are read
// strictly: a field this build does not know is an error that names the
// document, never dropped.
func decode(name, encoding string, data string, body []byte, m proto.Message) error {
	var err error
	switch encoding {
	case encodingProto:
		err = proto.Unmarshal(body, m)
	case encodingProtoJSON:
		err = protojson.Unmarshal([]byte(data), m)
	default:
		err = fmt.Errorf("unknown encoding %q", encoding)
	}
	if err != nil {
		return fmt.Errorf("document %s cannot be read as %s: %w", name, m.ProtoReflect().Descriptor().FullName(), err)
	}
	return nil
}

// setETag sets the message's `etag` field, when it has one.
func setETag(m proto.Message, etag string) {
	r := m.ProtoReflect()
	if fd := r.Descriptor().Fields().ByName("etag"); fd != nil && fd.Kind() == protoreflect.StringKind {
		r.Set(fd, protoreflect.ValueOfString(etag))
	}
}

// Collection is one kind of document: a message type stored under one
// resource name pattern, found by the facets its Schema declares.
type Collection[T proto.Message] struct {
	pattern string
	kind    string
	schema  listing.Schema[T]
}

// Resource is the collection of T under the pattern of its
// google.api.resource annotation. It panics when T has none: that is a
// programming error found by the first test that builds the server.
func Resource[T proto.Message](schema listing.Schema[T]) *Collection[T] {
	var zero T
	md := zero.ProtoReflect().Descriptor()
	rd, _ := proto.GetExtension(md.Options(), annotations.E_Resource).(*annotations.ResourceDescriptor)
	if len(rd.GetPattern()) != 1 {
		panic(fmt.Sprintf("docstore: %s has no single google.api.resource pattern", md.FullName()))
	}
	return Internal(rd.GetPattern()[0], schema)
}

// Internal is a collection of T under pattern, for what a service keeps
// beside its resources (a resource's past revisions, a counter): pattern is
// AIP-122 shaped, with `{variable}` ids.
func Internal[T proto.Message](pattern string, schema listing.Schema[T]) *Collection[T] {
	if err := resourcename.ValidatePattern(pattern); err != nil {
		panic(fmt.Sprintf("docstore: pattern %q: %v", pattern, err))
	}
	kind, _ := Split(pattern)
	return &Collection[T]{pattern: pattern, kind: kind, schema: schema}
}

// Pattern is the collection's name pattern.
func (c *Collection[T]) Pattern() string { return c.pattern }

// Schema is the collection's filter.
func (c *Collection[T]) Schema() listing.Schema[T] { return c.schema }

func (c *Collection[T]) new() T {
	var zero T
	return zero.ProtoReflect().Type().New().Interface().(T)
}

func (c *Collection[T]) typeName() string {
	var zero T
	return string(zero.ProtoReflect().Descriptor().FullName())
}

// check refuses a name of any other pattern. Handlers parse names with the
// typed …ResourceName parsers first, naming the field; this is the store's
// own guard, so that no handler can reach a document of another kind.
func (c *Collection[T]) check(name string) error {
	if !resourcename.Match(c.pattern, name) {
		return apperr.New(apperr.InvalidArgument, "%q is not a %s name (%s)", name, c.typeName(), c.pattern)
	}
	return nil
}

// Insert stores m as a new document at revision 1 and sets m's etag;
// ALREADY_EXISTS when the name is taken.
func (c *Collection[T]) Insert(ctx context.Context, tx *sqlstore.Tx, name string, m T) error {
	if err := c.check(name); err != nil {
		return err
	}
	body, err := encode(m)
	if err != nil {
		return err
	}
	kind, parent := Split(name)
	now := sqlstore.Time(time.Now())
	if _, err := tx.Exec(ctx, `INSERT INTO documents (name, kind, parent, revision, create_time, update_time, data, encoding, type, body) VALUES (?, ?, ?, 1, ?, ?, '', ?, ?, ?)`,
		name, kind, parent, now, now, encodingProto, c.typeName(), body); err != nil {
		if sqlstore.IsUniqueViolation(err) {
			return apperr.New(apperr.AlreadyExists, "%s already exists", name)
		}
		return fmt.Errorf("insert %s: %w", name, err)
	}
	setETag(m, sqlstore.ETag(name, 1))
	return insertFacets(ctx, tx, kind, name, c.schema.Facets(m))
}

// insertFacets indexes name. A facet already there is fine: two replicas
// starting at once may both rebuild a collection's facets in Prepare.
func insertFacets(ctx context.Context, tx *sqlstore.Tx, kind, name string, facets []Facet) error {
	seen := map[Facet]bool{}
	for _, f := range facets {
		if f.Value == "" || seen[f] {
			continue
		}
		seen[f] = true
		if _, err := tx.Exec(ctx, `INSERT INTO document_facets (kind, field, value, name) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, kind, f.Field, f.Value, name); err != nil {
			return fmt.Errorf("index %s: %w", name, err)
		}
	}
	return nil
}

// Get reads the document name with its etag; NOT_FOUND when there is none.
func (c *Collection[T]) Get(ctx context.Context, tx *sqlstore.Tx, name string) (T, sqlstore.Version, error) {
	m := c.new()
	if err := c.check(name); err != nil {
		return m, sqlstore.Version{}, err
	}
	var rev int64
	var data, encoding, typ string
	var body []byte
	err := tx.QueryRow(ctx, `SELECT revision, data, encoding, type, body FROM documents WHERE name = ?`, name).Scan(&rev, &data, &encoding, &typ, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return m, sqlstore.Version{}, apperr.New(apperr.NotFound, "%s does not exist", name)
	}
	if err != nil {
		return m, sqlstore.Version{}, fmt.Errorf("get %s: %w", name, err)
	}
	if typ != "" && typ != c.typeName() {
		return m, sqlstore.Version{}, fmt.Errorf("document %s is a %s, not a %s", name, typ, c.typeName())
	}
	if err := decode(name, encoding, data, body, m); err != nil {
		return m, sqlstore.Version{}, err
	}
	setETag(m, sqlstore.ETag(name, rev))
	return m, sqlstore.Version{Revision: rev}, nil
}

// GetForChange is Get before a change: it also answers ABORTED when the
// caller sent an etag that is not the document's current one (AIP-154).
func (c *Collection[T]) GetForChange(ctx context.Context, tx *sqlstore.Tx, name, etag string) (T, sqlstore.Version, error) {
	m, v, err := c.Get(ctx, tx, name)
	if err != nil {
		return m, v, err
	}
	return m, v, sqlstore.CheckETag(name, etag, sqlstore.ETag(name, v.Revision))
}

// Update stores m over the revision read as v (ABORTED when someone wrote
// it since), replaces its facets and sets m's new etag.
func (c *Collection[T]) Update(ctx context.Context, tx *sqlstore.Tx, name string, m T, v sqlstore.Version) error {
	if err := c.check(name); err != nil {
		return err
	}
	body, err := encode(m)
	if err != nil {
		return err
	}
	res, err := tx.Exec(ctx, `UPDATE documents SET revision = revision + 1, update_time = ?, data = '', encoding = ?, type = ?, body = ? WHERE name = ? AND revision = ?`,
		sqlstore.Time(time.Now()), encodingProto, c.typeName(), body, name, v.Revision)
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
	return insertFacets(ctx, tx, c.kind, name, c.schema.Facets(m))
}

// Delete removes the document read at v.
func (c *Collection[T]) Delete(ctx context.Context, tx *sqlstore.Tx, name string, v sqlstore.Version) error {
	if err := c.check(name); err != nil {
		return err
	}
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

// Query selects documents of one collection.
type Query struct {
	// Parent restricts to children of one parent; "*" means any parent.
	// Top-level collections have the parent "".
	Parent string
	// Terms filter by facets (field = value / field != value); values must
	// already be spelled as the facets were written (Schema.Parse does).
	Terms []listing.Term
	// Name, when set, restricts the result to that one document (a
	// provider user's own provider, say).
	Name string
	// After is the name after which the result starts.
	After string
	// Limit is the most documents returned; 0 means no limit.
	Limit int
}

// List returns the documents of q in name order.
func (c *Collection[T]) List(ctx context.Context, tx *sqlstore.Tx, q Query) ([]T, error) {
	sqlq := `SELECT d.name, d.revision, d.data, d.encoding, d.body FROM documents d WHERE d.kind = ? AND d.name > ?`
	args := []any{c.kind, q.After}
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
		args = append(args, c.kind, t.Field, t.Value)
	}
	sqlq += ` ORDER BY d.name`
	if q.Limit > 0 {
		sqlq += ` LIMIT ` + strconv.Itoa(q.Limit)
	}
	rows, err := tx.Query(ctx, sqlq, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", c.pattern, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var name, data, encoding string
		var body []byte
		var rev int64
		if err := rows.Scan(&name, &rev, &data, &encoding, &body); err != nil {
			return nil, fmt.Errorf("list %s: %w", c.pattern, err)
		}
		m := c.new()
		if err := decode(name, encoding, data, body, m); err != nil {
			return nil, err
		}
		setETag(m, sqlstore.ETag(name, rev))
		out = append(out, m)
	}
	return out, rows.Err()
}

// ListRequest is what every List request has (AIP-132, AIP-158).
type ListRequest interface {
	proto.Message
	GetPageSize() int32
	GetPageToken() string
}

// filtered is a List request with a filter (AIP-160).
type filtered interface{ GetFilter() string }

// Page is a List method's one path: it parses the request's filter with
// the collection's schema, adds q's restrictions (the parent, what the
// caller may see), and returns one page in name order with the token of
// the next. The token is bound to a checksum of the whole request but its
// page size and token, so it is refused (INVALID_ARGUMENT on page_token)
// with another filter, parent or order.
func (c *Collection[T]) Page(ctx context.Context, tx *sqlstore.Tx, req ListRequest, q Query) ([]T, string, error) {
	if f, ok := req.(filtered); ok {
		terms, err := c.schema.Parse(f.GetFilter())
		if err != nil {
			return nil, "", err
		}
		q.Terms = append(terms, q.Terms...)
	}
	sum, err := pagination.CalculateRequestChecksum(req)
	if err != nil {
		return nil, "", err
	}
	bound := strings.Join([]string{c.pattern, q.Parent, q.Name, strconv.FormatUint(uint64(sum), 16)}, "\x00")
	after, err := listing.DecodePageToken(req.GetPageToken(), bound)
	if err != nil {
		return nil, "", err
	}
	// The token is the caller's to forge; its key must at least be a name
	// of this collection (PostgreSQL refuses text with NUL as an error).
	if after != "" && (resourcename.Validate(after) != nil || !resourcename.Match(c.pattern, after)) {
		return nil, "", listing.InvalidPageToken()
	}
	limit := listing.PageSize(req.GetPageSize())
	q.After, q.Limit = after, limit+1
	page, err := c.List(ctx, tx, q)
	if err != nil {
		return nil, "", err
	}
	if len(page) <= limit {
		return page, "", nil
	}
	page = page[:limit]
	last := page[limit-1].ProtoReflect()
	lastName := last.Get(last.Descriptor().Fields().ByName("name")).String()
	return page, listing.EncodePageToken(lastName, bound), nil
}
