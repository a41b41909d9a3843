package promptargs

import (
	"bufio"
	"io"
	"sync"

	"github.com/mcpforge/mcpforge/runtime/envelope"
)

// Stdio wraps the streams of mcp-go's stdio transport so that c checks
// every message first: pass the results to server.StdioServer.Listen
// instead of stdin and stdout. A refused message never reaches mcp-go;
// its error response goes to stdout, between whole lines of mcp-go's
// own output (which writes each message with one Write), so stdout still
// carries JSON-RPC only.
func (c *Checker) Stdio(stdin io.Reader, stdout io.Writer) (io.Reader, io.Writer) {
	out := &lockedWriter{w: stdout}
	return &checkedReader{c: c, r: bufio.NewReader(stdin), out: out}, out
}

// lockedWriter serializes the writes of mcp-go and of checkedReader.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// checkedReader hands mcp-go the lines of stdin that the checker lets
// through. mcp-go reads one message per line, as this does.
type checkedReader struct {
	c       *Checker
	r       *bufio.Reader
	out     *lockedWriter
	pending []byte // the rest of a line let through
	err     error  // the error of the last read, once pending is empty
}

func (cr *checkedReader) Read(p []byte) (int, error) {
	for len(cr.pending) == 0 {
		if cr.err != nil {
			return 0, cr.err
		}
		line, err := cr.r.ReadBytes('\n')
		cr.err = err
		if len(line) == 0 {
			continue
		}
		env := envelope.Parse(line)
		if resp := cr.c.Check(nil, line, &env); resp != nil {
			if _, werr := cr.out.Write(append(resp, '\n')); werr != nil {
				cr.err = werr
			}
			continue
		}
		cr.pending = line
	}
	n := copy(p, cr.pending)
	cr.pending = cr.pending[n:]
	return n, nil
}
