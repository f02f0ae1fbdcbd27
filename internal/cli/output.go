package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// printer writes human output, a live status line on a terminal, or JSON
// lines (one object per line with "messageType") when --json is set.
type printer struct {
	mu     sync.Mutex
	out    io.Writer
	errOut io.Writer
	json   bool
	tty    bool
	live   bool // a status line is on screen
}

func newPrinter(out, errOut io.Writer, jsonOut bool) *printer {
	tty := false
	if f, ok := errOut.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &printer{out: out, errOut: errOut, json: jsonOut, tty: tty}
}

// status shows transient progress: JSON lines, or a redrawn line on a terminal.
func (p *printer) status(v any, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.emit(v)
		return
	}
	if p.tty {
		fmt.Fprintf(p.errOut, "\r\033[K%s", line)
		p.live = true
	}
}

// message prints a line for humans, or v as JSON.
func (p *printer) message(v any, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.emit(v)
		return
	}
	p.clearLine()
	fmt.Fprintf(p.out, format+"\n", args...)
}

// warn reports a problem to stderr (or as a JSON "error" line).
func (p *printer) warn(item string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.emit(map[string]any{"messageType": "error", "item": item, "error": err.Error()})
		return
	}
	p.clearLine()
	if item != "" {
		fmt.Fprintf(p.errOut, "warning: %s: %v\n", item, err)
	} else {
		fmt.Fprintf(p.errOut, "warning: %v\n", err)
	}
}

func (p *printer) clearLine() {
	if p.live {
		fmt.Fprint(p.errOut, "\r\033[K")
		p.live = false
	}
}

func (p *printer) emit(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"messageType":"error","error":%q}`, err.Error()))
	}
	p.out.Write(append(b, '\n'))
}

func formatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.2f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}
