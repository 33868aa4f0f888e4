package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
)

// initdb fills c.dataDir. Without the cache it runs initdb. With it, the
// cache entry is a data directory that also holds the database and the
// extensions (made in single-user mode, no server needed), so a hit saves
// initdb, CREATE DATABASE and CREATE EXTENSION; a miss runs all three and
// fills the entry. Settings are written after this step, so one entry
// serves every settings combination. baked reports whether the database
// and extensions exist already.
func (c *Cluster) initdb(ctx context.Context, bin string, cred *syscall.Credential, opt Options, exts []string) (baked bool, err error) {
	if opt.NoCache {
		return false, c.runInitdb(ctx, bin, cred, c.dataDir)
	}
	entry, err := cacheEntry(opt.CacheDir, bin, cred, c.database, exts)
	if err != nil {
		// No usable cache location (no HOME, say): slower, not wrong.
		return false, c.runInitdb(ctx, bin, cred, c.dataDir)
	}
	if fi, err := os.Stat(entry); err == nil && fi.IsDir() {
		if err := copyTree(entry, c.dataDir, cred); err != nil {
			return false, fmt.Errorf("postgres: copy cached data dir %s: %w", entry, err)
		}
		return true, nil
	}
	if err := c.runInitdb(ctx, bin, cred, c.dataDir); err != nil {
		return false, err
	}
	if err := c.bake(ctx, bin, cred, exts); err != nil {
		return false, err
	}
	// Filling the cache is best effort: a failure costs only speed.
	_ = fillCache(c.dataDir, entry)
	return true, nil
}

// bake creates the database and the extensions in c.dataDir with
// single-user postgres, as initdb itself does its bootstrapping.
func (c *Cluster) bake(ctx context.Context, bin string, cred *syscall.Credential, exts []string) error {
	if c.database != "postgres" {
		if err := c.single(ctx, bin, cred, "postgres", "CREATE DATABASE "+pgx.Identifier{c.database}.Sanitize()); err != nil {
			return fmt.Errorf("postgres: create database %s: %w", c.database, err)
		}
	}
	if len(exts) > 0 {
		var sql []string
		for _, e := range exts {
			sql = append(sql, "CREATE EXTENSION IF NOT EXISTS "+pgx.Identifier{e}.Sanitize())
		}
		if err := c.single(ctx, bin, cred, c.database, sql...); err != nil {
			return fmt.Errorf("postgres: create extensions %s: %w", strings.Join(exts, ", "), err)
		}
	}
	return nil
}

// single runs statements (one a line) in single-user postgres in db. It
// exits 0 even when a statement failed, so errors are read from its
// output.
func (c *Cluster) single(ctx context.Context, bin string, cred *syscall.Credential, db string, stmts ...string) error {
	cmd := serverCmd(ctx, cred, c.dir, filepath.Join(bin, "postgres"), "--single", "-D", c.dataDir, "-c", "fsync=off", db)
	cmd.Stdin = strings.NewReader(strings.Join(stmts, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w\n%s", err, tail(out, logTailLines))
	}
	for _, line := range strings.Split(string(out), "\n") {
		if _, msg, ok := strings.Cut(line, "ERROR:"); ok {
			return errors.New(strings.TrimSpace(msg))
		}
	}
	return nil
}

// cacheEntry returns the cache directory for data directories of these
// binaries (path, size and mtime of initdb and postgres, so that an
// upgrade invalidates it), initdb arguments, owner, database and
// extensions.
func cacheEntry(cacheDir, bin string, cred *syscall.Credential, db string, exts []string) (string, error) {
	if cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		cacheDir = filepath.Join(base, "mayfly")
	}
	h := sha256.New()
	for _, name := range []string{"initdb", "postgres"} {
		p, err := filepath.EvalSymlinks(filepath.Join(bin, name))
		if err != nil {
			return "", err
		}
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d %d\n", p, fi.Size(), fi.ModTime().UnixNano())
	}
	fmt.Fprintf(h, "%s\n%q\n%q\n", strings.Join(initdbArgs, " "), db, exts)
	if cred != nil {
		fmt.Fprintf(h, "%d:%d\n", cred.Uid, cred.Gid)
	}
	return filepath.Join(cacheDir, "initdb-"+hex.EncodeToString(h.Sum(nil))[:16]), nil
}

// fillCache copies dataDir to entry. It copies into a temp dir beside
// entry and renames it into place, so a reader sees a whole entry or none,
// and concurrent fillers do not clash (the loser drops its copy).
func fillCache(dataDir, entry string) error {
	if err := os.MkdirAll(filepath.Dir(entry), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(entry), filepath.Base(entry)+".tmp-*")
	if err != nil {
		return err
	}
	dst := filepath.Join(tmp, "data")
	if err := copyTree(dataDir, dst, nil); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	err = os.Rename(dst, entry)
	os.RemoveAll(tmp)
	return err
}

// copyTree copies the directory src to dst (which must not exist),
// keeping modes, and chowns what it creates to cred when not nil.
func copyTree(src, dst string, cred *syscall.Credential) error {
	chown := func(p string) error {
		if cred == nil {
			return nil
		}
		return os.Lchown(p, int(cred.Uid), int(cred.Gid))
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, info.Mode().Perm()); err != nil {
				return err
			}
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(link, target); err != nil {
				return err
			}
		case d.Type().IsRegular():
			if err := copyFile(p, target, info.Mode().Perm()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("copy %s: not a regular file, directory or symlink", p)
		}
		return chown(target)
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	// io.Copy between files uses copy_file_range: no round trip through
	// user space.
	_, err = io.Copy(out, in)
	if err2 := out.Close(); err == nil {
		err = err2
	}
	return err
}
