package events

import "sync"

// Broker wakes live subscribers of a camera when it has a new event; they
// then read what is new from the store, so a subscriber that falls behind
// or reconnects misses nothing. It is safe for concurrent use.
type Broker struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// NewBroker makes a Broker.
func NewBroker() *Broker { return &Broker{subs: map[string]map[chan struct{}]struct{}{}} }

// Subscribe returns a channel that receives after each new event of the
// camera (coalesced: one wake-up may stand for several events) and a
// function that ends the subscription.
func (b *Broker) Subscribe(camera string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs[camera] == nil {
		b.subs[camera] = map[chan struct{}]struct{}{}
	}
	b.subs[camera][ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs[camera], ch)
		if len(b.subs[camera]) == 0 {
			delete(b.subs, camera)
		}
		b.mu.Unlock()
	}
}

// Publish wakes the camera's subscribers without ever blocking.
func (b *Broker) Publish(camera string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[camera] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
