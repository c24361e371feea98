// A getrandom consumer for `vdsoforge exec`, using Go's standard library only:
// since Go 1.24 crypto/rand.Read is served by the runtime's vgetrandom, which
// calls __vdso_getrandom from the vDSO AT_SYSINFO_EHDR names, one state per M.
//
//	go_probe OUT GOROUTINES CALLS STEPS [BETWEEN_STEPS_COMMAND]
//
// GOROUTINES goroutines each make CALLS crypto/rand.Read calls of mixed sizes
// (1 B .. 4 KiB) split in STEPS steps; between steps, with all of them idle,
// BETWEEN_STEPS_COMMAND runs through /bin/sh -c.  The first 16 bytes of every
// 16th result (and, for results of 2 KiB or more, those at offsets 1024 and
// 1088) are appended to OUT.  stdout: "calls=N states=S", S being the
// process's OS threads (each M that draws has its own state).  Exit 3 if a
// read fails.
//
//	go_probe auxv
//
// reads AT_SYSINFO_EHDR from /proc/self/auxv, as libraries that do not get
// the runtime's copy of the vector do, and reads the ELF magic at that
// address (a fault if nothing is mapped there): stdout
// "proc_auxv_ehdr=0x... magic=7f454c46", then one crypto/rand.Read.
//
//	go_probe churn OUT ROUNDS GOROUTINES CALLS
//
// threads that come and go while drawing (churn.go).
//
//	go_probe locked OUT CALLS STEPS [BETWEEN_STEPS_COMMAND]
//
// one goroutine locked to its OS thread, so one state serves every draw
// (locked.go).
package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

const atSysinfoEhdr = 33

func procAuxvMode() {
	raw, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		fmt.Fprintln(os.Stderr, "go_probe:", err)
		os.Exit(2)
	}
	ehdr := uintptr(0)
	for i := 0; i+16 <= len(raw); i += 16 {
		key := binary.LittleEndian.Uint64(raw[i:])
		if key == atSysinfoEhdr {
			ehdr = uintptr(binary.LittleEndian.Uint64(raw[i+8:]))
		}
	}
	if ehdr == 0 {
		fmt.Println("proc_auxv_ehdr=0x0 magic=none")
		os.Exit(1)
	}
	// What such a library does next: parse the ELF image at that address.
	magic := *(*[4]byte)(unsafe.Pointer(ehdr))
	fmt.Printf("proc_auxv_ehdr=0x%x magic=%x\n", ehdr, magic[:])
	buffer := make([]byte, 32)
	if _, err := rand.Read(buffer); err != nil {
		os.Exit(3)
	}
}

// draw is the drawing of every mode that samples: it fills buffer (4 KiB)
// with crypto/rand.Read `calls` times, each time with a size of 1..4096 bytes
// that the xorshift generator *x picks (x is advanced in place, so a caller
// may go on with it), and returns the samples: the first 16 bytes of every
// 16th result and, for results of 2 KiB or more, the 16 at offsets 1024 and
// 1088 (one ChaCha20 block apart, deep in a long result).  It stops at the
// first failed read.
func draw(x *uint64, buffer []byte, calls int) ([]byte, error) {
	var samples []byte
	for i := 0; i < calls; i++ {
		*x ^= *x << 13
		*x ^= *x >> 7
		*x ^= *x << 17
		n := 1 + int(*x%4096)
		if _, err := rand.Read(buffer[:n]); err != nil {
			return samples, err
		}
		if i%16 == 0 && n >= 16 {
			samples = append(samples, buffer[:16]...)
			if n >= 2048 {
				samples = append(samples, buffer[1024:1040]...)
				samples = append(samples, buffer[1088:1104]...)
			}
		}
	}
	return samples, nil
}

func threads() int {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "Threads:") {
			n, _ := strconv.Atoi(strings.TrimSpace(line[len("Threads:"):]))
			return n
		}
	}
	return 0
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "auxv" {
		procAuxvMode()
		return
	}
	if len(os.Args) >= 2 && os.Args[1] == "locked" {
		lockedMode(os.Args[2:]) // locked.go
		return
	}
	if len(os.Args) >= 2 && os.Args[1] == "churn" {
		churnMode(os.Args[2:]) // churn.go
		return
	}
	if len(os.Args) < 5 {
		fmt.Fprintln(os.Stderr, "usage: go_probe OUT GOROUTINES CALLS STEPS [COMMAND]")
		os.Exit(2)
	}
	out, err := os.OpenFile(os.Args[1], os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_TRUNC, 0o644)
	goroutines, err2 := strconv.Atoi(os.Args[2])
	calls, err3 := strconv.Atoi(os.Args[3])
	steps, err4 := strconv.Atoi(os.Args[4])
	if err != nil || err2 != nil || err3 != nil || err4 != nil || goroutines < 1 || calls < 1 || steps < 1 {
		fmt.Fprintln(os.Stderr, "go_probe: bad arguments", err)
		os.Exit(2)
	}
	perStep := calls / steps
	var failed sync.Once
	failure := false
	for step := 0; step < steps; step++ {
		if step > 0 && len(os.Args) > 5 {
			if err := exec.Command("/bin/sh", "-c", os.Args[5]).Run(); err != nil {
				fmt.Fprintln(os.Stderr, "go_probe: between-steps command failed:", err)
				os.Exit(4)
			}
		}
		var wg sync.WaitGroup
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				x := uint64(0x9e3779b97f4a7c15) * uint64(g+1+step*goroutines)
				samples, err := draw(&x, make([]byte, 4096), perStep)
				if err != nil {
					failed.Do(func() { failure = true; fmt.Fprintln(os.Stderr, "go_probe:", err) })
					return
				}
				if _, err := out.Write(samples); err != nil {
					failed.Do(func() { failure = true })
				}
			}(g)
		}
		wg.Wait()
	}
	fmt.Printf("calls=%d states=%d\n", goroutines*perStep*steps, threads())
	if failure {
		os.Exit(3)
	}
}
