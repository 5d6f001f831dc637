package index

// Moving the coarse tiers into and out of the learnt subspace
// (subspace.go). All of these run under the write lock.

// adapt learns the subspace when the gallery reaches learnAt templates
// (once), and returns to the full-dimension tiers when the side list has
// grown past 1/sideMax of a gallery of learnAt or more.
func (x *Index) adapt() {
	n := len(x.ids)
	if n < x.learnAt {
		return
	}
	switch {
	case x.sub == nil && !x.tried && !x.opts.FullDim:
		x.tried = true
		x.learn()
	case x.sub != nil && len(x.side) > n/sideMax:
		x.fallBack()
	}
}

// learn samples the gallery evenly, learns U and, when it fits, re-encodes
// every template's coarse tiers in it (on all Workers). It keeps the
// full-dimension tiers when the sample fits no subspace or when more than
// 1/sideMax of the gallery would land on the side list.
func (x *Index) learn() {
	n, d := len(x.ids), x.opts.Dim
	step := max(1, n/learnSample)
	sample := make([]float32, 0, min(n, learnSample)*d)
	for s := 0; s < n && len(sample) < learnSample*d; s += step {
		sample = append(sample, x.data[s*d:(s+1)*d]...)
	}
	sub := learnSubspace(sample, d)
	if sub == nil {
		return
	}
	z, e := sub.projectAll(x.data, n, x.opts.Workers)
	var side []int
	for s, v := range e {
		if v > sideCut {
			side = append(side, s)
		}
	}
	if len(side) > n/sideMax {
		return
	}
	x.sub, x.resid, x.side = sub, e, side
	x.rebuildTiers(z, sub.r)
}

// fallBack returns to the full-dimension tiers, re-encoded from the exact
// templates.
func (x *Index) fallBack() {
	x.sub, x.resid, x.side = nil, nil, nil
	x.rebuildTiers(x.data, x.opts.Dim)
}

// rebuildTiers re-encodes the int8 and two-bit tiers from vecs (one row
// of td values a slot: the templates, or U·t with x.sub), keeping room for
// the capacity the exact tier has.
func (x *Index) rebuildTiers(vecs []float32, td int) {
	n := len(x.ids)
	c := max(n, cap(x.data)/x.opts.Dim)
	old := x.codes
	clear(old[:cap(old)]) // no quantised template outlives the re-encoding
	clear(x.code2[:cap(x.code2)])
	x.tdim = td
	x.codes = make([]int8, 0, c*td)
	x.scale = make([]float32, 0, c)
	x.l1 = make([]float32, 0, c)
	x.code2 = make([]byte, 0, c*code2Bytes(td))
	var z []float32
	if x.sub != nil {
		z = make([]float32, x.sub.rr)
	}
	for s := 0; s < n; s++ {
		v := vecs[s*td : (s+1)*td]
		if x.sub != nil {
			x.appendTier(v, x.sub.whiten(z, v))
		} else {
			x.appendTier(v, v)
		}
	}
	if x.resid != nil {
		r := make([]float32, n, c)
		copy(r, x.resid)
		x.resid = r
	}
}

// isSide reports whether slot s is on the side list (which holds exactly
// the slots whose e_t is above sideCut; an empty list needs no read).
func (x *Index) isSide(s int) bool { return len(x.side) > 0 && x.resid[s] > sideCut }

// removeSide keeps the side list and the residuals in step with Remove
// moving slot last into slot s.
func (x *Index) removeSide(s, last int) {
	drop, move := x.isSide(s), x.isSide(last) && s != last
	if drop || move {
		out := x.side[:0]
		for _, t := range x.side {
			switch {
			case t == s:
			case t == last && move:
				out = append(out, s)
			default:
				out = append(out, t)
			}
		}
		x.side = out
	}
	x.resid[s] = x.resid[last]
	x.resid = x.resid[:last]
}
