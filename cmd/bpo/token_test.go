package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/acme/bpo/kit/auth"
)

func TestToken(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		args      []string
		wantErr   string // part of the error; "" for a token
		wantRoles []auth.Role
		wantSub   string
		wantProv  string
	}{
		{"one role", []string{"--role", "approver"}, "", []auth.Role{auth.Approver}, "local-approver", ""},
		{"several roles, spaces allowed", []string{"--role", "auditor, evaluator", "--subject", "ana"}, "", []auth.Role{auth.Auditor, auth.Evaluator}, "ana", ""},
		{"a provider user", []string{"--role", "provider", "--provider", "providers/01J"}, "", []auth.Role{auth.ProviderUser}, "local-provider", "providers/01J"},
		{"no role", nil, "--role is required: one or more of sourcing_manager", nil, "", ""},
		{"an unknown role is named, trimmed, with the list", []string{"--role", "approver, boss"}, `unknown role "boss": want one or more of sourcing_manager`, nil, "", ""},
		{"the provider role without a provider", []string{"--role", "provider"}, "--provider providers/ID goes with --role provider", nil, "", ""},
		{"a provider without the provider role", []string{"--role", "approver", "--provider", "providers/01J"}, "--provider providers/ID goes with --role provider", nil, "", ""},
		{"a provider that is not a provider's name", []string{"--role", "provider", "--provider", "01J"}, `--provider "01J": want a provider's resource name`, nil, "", ""},
		{"a provider's name without its id", []string{"--role", "provider", "--provider", "providers/"}, `--provider "providers/": want`, nil, "", ""},
		{"a ttl that is already over", []string{"--role", "approver", "--ttl", "-1h"}, "--ttl -1h0m0s: want a positive duration", nil, "", ""},
		{"a stray argument", []string{"--role", "approver", "admin"}, `unexpected argument "admin"`, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := token(append(tt.args, "--data-dir", dir), &out, &errOut)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
				if out.Len() != 0 {
					t.Fatalf("printed %q on an error", out.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			key, err := auth.LoadOrCreateLocalKey(dir)
			if err != nil {
				t.Fatal(err)
			}
			v, err := auth.NewHMACVerifier(key)
			if err != nil {
				t.Fatal(err)
			}
			p, err := v.Verify(strings.TrimSpace(out.String()))
			if err != nil {
				t.Fatalf("the printed token does not verify with the local key: %v", err)
			}
			if !slices.Equal(p.Roles, tt.wantRoles) || p.Subject != tt.wantSub || p.Provider != tt.wantProv {
				t.Fatalf("token of %s %v %q, want %s %v %q", p.Subject, p.Roles, p.Provider, tt.wantSub, tt.wantRoles, tt.wantProv)
			}
		})
	}
}

func TestTokenSaysWhenItCreatesTheKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var out, errOut bytes.Buffer
	if err := token([]string{"--role", "approver", "--data-dir", dir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "created a new local signing key") || !strings.Contains(errOut.String(), "--data-dir "+dir) {
		t.Fatalf("stderr %q does not say a new key was made for that data directory", errOut.String())
	}
	if strings.Count(out.String(), "\n") != 1 || strings.Contains(out.String(), " ") {
		t.Fatalf("stdout %q is not the token alone", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, auth.LocalKeyFile)); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if err := token([]string{"--role", "approver", "--data-dir", dir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if errOut.Len() != 0 {
		t.Fatalf("stderr %q with a key already there", errOut.String())
	}
}

func TestTokenHelpIsNotAnError(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := token([]string{"-h"}, &out, &errOut); err != nil {
		t.Fatalf("got %v, want the usage and no error", err)
	}
	if !strings.Contains(errOut.String(), "-role") {
		t.Fatalf("usage %q does not list --role", errOut.String())
	}
}
