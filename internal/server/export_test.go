package server

// LiveHeld reports what active liveness holds in memory: sessions (open or
// recently ended), sessions whose engine side (measurements, frames) is
// still open, and tokens (each with its best frame).
func LiveHeld(s *Server) (sessions, engines, tokens int) {
	s.live.mu.Lock()
	list := make([]*liveSession, 0, len(s.live.sessions))
	for _, ls := range s.live.sessions {
		list = append(list, ls)
	}
	tokens = len(s.live.tokens)
	s.live.mu.Unlock()
	for _, ls := range list {
		ls.mu.Lock()
		if ls.eng != nil {
			engines++
		}
		ls.mu.Unlock()
	}
	return len(list), engines, tokens
}
