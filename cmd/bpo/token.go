package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/acme/bpo/kit/auth"
)

// token prints a token signed with the local key of the data directory;
// notes for the user go to errOut, so that out holds the token alone.
func token(args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(errOut)
	roles := fs.String("role", "", "comma-separated roles: "+roleList())
	provider := fs.String("provider", "", "for the provider role: the provider's resource name (providers/ID)")
	subject := fs.String("subject", "", "the token's subject (default: local-<first role>)")
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid")
	dataDir := fs.String("data-dir", "./data", "data directory holding the local signing key (created when missing)")
	secretFile := fs.String("jwt-secret-file", "", "sign with this hex HS256 secret, the servers' --jwt-secret-file (instead of the local key of --data-dir)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: flags only (bpo token -h)", fs.Arg(0))
	}
	if err := envDefaults(fs); err != nil {
		return err
	}
	if *roles == "" {
		return errors.New("--role is required: one or more of " + roleList())
	}
	var rs []auth.Role
	for _, r := range strings.Split(*roles, ",") {
		role := auth.Role(strings.TrimSpace(r))
		if !role.Valid() {
			return fmt.Errorf("unknown role %q: want one or more of %s, comma-separated", role, roleList())
		}
		rs = append(rs, role)
	}
	if *ttl <= 0 {
		return fmt.Errorf("--ttl %s: want a positive duration such as 12h", *ttl)
	}
	hasProviderRole := false
	for _, r := range rs {
		hasProviderRole = hasProviderRole || r == auth.ProviderUser
	}
	if hasProviderRole != (*provider != "") {
		return errors.New("--provider providers/ID goes with --role provider, and only with it")
	}
	if hasProviderRole && len(rs) > 1 {
		return errors.New("--role provider cannot be combined with other roles: a provider user acts for its provider only")
	}
	if *provider != "" && (!strings.HasPrefix(*provider, "providers/") || strings.Count(*provider, "/") != 1 || strings.HasSuffix(*provider, "/")) {
		return fmt.Errorf("--provider %q: want a provider's resource name like providers/01J…", *provider)
	}
	sub := *subject
	if sub == "" {
		sub = "local-" + string(rs[0])
	}
	if *secretFile != "" {
		key, err := secretKey(*secretFile)
		if err != nil {
			return err
		}
		return mint(out, key, sub, rs, *provider, *ttl)
	}
	keyPath := filepath.Join(*dataDir, auth.LocalKeyFile)
	_, statErr := os.Stat(keyPath)
	key, err := auth.LoadOrCreateLocalKey(*dataDir)
	if err != nil {
		return fmt.Errorf("local key: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// A server on another data directory rejects this token; say so
		// rather than leave the user with a 401 to puzzle over.
		fmt.Fprintf(errOut, "bpo token: created a new local signing key %s; only a bpo serve with --data-dir %s accepts this token\n", keyPath, *dataDir)
	}
	return mint(out, key, sub, rs, *provider, *ttl)
}

func mint(out io.Writer, key []byte, sub string, rs []auth.Role, provider string, ttl time.Duration) error {
	tok, err := auth.NewSigner(key).Mint(sub, rs, provider, ttl)
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
