// Package store keeps the catalog's resources in SQLite or PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/provider"
	"google.golang.org/protobuf/encoding/protojson"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the catalog's schema migrations.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Schema is the PostgreSQL schema of the catalog's tables.
const Schema = "catalog"

var unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}

// InsertProvider stores a new provider (name and times set) and sets its etag.
func InsertProvider(ctx context.Context, tx *sqlstore.Tx, p *catalogv1.Provider) error {
	id := strings.TrimPrefix(p.GetName(), "providers/")
	p.Etag = ""
	data, err := protojson.Marshal(p)
	if err != nil {
		return err
	}
	p.Etag = sqlstore.ETag(id, 1)
	if _, err := tx.Exec(ctx, `INSERT INTO providers (id, revision, create_time, update_time, data) VALUES (?, 1, ?, ?, ?)`,
		id, sqlstore.Time(p.GetCreateTime().AsTime()), sqlstore.Time(p.GetUpdateTime().AsTime()), string(data)); err != nil {
		return fmt.Errorf("insert provider: %w", err)
	}
	return insertFacets(ctx, tx, id, p)
}

func insertFacets(ctx context.Context, tx *sqlstore.Tx, id string, p *catalogv1.Provider) error {
	for _, f := range provider.Facets(p) {
		if _, err := tx.Exec(ctx, `INSERT INTO provider_facets (kind, value, provider_id) VALUES (?, ?, ?)`, f.Kind, f.Value, id); err != nil {
			return fmt.Errorf("insert provider facet: %w", err)
		}
	}
	return nil
}

// GetProvider reads a provider with its etag set; NOT_FOUND when missing.
func GetProvider(ctx context.Context, tx *sqlstore.Tx, name string) (*catalogv1.Provider, sqlstore.Version, error) {
	id := strings.TrimPrefix(name, "providers/")
	var rev int64
	var data string
	err := tx.QueryRow(ctx, `SELECT revision, data FROM providers WHERE id = ?`, id).Scan(&rev, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sqlstore.Version{}, apperr.New(apperr.NotFound, "%s does not exist", name)
	}
	if err != nil {
		return nil, sqlstore.Version{}, fmt.Errorf("get provider: %w", err)
	}
	p, err := decodeProvider(id, rev, data)
	return p, sqlstore.Version{Revision: rev}, err
}

func decodeProvider(id string, rev int64, data string) (*catalogv1.Provider, error) {
	p := &catalogv1.Provider{}
	if err := unmarshal.Unmarshal([]byte(data), p); err != nil {
		return nil, fmt.Errorf("decode provider %s: %w", id, err)
	}
	p.Etag = sqlstore.ETag(id, rev)
	return p, nil
}

// UpdateProvider stores p over the revision read as v; ABORTED when someone
// changed it since. It sets p's update time from now and its new etag.
func UpdateProvider(ctx context.Context, tx *sqlstore.Tx, p *catalogv1.Provider, v sqlstore.Version) error {
	id := strings.TrimPrefix(p.GetName(), "providers/")
	p.Etag = ""
	data, err := protojson.Marshal(p)
	if err != nil {
		return err
	}
	res, err := tx.Exec(ctx, `UPDATE providers SET revision = revision + 1, update_time = ?, data = ? WHERE id = ? AND revision = ?`,
		sqlstore.Time(p.GetUpdateTime().AsTime()), string(data), id, v.Revision)
	if err != nil {
		return fmt.Errorf("update provider: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return sqlstore.Stale(p.GetName())
	}
	if _, err := tx.Exec(ctx, `DELETE FROM provider_facets WHERE provider_id = ?`, id); err != nil {
		return fmt.Errorf("update provider facets: %w", err)
	}
	p.Etag = sqlstore.ETag(id, v.Revision+1)
	return insertFacets(ctx, tx, id, p)
}

// DeleteProvider removes a provider read at v.
func DeleteProvider(ctx context.Context, tx *sqlstore.Tx, name string, v sqlstore.Version) error {
	id := strings.TrimPrefix(name, "providers/")
	if _, err := tx.Exec(ctx, `DELETE FROM provider_facets WHERE provider_id = ?`, id); err != nil {
		return fmt.Errorf("delete provider facets: %w", err)
	}
	res, err := tx.Exec(ctx, `DELETE FROM providers WHERE id = ? AND revision = ?`, id, v.Revision)
	if err != nil {
		return fmt.Errorf("delete provider: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return sqlstore.Stale(name)
	}
	return nil
}

// ProviderQuery selects a page of providers.
type ProviderQuery struct {
	Terms []listing.Term
	// OnlyID restricts the result to one provider (a provider user's own).
	OnlyID string
	After  string // id after which the page starts
	Limit  int
}

// ListProviders returns up to Limit providers in id order (ids are ULIDs,
// so this is creation order and stable).
func ListProviders(ctx context.Context, tx *sqlstore.Tx, q ProviderQuery) ([]*catalogv1.Provider, error) {
	sqlq := `SELECT p.id, p.revision, p.data FROM providers p WHERE p.id > ?`
	args := []any{q.After}
	if q.OnlyID != "" {
		sqlq += ` AND p.id = ?`
		args = append(args, q.OnlyID)
	}
	for _, t := range q.Terms {
		exists := "EXISTS"
		if t.Op == listing.NotEqual {
			exists = "NOT EXISTS"
		}
		sqlq += ` AND ` + exists + ` (SELECT 1 FROM provider_facets f WHERE f.kind = ? AND f.value = ? AND f.provider_id = p.id)`
		args = append(args, t.Field, provider.NormalizeValue(t.Field, t.Value))
	}
	sqlq += ` ORDER BY p.id LIMIT ` + strconv.Itoa(q.Limit)
	rows, err := tx.Query(ctx, sqlq, args...)
	if err != nil {
		return nil, fmt.Errorf("list providers: %w", err)
	}
	defer rows.Close()
	var out []*catalogv1.Provider
	for rows.Next() {
		var id, data string
		var rev int64
		if err := rows.Scan(&id, &rev, &data); err != nil {
			return nil, fmt.Errorf("list providers: %w", err)
		}
		p, err := decodeProvider(id, rev, data)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
