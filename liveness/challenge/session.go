// Package challenge is the pure decision logic of active liveness: a session
// asks for a random sequence of head and face actions before a deadline, and
// a Checker decides, from per-frame measurements made by the engine's models
// (head pose, eye openness, mouth opening, an embedding, landmarks), whether
// each action was performed in order by the same face, and whether the
// face moved as a head rather than as a flat photo (landmark motion that one
// homography explains is a plane).
//
// It holds no images and touches no models, clock or network: callers pass
// measurements and times in. Nothing here is safe for concurrent use unless
// said so.
package challenge

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
)

// Kind is one requested action.
type Kind string

// The actions a session can ask for.
const (
	TurnLeft  Kind = "turn_left"  // the subject turns the head to their own left
	TurnRight Kind = "turn_right" // to their own right
	LookUp    Kind = "look_up"
	Blink     Kind = "blink"
	OpenMouth Kind = "open_mouth"
)

// Kinds are all actions, in a fixed order.
var Kinds = []Kind{TurnLeft, TurnRight, LookUp, Blink, OpenMouth}

// headPose says whether an action moves the head (and so shows its depth).
func (k Kind) headPose() bool { return k == TurnLeft || k == TurnRight || k == LookUp }

// Session is one challenge: a nonce, an ordered list of actions and a deadline.
type Session struct {
	Nonce      string    `json:"nonce"`
	Challenges []Kind    `json:"challenges"`
	Created    time.Time `json:"created"`
	Deadline   time.Time `json:"deadline"`
}

// Options configure New.
type Options struct {
	// Count is the number of actions (default 3, at most len(Kinds)).
	Count int
	// TTL is the time from creation to the deadline (default 30 s).
	TTL time.Duration
	// Rand is the randomness source (default crypto/rand).
	Rand io.Reader
}

// New creates a session at now: Count distinct actions in a random order,
// at least one of them a head movement (which the planar-motion check needs),
// and a 128-bit random nonce.
func New(now time.Time, opts Options) (*Session, error) {
	if opts.Count == 0 {
		opts.Count = 3
	}
	if opts.TTL == 0 {
		opts.TTL = 30 * time.Second
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Count < 1 || opts.Count > len(Kinds) || opts.TTL < 0 {
		return nil, fmt.Errorf("challenge: count %d must be in 1..%d and the TTL positive", opts.Count, len(Kinds))
	}
	nonce := make([]byte, 16)
	if _, err := io.ReadFull(opts.Rand, nonce); err != nil {
		return nil, fmt.Errorf("challenge: nonce: %w", err)
	}
	for {
		order, err := shuffle(opts.Rand, len(Kinds))
		if err != nil {
			return nil, err
		}
		s := &Session{Nonce: hex.EncodeToString(nonce), Created: now, Deadline: now.Add(opts.TTL)}
		pose := false
		for _, i := range order[:opts.Count] {
			s.Challenges = append(s.Challenges, Kinds[i])
			pose = pose || Kinds[i].headPose()
		}
		if pose {
			return s, nil
		}
	}
}

// shuffle returns a uniformly random permutation of 0..n-1 (Fisher-Yates
// with rejection sampling, so no index is favoured).
func shuffle(r io.Reader, n int) ([]int, error) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var b [1]byte
	for i := n - 1; i > 0; i-- {
		limit := 256 - 256%(i+1)
		for {
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return nil, fmt.Errorf("challenge: randomness: %w", err)
			}
			if int(b[0]) < limit {
				break
			}
		}
		j := int(b[0]) % (i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p, nil
}

// ErrExpired is returned for frames or decisions after the deadline.
var ErrExpired = errors.New("challenge: the session's deadline has passed")

// ErrNonce is returned when a frame or decision names another session's nonce.
var ErrNonce = errors.New("challenge: nonce does not match the session")
