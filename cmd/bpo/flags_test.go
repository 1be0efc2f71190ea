package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseServe(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(c *serveConfig) bool
		wantErr string // part of the error; "" for none
	}{
		{"defaults", nil, nil, func(c *serveConfig) bool {
			return c.service == "all" && c.grpcAddr == "localhost:9090" && c.httpAddr == "localhost:8080" && c.dataDir == "./data" && c.catalogAddr == "localhost:9090"
		}, ""},
		{"an environment variable sets a flag", nil, map[string]string{"BPO_DATA_DIR": "/srv/bpo", "BPO_DRAIN_TIMEOUT": "3s"}, func(c *serveConfig) bool {
			return c.dataDir == "/srv/bpo" && c.drainTimeout == 3*time.Second
		}, ""},
		{"a flag on the command line wins over the environment", []string{"--data-dir", "/cli"}, map[string]string{"BPO_DATA_DIR": "/env"}, func(c *serveConfig) bool {
			return c.dataDir == "/cli"
		}, ""},
		{"upstream addresses default to the gRPC address, also when it comes from the environment", nil, map[string]string{"BPO_GRPC_ADDR": ":9999"}, func(c *serveConfig) bool {
			return c.catalogAddr == ":9999" && c.contractAddr == ":9999" && c.transAddr == ":9999" && c.monitorAddr == ":9999"
		}, ""},
		{"a postgres URL", []string{"--db", "postgres://bpo:pw@db/bpo"}, nil, func(c *serveConfig) bool { return c.db == "postgres://bpo:pw@db/bpo" }, ""},
		{"an unknown service", []string{"--service", "billing"}, nil, nil, `--service "billing"`},
		{"the lifecycle view runs with the gateway, not alone", []string{"--service", "lifecycle"}, nil, nil, `--service "lifecycle"`},
		{"a bad value in the environment names the variable", nil, map[string]string{"BPO_DRAIN_TIMEOUT": "soon"}, nil, "BPO_DRAIN_TIMEOUT"},
		{"a database that is not a postgres URL", []string{"--db", "host=db user=bpo password=pw"}, nil, nil, "--db must be a postgres:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := parseServe(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Fatalf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("config %+v", c)
			}
		})
	}
}
