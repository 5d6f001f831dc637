package server

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// ConnLimits bound the connections a server holds and how long they may
// stay silent. Zero fields take the defaults.
type ConnLimits struct {
	MaxConns          int           // open connections at once (default 1024)
	MaxConnsPerIP     int           // open connections from one client address (default 128)
	ReadHeaderTimeout time.Duration // to send a request's headers (default 10 s)
	ReadTimeout       time.Duration // to send a whole request, body included (default 2 min)
	WriteTimeout      time.Duration // from the end of the headers to the end of the answer (default ReadTimeout + the request timeout + 30 s)
	IdleTimeout       time.Duration // a kept-alive connection may wait for its next request (default 60 s)
}

func (l ConnLimits) withDefaults() ConnLimits {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MaxConns <= 0 {
		l.MaxConns = 1024
	}
	if l.MaxConnsPerIP <= 0 {
		l.MaxConnsPerIP = 128
	}
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.ReadTimeout, 2*time.Minute)
	def(&l.IdleTimeout, time.Minute)
	return l
}

// HTTPServer returns an http.Server for s with l's timeouts. Serve it on
// LimitListener(ln, l) so that the connection caps apply too.
func (s *Server) HTTPServer(l ConnLimits) *http.Server {
	l = l.withDefaults()
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = l.ReadTimeout + s.opts.Timeout + 30*time.Second
	}
	return &http.Server{Handler: s, ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout}
}

// LimitListener caps the connections ln hands out, in all and per client
// IP address. A connection over a cap is closed at once (Accept goes on),
// so that one client holding many connections cannot starve the others.
func LimitListener(ln net.Listener, l ConnLimits) net.Listener {
	l = l.withDefaults()
	return &limitListener{Listener: ln, max: l.MaxConns, perIP: l.MaxConnsPerIP, byIP: map[string]int{}}
}

type limitListener struct {
	net.Listener
	max, perIP int

	mu    sync.Mutex
	total int
	byIP  map[string]int
}

func (ln *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		if ln.admit(ip) {
			return &limitedConn{Conn: c, ln: ln, ip: ip}, nil
		}
		c.Close()
	}
}

func (ln *limitListener) admit(ip string) bool {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.total >= ln.max || ln.byIP[ip] >= ln.perIP {
		return false
	}
	ln.total++
	ln.byIP[ip]++
	return true
}

func (ln *limitListener) release(ip string) {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	ln.total--
	if ln.byIP[ip]--; ln.byIP[ip] <= 0 {
		delete(ln.byIP, ip)
	}
}

func remoteIP(c net.Conn) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}

// limitedConn gives its place back once, when closed.
type limitedConn struct {
	net.Conn
	ln   *limitListener
	ip   string
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.ln.release(c.ip) })
	return err
}
