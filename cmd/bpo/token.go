package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/acme/bpo/kit/auth"
)

func token(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	roles := fs.String("role", "", "comma-separated roles: "+roleList())
	provider := fs.String("provider", "", "for the provider role: the provider's resource name (providers/ID)")
	subject := fs.String("subject", "", "the token's subject (default: local-<first role>)")
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid")
	dataDir := fs.String("data-dir", "./data", "data directory holding the local signing key (created when missing)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := envDefaults(fs); err != nil {
		return err
	}
	if *roles == "" {
		return errors.New("--role is required: " + roleList())
	}
	var rs []auth.Role
	for _, r := range strings.Split(*roles, ",") {
		role := auth.Role(strings.TrimSpace(r))
		if !role.Valid() {
			return fmt.Errorf("unknown role %q: %s", r, roleList())
		}
		rs = append(rs, role)
	}
	hasProviderRole := false
	for _, r := range rs {
		hasProviderRole = hasProviderRole || r == auth.ProviderUser
	}
	if hasProviderRole != (*provider != "") {
		return errors.New("--provider providers/ID goes with --role provider, and only with it")
	}
	if *provider != "" && !strings.HasPrefix(*provider, "providers/") {
		return errors.New("--provider must be a resource name like providers/01J…")
	}
	sub := *subject
	if sub == "" {
		sub = "local-" + string(rs[0])
	}
	key, err := auth.LoadOrCreateLocalKey(*dataDir)
	if err != nil {
		return fmt.Errorf("local key: %w", err)
	}
	tok, err := auth.NewSigner(key).Mint(sub, rs, *provider, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, tok)
	return err
}

func roleList() string {
	names := make([]string, len(auth.AllRoles))
	for i, r := range auth.AllRoles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func decodeHex(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("not a hex-encoded secret")
	}
	return b, nil
}
