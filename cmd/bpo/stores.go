package main

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/acme/bpo/services/platform"
)

// stores are the flags that choose services and say where they keep their
// data, shared by serve and reindex.
type stores struct {
	service string
	dataDir string
	db      string
	// extra are the choices of --service besides all and the services.
	extra []string
}

// flags defines --service, --data-dir and --db on fs; verb says what the
// command does with the chosen services, extra are the choices of
// --service besides all and the services.
func (s *stores) flags(fs *flag.FlagSet, verb string, extra ...string) {
	s.extra = extra
	fs.StringVar(&s.service, "service", "all", "what to "+verb+": "+strings.Join(choices(extra), ", "))
	fs.StringVar(&s.dataDir, "data-dir", "./data", "directory of the SQLite files and the local signing key")
	fs.StringVar(&s.db, "db", "", "database: a postgres:// URL (each service in its own schema) or empty for SQLite files in --data-dir")
}

// choices are all, the services that run on their own, and extra.
func choices(extra []string) []string {
	out := []string{"all"}
	for _, s := range platform.Services {
		if !s.InGateway {
			out = append(out, s.Name)
		}
	}
	return append(out, extra...)
}

// check refuses a --service or --db that cannot be meant.
func (s *stores) check() error {
	if valid := choices(s.extra); !slices.Contains(valid, s.service) {
		return fmt.Errorf("--service %q: want one of %s", s.service, strings.Join(valid, ", "))
	}
	// Anything else would be taken for a SQLite file name, shared by every
	// service of the process and logged with whatever password it holds.
	if s.db != "" && !strings.HasPrefix(s.db, "postgres://") && !strings.HasPrefix(s.db, "postgresql://") {
		return errors.New("--db must be a postgres:// URL (leave it empty for SQLite files in --data-dir)")
	}
	return nil
}

// selected are the services --service names: all of them, one, or the
// gateway's own (the lifecycle view).
func (s *stores) selected() []platform.Service {
	var out []platform.Service
	for _, svc := range platform.Services {
		if s.service == "all" || s.service == svc.Name || (s.service == "gateway" && svc.InGateway) {
			out = append(out, svc)
		}
	}
	return out
}

// dsn is where the service called name keeps its data.
func (s *stores) dsn(name string) string {
	if s.db != "" {
		return s.db
	}
	return filepath.Join(s.dataDir, name+".db")
}
