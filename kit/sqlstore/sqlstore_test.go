package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/acme/bpo/kit/sqlstore"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"password in the user info", "postgres://bpo:s3cret@db:5432/bpo?sslmode=disable", "postgres://bpo:xxxxx@db:5432/bpo?sslmode=disable"},
		{"password as a parameter", "postgresql://bpo@db/bpo?password=s3cret&sslmode=disable", "postgresql://bpo@db/bpo?password=xxxxx&sslmode=disable"},
		{"no password", "postgres://bpo@db/bpo", "postgres://bpo@db/bpo"},
		{"a URL that does not parse is hidden whole", "postgres://bpo:s3cret@db:port/bpo", "postgres://(a URL that does not parse; hidden)"},
		{"a SQLite path is kept", "data/catalog.db", "data/catalog.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sqlstore.Redact(tt.dsn)
			if got != tt.want {
				t.Fatalf("Redact(%q) = %q, want %q", tt.dsn, got, tt.want)
			}
			if strings.Contains(got, "s3cret") {
				t.Fatalf("%q shows the password", got)
			}
		})
	}
}
