package sqlstore

import "embed"

// kitMigrations create the tables the kit itself uses in every service's
// database: the audit log and the idempotency keys. They differ per dialect
// only in types and in the triggers that keep the audit log append-only.
//
//go:embed migrations
var kitMigrations embed.FS
