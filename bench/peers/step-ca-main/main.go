// Command step-ca for trustplane's benchmark (issue 11). Debian ships step-ca's Go
// packages (golang-github-smallstep-certificates-dev) but not its cmd/step-ca, so
// this small main runs the package's own start command, commands.AppCommand: the
// binary behaves as `step-ca <ca.json> [--password-file …]`, with step-ca's own
// flags, configuration loading and server. Built by bench/peers/build-step-ca.sh.
package main

import (
	"fmt"
	"os"

	"github.com/smallstep/certificates/commands"
	"github.com/urfave/cli"
	"go.step.sm/cli-utils/step"
)

// version is the Debian package's version, set by the build script
// (-ldflags "-X main.version=…").
var version = "N/A"

func main() {
	// step.Version() feeds the CA's User-Agent and the /version answer.
	step.Set("Smallstep CA", version, "N/A")

	app := cli.NewApp()
	app.Name = "step-ca"
	app.Usage = "step-ca's start command, built from Debian's Go sources for trustplane's benchmark"
	app.UsageText = commands.AppCommand.UsageText
	app.Version = version
	app.Flags = commands.AppCommand.Flags
	app.Action = commands.AppCommand.Action
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
