package sqlstore

import "database/sql"

// Pools are the connection pools of db by role, for their statistics
// (the go_sql_* metrics of `bpo serve`): "write" and "read" on SQLite (one
// writer connection, a pool of readers), "pool" on PostgreSQL (one pool
// for both).
func (db *DB) Pools() map[string]*sql.DB {
	if db.read == db.write {
		return map[string]*sql.DB{"pool": db.write}
	}
	return map[string]*sql.DB{"write": db.write, "read": db.read}
}
