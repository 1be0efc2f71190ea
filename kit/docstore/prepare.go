package docstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/acme/bpo/kit/sqlstore"
)

// Preparer is a collection as Prepare and Reindex see it: any *Collection.
type Preparer interface {
	Pattern() string
	kindOf() string
	fingerprint() string
	// rewrite re-encodes and re-indexes one batch of the collection's
	// documents after the name after; it returns the last name done, ""
	// at the end.
	rewrite(ctx context.Context, tx *sqlstore.Tx, after string, facets bool) (string, int, error)
}

func (c *Collection[T]) kindOf() string      { return c.kind }
func (c *Collection[T]) fingerprint() string { return c.schema.Fingerprint() }

// batch is how many documents one transaction of Prepare rewrites, so a
// large collection never holds the writer for long.
const batch = 500

func (c *Collection[T]) rewrite(ctx context.Context, tx *sqlstore.Tx, after string, facets bool) (string, int, error) {
	q := `SELECT name, revision, data, encoding, body FROM documents WHERE kind = ? AND name > ?`
	if !facets {
		q += ` AND encoding <> 'proto'`
	}
	rows, err := tx.Query(ctx, q+` ORDER BY name LIMIT ?`, c.kind, after, batch)
	if err != nil {
		return "", 0, fmt.Errorf("prepare %s: %w", c.pattern, err)
	}
	type doc struct {
		name string
		rev  int64
		m    T
	}
	var docs []doc
	for rows.Next() {
		var d doc
		var data, encoding string
		var body []byte
		if err := rows.Scan(&d.name, &d.rev, &data, &encoding, &body); err != nil {
			rows.Close()
			return "", 0, err
		}
		d.m = c.new()
		if err := decode(d.name, encoding, data, body, d.m); err != nil {
			rows.Close()
			return "", 0, fmt.Errorf("%w; no document was changed: deploy the build that wrote it, or fix the document by hand", err)
		}
		docs = append(docs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", 0, err
	}
	for _, d := range docs {
		body, err := encode(d.m)
		if err != nil {
			return "", 0, err
		}
		// The revision stays: re-encoding changes no content, so an etag a
		// client holds stays valid.
		res, err := tx.Exec(ctx, `UPDATE documents SET data = '', encoding = ?, type = ?, body = ? WHERE name = ? AND revision = ?`,
			encodingProto, c.typeName(), body, d.name, d.rev)
		if err != nil {
			return "", 0, fmt.Errorf("prepare %s: %w", d.name, err)
		}
		// A document changed (or deleted) since it was read was written by
		// this build, binary and with fresh facets: leave it alone rather
		// than index its old content.
		if n, _ := res.RowsAffected(); n != 1 {
			continue
		}
		if facets {
			if _, err := tx.Exec(ctx, `DELETE FROM document_facets WHERE name = ?`, d.name); err != nil {
				return "", 0, fmt.Errorf("reindex %s: %w", d.name, err)
			}
			if err := insertFacets(ctx, tx, c.kind, d.name, c.schema.Facets(d.m)); err != nil {
				return "", 0, err
			}
		}
	}
	if len(docs) < batch {
		return "", len(docs), nil
	}
	return docs[len(docs)-1].name, len(docs), nil
}

// Prepare readies a service's documents for this build, at start-up after
// the migrations: documents still in protojson are rewritten as binary
// (refusing, with the document's name, one that holds a field this build
// does not know), and a collection whose filter schema changed since its
// facets were built has them rebuilt, so a filter field added later finds
// older documents too. It refuses two collections that share a kind under
// different patterns, since facets and lists are kept per kind.
func Prepare(ctx context.Context, db *sqlstore.DB, cs ...Preparer) error {
	_, err := prepare(ctx, db, false, cs)
	return err
}

// Reindex rebuilds the facets of every document of cs (bpo reindex), and
// returns how many documents it indexed.
func Reindex(ctx context.Context, db *sqlstore.DB, cs ...Preparer) (int, error) {
	return prepare(ctx, db, true, cs)
}

func prepare(ctx context.Context, db *sqlstore.DB, force bool, cs []Preparer) (int, error) {
	kinds := map[string]string{}
	for _, c := range cs {
		if other, ok := kinds[c.kindOf()]; ok && other != c.Pattern() {
			return 0, fmt.Errorf("docstore: collections %s and %s share the kind %q", other, c.Pattern(), c.kindOf())
		}
		kinds[c.kindOf()] = c.Pattern()
	}
	total := 0
	for _, c := range cs {
		var stored string
		err := db.Read(ctx, func(tx *sqlstore.Tx) error {
			return tx.QueryRow(ctx, `SELECT facets FROM document_collections WHERE pattern = ?`, c.Pattern()).Scan(&stored)
		})
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return total, fmt.Errorf("prepare %s: %w", c.Pattern(), err)
		}
		facets := force || stored != c.fingerprint()
		after := ""
		for {
			var n int
			err := db.Write(ctx, func(tx *sqlstore.Tx) error {
				var err error
				after, n, err = c.rewrite(ctx, tx, after, facets)
				return err
			})
			if err != nil {
				return total, err
			}
			total += n
			if after == "" {
				break
			}
		}
		if stored != c.fingerprint() {
			// An upsert: two replicas starting at once both record it.
			err := db.Write(ctx, func(tx *sqlstore.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO document_collections (pattern, facets) VALUES (?, ?) ON CONFLICT (pattern) DO UPDATE SET facets = excluded.facets`,
					c.Pattern(), c.fingerprint())
				return err
			})
			if err != nil {
				return total, fmt.Errorf("prepare %s: %w", c.Pattern(), err)
			}
		}
	}
	return total, nil
}
