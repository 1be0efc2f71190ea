package main

import (
	"os"
	"strings"
	"testing"
)

func TestParseServeTokenAndTLSFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(c *serveConfig) bool
		wantErr string // part of the error; "" for none
	}{
		{"tokens are checked for issuer and audience bpo, roles in roles, by default", nil, nil, func(c *serveConfig) bool {
			return c.tokens.issuer == "bpo" && c.tokens.audience == "bpo" && c.tokens.rolesClaim == "roles"
		}, ""},
		{"an identity provider from the environment", nil, map[string]string{
			"BPO_JWKS_URL":        "https://sso.example/realms/bpo/protocol/openid-connect/certs",
			"BPO_JWT_ISSUER":      "https://sso.example/realms/bpo",
			"BPO_JWT_ROLES_CLAIM": "realm_access.roles",
		}, func(c *serveConfig) bool {
			return strings.HasSuffix(c.tokens.jwksURL, "/certs") && c.tokens.issuer == "https://sso.example/realms/bpo" && c.tokens.rolesClaim == "realm_access.roles"
		}, ""},
		{"two sources of token keys", []string{"--jwks-url", "https://sso.example/certs", "--jwt-secret-file", "/run/secret"}, nil, nil, "--jwt-secret-file and --jwks-url"},
		{"an empty issuer would accept every issuer's tokens", []string{"--jwt-issuer", ""}, nil, nil, "issuer"},
		{"a roles claim with an empty name", []string{"--jwt-roles-claim", "realm_access..roles"}, nil, nil, "roles claim"},
		{"a certificate without its key", []string{"--tls-cert-file", "/etc/bpo/tls.crt"}, nil, nil, "--tls-key-file"},
		{"a key without its certificate, from the environment", nil, map[string]string{"BPO_TLS_KEY_FILE": "/etc/bpo/tls.key"}, nil, "--tls-cert-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"BPO_JWKS_URL", "BPO_JWKS_FILE", "BPO_JWT_SECRET_FILE", "BPO_JWT_ISSUER", "BPO_JWT_AUDIENCE", "BPO_JWT_ROLES_CLAIM", "BPO_TLS_CERT_FILE", "BPO_TLS_KEY_FILE", "BPO_TLS_CA_FILE"} {
				t.Setenv(k, tt.env[k]) // restored after the test
				if _, ok := tt.env[k]; !ok {
					os.Unsetenv(k)
				}
			}
			c, err := parseServe(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("tokens %+v", c.tokens)
			}
		})
	}
}
