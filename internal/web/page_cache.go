package web

import "sync"

// pageCache keeps rendered storefront pages, split around the mini-cart,
// for one catalogue version. Rendering a catalogue page costs far more than
// serving it; pages only change with the catalogue (whose version is part
// of the check) or the language (part of the key).
type pageCache struct {
	mu      sync.RWMutex
	version int64
	pages   map[string]cachedPage
	max     int // entries; the cache starts afresh when full
}

type cachedPage struct {
	head, tail []byte
}

func newPageCache(max int) *pageCache {
	return &pageCache{pages: map[string]cachedPage{}, max: max}
}

func (c *pageCache) get(version int64, key string) (cachedPage, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.version != version {
		return cachedPage{}, false
	}
	p, ok := c.pages[key]
	return p, ok
}

func (c *pageCache) put(version int64, key string, p cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version || len(c.pages) >= c.max {
		// A new catalogue version makes every page stale; a full cache
		// (search pages for endless queries) is simply emptied.
		c.version, c.pages = version, map[string]cachedPage{}
	}
	c.pages[key] = p
}
