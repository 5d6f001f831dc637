package events

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// ErrDestination is returned for a webhook or relay URL mien will not
// call: not http(s), or an address of the server's own networks.
var ErrDestination = errors.New("events: destination refused")

// Guard decides where webhooks and relays may go, so that a tenant cannot
// make the server call its own networks (server-side request forgery): the
// scheme must be http or https, and no address a host resolves to may be
// loopback, link-local (169.254.0.0/16 with the clouds' metadata service
// 169.254.169.254, fe80::/10), private (10/8, 172.16/12, 192.168/16,
// fc00::/7), shared (100.64/10), unspecified, multicast or reserved (see
// Refused), unless a prefix of Allow holds it. Hosts are checked when a URL
// is registered (CheckURL) and again on every connection (Client): the
// client dials only an address it has just checked, so a name that
// resolves elsewhere the second time (DNS rebinding) gains nothing. The
// client follows no redirect. The zero Guard refuses every such address. A
// Guard is safe for concurrent use; do not change it once in use.
type Guard struct {
	// Allow lists the networks that may be called even though they are in
	// a refused range (cameras.webhook_allow_cidrs): a door controller on
	// the LAN, a receiver on this machine.
	Allow []netip.Prefix
	// Lookup resolves a host name (nil: the system resolver). Tests answer
	// with the addresses they need; no test resolves a real name.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// Dial connects to an address already checked, "ip:port" (nil: a
	// net.Dialer with a 10 s timeout). Tests route it to a local receiver.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// CheckURL checks a URL before it is stored: its scheme, and every address
// its host resolves to now.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: give an http or https URL", ErrDestination)
	}
	_, err = g.resolve(ctx, u.Hostname())
	return err
}

// Client returns an HTTP client that calls only allowed addresses and
// follows no redirect (a 3xx answer is returned as it is).
func (g *Guard) Client(timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:               nil, // a proxy would dial for us, unchecked
		DialContext:         g.dial,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        32,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &http.Client{Timeout: timeout, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// dial resolves and checks the host, then dials the checked addresses in
// turn: never the name, which could resolve elsewhere by now.
func (g *Guard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	ips, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	dial := g.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	var errs []error
	for _, ip := range ips {
		c, err := dial(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// resolve returns the host's addresses, or ErrDestination when it resolves
// to none or to any address not allowed (one bad address refuses the host:
// which one a client would use is not ours to choose).
func (g *Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		lookup := g.Lookup
		if lookup == nil {
			lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		if ips, err = lookup(ctx, host); err != nil || len(ips) == 0 {
			return nil, fmt.Errorf("%w: %s does not resolve (%v)", ErrDestination, host, err)
		}
	}
	for _, ip := range ips {
		if why := g.refused(ip); why != "" {
			what := host + " is " + ip.Unmap().String() + ", a"
			if ip.String() == host {
				what = host + " is a"
			}
			return nil, fmt.Errorf("%w: %s %s address (a server may allow it with cameras.webhook_allow_cidrs)", ErrDestination, what, why)
		}
	}
	return ips, nil
}

func (g *Guard) refused(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	for _, p := range g.Allow {
		if p.Contains(ip) {
			return ""
		}
	}
	return Refused(ip)
}

// special are the ranges refused beyond what netip's predicates name.
var special = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT, some clouds' metadata)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved or broadcast"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible"},
	{netip.MustParsePrefix("100::/64"), "discard"},
}

// Refused says why mien refuses to call an address, or "" when it is a
// public unicast address. IPv4 inside IPv6 (mapped, NAT64 64:ff9b::/96,
// 6to4 2002::/16) is judged by the IPv4 address it carries.
func Refused(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsMulticast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast():
		return "multicast"
	case ip.IsPrivate():
		return "private"
	}
	for _, s := range special {
		if s.p.Contains(ip) {
			return s.why
		}
	}
	if v4, ok := embedded(ip); ok {
		return Refused(v4)
	}
	return ""
}

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// embedded returns the IPv4 address an IPv6 translation address carries.
func embedded(ip netip.Addr) (netip.Addr, bool) {
	b := ip.As16()
	switch {
	case !ip.Is6():
		return netip.Addr{}, false
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixTo4.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}
