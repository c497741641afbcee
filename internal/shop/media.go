package shop

import (
	"context"

	"courseshop/internal/store"
)

// Media returns a stored file (product picture, leaflet) by key.
func (s *Service) Media(ctx context.Context, key string) (*store.Media, error) {
	return s.Store.Media(ctx, key)
}
