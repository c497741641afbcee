package catalogfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"courseshop/internal/store"
)

// FileName is the name Export gives the catalogue file in its directory.
const FileName = "catalog.json"

// Export writes every tax class, catalogue (with its categories and
// products) and shop of st to dir/catalog.json, and the media files the
// products use to dir/media/, creating dir if needed. The output is stable:
// lists are ordered by code or alias, JSON is indented, prices are exact
// decimals, and passcodes appear as passcode_hash. Importing it into an
// empty database and exporting again gives the same bytes.
func Export(ctx context.Context, st *store.Store, dir string) error {
	var f *File
	var media map[string]*store.Media
	// One transaction, so that the file is a consistent snapshot.
	err := st.InTx(ctx, func(tx *store.Store) error {
		s, err := loadState(ctx, tx)
		if err != nil {
			return err
		}
		if f, err = s.file(); err != nil {
			return err
		}
		media = map[string]*store.Media{}
		for _, c := range f.Catalogs {
			for _, p := range c.Products {
				for _, ref := range []string{p.Thumbnail, p.Picture, p.Leaflet} {
					key, ok := strings.CutPrefix(ref, mediaPrefix)
					if !ok || media[key] != nil {
						continue
					}
					m, err := tx.Media(ctx, key)
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("product %s/%s refers to %s, which is not in the database", c.Code, p.Code, ref)
					}
					if err != nil {
						return err
					}
					// Names become file names below: never trust one
					// that PutMedia would not have written.
					if store.SanitizeMediaName(m.Name) != m.Name || !strings.HasSuffix(key, "/"+m.Name) {
						return fmt.Errorf("media %s has an unsafe name %q", key, m.Name)
					}
					media[key] = m
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("catalogfile: export: %w", err)
	}

	paths := mediaPaths(media)
	for i := range f.Catalogs {
		for j := range f.Catalogs[i].Products {
			p := &f.Catalogs[i].Products[j]
			for _, ref := range []*string{&p.Thumbnail, &p.Picture, &p.Leaflet} {
				if key, ok := strings.CutPrefix(*ref, mediaPrefix); ok {
					*ref = paths[key]
				}
			}
		}
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // descriptions hold HTML; keep it legible
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("catalogfile: export: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("catalogfile: export: %w", err)
	}
	for _, key := range slices.Sorted(maps.Keys(media)) {
		name := filepath.Join(dir, filepath.FromSlash(paths[key]))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return fmt.Errorf("catalogfile: export: %w", err)
		}
		if err := os.WriteFile(name, media[key].Body, 0o644); err != nil {
			return fmt.Errorf("catalogfile: export: %w", err)
		}
	}
	// The catalogue file last and by rename: a reader never sees a file
	// whose media are missing, or half a file.
	return writeAtomic(filepath.Join(dir, FileName), buf.Bytes())
}

// mediaPaths returns where each media file goes, relative to the export
// directory: media/{name}, or media/{hash}/{name} when files of the same
// name differ. Either way the name is the key's, so importing the export
// gives the same keys.
func mediaPaths(media map[string]*store.Media) map[string]string {
	byName := map[string]int{}
	for _, m := range media {
		byName[m.Name]++
	}
	out := make(map[string]string, len(media))
	for key, m := range media {
		if byName[m.Name] == 1 {
			out[key] = "media/" + m.Name
		} else {
			out[key] = "media/" + key // key is hash/name
		}
	}
	return out
}

func writeAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".catalog-*.json")
	if err != nil {
		return fmt.Errorf("catalogfile: export: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("catalogfile: export: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("catalogfile: export: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("catalogfile: export: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("catalogfile: export: %w", err)
	}
	return nil
}
