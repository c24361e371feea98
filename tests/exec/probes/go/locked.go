package main

// go_probe locked OUT CALLS STEPS [BETWEEN_STEPS_COMMAND]
//
// One goroutine, locked to its OS thread for the whole run, makes CALLS
// crypto/rand.Read calls of mixed sizes (1 B .. 4 KiB) split in STEPS steps;
// between steps it runs BETWEEN_STEPS_COMMAND through /bin/sh -c.  Samples
// go to OUT as in the main mode (draw in main.go), one write per step.
//
// Go 1.24 keeps one vgetrandom state per M (OS thread).  In the main mode a
// goroutine may continue on another M after a blocking system call (the
// between-steps command's wait) and then draws from that M's state, so which
// state serves which bytes depends on the scheduler.  A locked goroutine
// always runs on its own M: every draw of the run comes from one state, and
// two runs of this mode draw the same sequence of sizes from it.  That is what
// a state clone test needs (restored states must meet the same draws).
// stdout: "calls=N states=S", S being the process's OS threads.

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
)

func lockedMode(args []string) {
	if len(args) < 3 || len(args) > 4 {
		fmt.Fprintln(os.Stderr, "usage: go_probe locked OUT CALLS STEPS [COMMAND]")
		os.Exit(2)
	}
	runtime.LockOSThread()
	out, err := os.OpenFile(args[0], os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_TRUNC, 0o644)
	calls, err2 := strconv.Atoi(args[1])
	steps, err3 := strconv.Atoi(args[2])
	if err != nil || err2 != nil || err3 != nil || calls < 1 || steps < 1 {
		fmt.Fprintln(os.Stderr, "go_probe: bad arguments", err)
		os.Exit(2)
	}
	perStep := calls / steps
	x := uint64(0x9e3779b97f4a7c15)
	buffer := make([]byte, 4096)
	for step := 0; step < steps; step++ {
		if step > 0 && len(args) == 4 {
			if err := exec.Command("/bin/sh", "-c", args[3]).Run(); err != nil {
				fmt.Fprintln(os.Stderr, "go_probe: between-steps command failed:", err)
				os.Exit(4)
			}
		}
		// x goes on from step to step: one sequence of sizes for the run.
		samples, err := draw(&x, buffer, perStep)
		if err != nil {
			fmt.Fprintln(os.Stderr, "go_probe:", err)
			os.Exit(3)
		}
		if _, err := out.Write(samples); err != nil {
			os.Exit(3)
		}
	}
	fmt.Printf("calls=%d states=%d\n", perStep*steps, threads())
}
