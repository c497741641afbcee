package production

import "courseshop/internal/store"

// SetCrash makes the engine abandon a job, as a dying process would, just
// before its results are committed, whenever crash returns true.
func (e *Engine) SetCrash(crash func(j *store.Job) bool) { e.crash = crash }
