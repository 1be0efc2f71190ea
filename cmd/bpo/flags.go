package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// envDefaults sets every flag not given on the command line from its
// BPO_<FLAG> environment variable (--data-dir ← BPO_DATA_DIR).
func envDefaults(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		key := "BPO_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(key); ok {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s (for --%s): %w", key, f.Name, serr)
			}
		}
	})
	return err
}
