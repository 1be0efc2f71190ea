package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acme/bpo/kit/auth"
)

// TestServeRefusesToMakeItsOwnKeyInASplitSetUp: a process told where its
// peers are (or one service alone on a shared database) would otherwise
// create a key no other process knows; it refuses, saying how to share one.
func TestServeRefusesToMakeItsOwnKeyInASplitSetUp(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "jwt.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withKey := t.TempDir()
	if _, err := auth.LoadOrCreateLocalKey(withKey); err != nil {
		t.Fatal(err)
	}
	const pg = "postgres://bpo@localhost:5432/bpo"
	tests := []struct {
		name    string
		args    []string
		refused bool
	}{
		{"everything in one process", []string{"--service", "all"}, false},
		{"contract told where catalog is", []string{"--service", "contract", "--catalog-addr", "localhost:9091"}, true},
		{"the gateway told where the services are", []string{"--service", "gateway", "--catalog-addr", "localhost:9091", "--contract-addr", "localhost:9092"}, true},
		{"catalog alone on a shared database", []string{"--service", "catalog", "--db", pg}, true},
		{"catalog alone on its SQLite file", []string{"--service", "catalog"}, false},
		{"given --jwt-secret-file", []string{"--service", "contract", "--catalog-addr", "localhost:9091", "--jwt-secret-file", keyFile}, false},
		{"given --jwks-file", []string{"--service", "contract", "--catalog-addr", "localhost:9091", "--jwks-file", keyFile}, false},
		{"a key already in --data-dir", []string{"--service", "contract", "--catalog-addr", "localhost:9091", "--data-dir", withKey}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--data-dir", t.TempDir()}, tt.args...) // a later --data-dir wins
			_, err := parseServe(args)
			if !tt.refused {
				if err != nil {
					t.Fatalf("parseServe(%v): %v; want it accepted", tt.args, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseServe(%v) accepted; want a refusal to make a key of its own", tt.args)
			}
			for _, want := range []string{"no token key", "openssl rand -hex 32", "--jwt-secret-file", "bpo token and bpo demo"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// TestTokenAndDemoTakeTheSharedKeyFile: `bpo token --jwt-secret-file`
// signs with that key (a server given the same file accepts the token),
// and creates no local key.
func TestTokenAndDemoTakeTheSharedKeyFile(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	keyFile := filepath.Join(dir, "jwt.key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	var out, errOut bytes.Buffer
	if err := token([]string{"--role", "auditor", "--jwt-secret-file", keyFile, "--data-dir", dataDir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewHMACVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("a verifier with the file's key refuses the token: %v", err)
	}
	if !p.Has(auth.Auditor) {
		t.Errorf("token roles %v; want auditor", p.Roles)
	}
	if _, err := os.Stat(filepath.Join(dataDir, auth.LocalKeyFile)); !os.IsNotExist(err) {
		t.Errorf("bpo token --jwt-secret-file created a local key (%v)", err)
	}
	// A key file that is not hex is refused, not used as it is.
	bad := filepath.Join(dir, "bad.key")
	_ = os.WriteFile(bad, []byte("not hex"), 0o600)
	if err := token([]string{"--role", "auditor", "--jwt-secret-file", bad}, &out, &errOut); err == nil {
		t.Errorf("bpo token took a key file that is not hex")
	}
	// bpo demo reads the same flag (and stops at the missing gateway).
	err = demo(context.Background(), []string{"--jwt-secret-file", keyFile, "--base-url", "http://" + freeAddr(t)}, &out)
	if err == nil || !strings.Contains(err.Error(), "no REST gateway") {
		t.Errorf("demo with --jwt-secret-file and no gateway: %v; want it past the key, to the gateway check", err)
	}
	if err := demo(context.Background(), []string{"--jwt-secret-file", bad}, &out); err == nil || strings.Contains(err.Error(), "no REST gateway") {
		t.Errorf("demo with a bad key file: %v; want the key refused", err)
	}
}

// TestDemoHelpNamesNoArgument: a backquoted word in a flag's usage becomes
// its argument name in -h; --base-url's must not read "bpo serve".
func TestDemoHelpNamesNoArgument(t *testing.T) {
	var out bytes.Buffer
	old := os.Stderr
	r, w, _ := os.Pipe()
	os.Stderr = w
	_ = demo(context.Background(), []string{"-h"}, &out)
	w.Close()
	os.Stderr = old
	var help bytes.Buffer
	_, _ = help.ReadFrom(r)
	if strings.Contains(help.String(), "-base-url bpo") || !strings.Contains(help.String(), "-base-url string") {
		t.Errorf("bpo demo -h:\n%s\nwant -base-url string", help.String())
	}
	if !strings.Contains(help.String(), "-jwt-secret-file string") {
		t.Errorf("bpo demo -h lacks -jwt-secret-file:\n%s", help.String())
	}
}
