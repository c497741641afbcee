// Command courseshop runs the courseshop online shop. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"courseshop/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := app.Run(ctx, app.OSEnv())
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "courseshop:", err)
		if _, ok := errors.AsType[*app.UsageError](err); ok {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
