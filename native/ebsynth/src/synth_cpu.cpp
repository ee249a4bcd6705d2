// CPU backend: coarse-to-fine PatchMatch + uniformity term + plain voting, on a thread team (team.h).
//
// Determinism: the random numbers are a hash of (seed, level, iteration, sweep, pixel, draw),
// and the parallel sweeps are scheduled so that no thread ever reads data another thread may
// be writing: the target is cut into a fixed number of row bands (independent of the thread
// count), even bands run first, then odd bands; within a band the scan is sequential. The
// occurrence counts are read from a snapshot taken before each half-sweep plus the band's own
// changes (kept in a per-thread delta that is undone when the band ends). Hence equal seeds
// give bitwise-equal results for every thread count.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "backend.h"
#include "team.h"

namespace rr {
namespace {

// ---------------------------------------------------------------- random numbers
inline uint64_t mix64(uint64_t z) {
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/** Counter-based generator: a fixed key per (pixel, sweep), then one hash per draw. */
struct Rng {
	uint64_t key;
	uint64_t counter = 0;
	explicit Rng(uint64_t k) : key(k) {}
	uint32_t next() { return (uint32_t)(mix64(key + 0x632be59bd9b4e019ULL * ++counter) >> 32); }
	/** Uniform integer in [lo, hi] (hi >= lo). */
	int range(int lo, int hi) { return lo + (int)(((uint64_t)next() * (uint64_t)(hi - lo + 1)) >> 32); }
};

// ---------------------------------------------------------------- images
struct Image8 {
	int w = 0, h = 0, c = 0;
	std::vector<uint8_t> px;
	Image8() = default;
	Image8(int w_, int h_, int c_) : w(w_), h(h_), c(c_), px((size_t)w_ * h_ * c_) {}
};

/** Area (box) resampling with fractional coverage, separable; rounds to nearest. */
Image8 resize_area(const uint8_t *src, int sw, int sh, int c, int ow, int oh) {
	Image8 out(ow, oh, c);
	if (ow == sw && oh == sh) {
		std::memcpy(out.px.data(), src, out.px.size());
		return out;
	}
	// weights per output coordinate: list of (input index, weight)
	auto taps = [](int in, int outN) {
		std::vector<std::vector<std::pair<int, float>>> t(outN);
		double scale = (double)in / outN;
		for (int o = 0; o < outN; o++) {
			double a = o * scale, b = (o + 1) * scale;
			for (int i = (int)std::floor(a); i < (int)std::ceil(b) && i < in; i++) {
				double cov = std::min(b, (double)i + 1) - std::max(a, (double)i);
				if (cov > 1e-9) t[o].push_back({i, (float)(cov / scale)});
			}
		}
		return t;
	};
	auto tx = taps(sw, ow), ty = taps(sh, oh);
	std::vector<float> tmp((size_t)ow * sh * c);
	for (int y = 0; y < sh; y++)
		for (int x = 0; x < ow; x++)
			for (int k = 0; k < c; k++) {
				float s = 0;
				for (auto &t : tx[x]) s += t.second * src[((size_t)y * sw + t.first) * c + k];
				tmp[((size_t)y * ow + x) * c + k] = s;
			}
	for (int y = 0; y < oh; y++)
		for (int x = 0; x < ow; x++)
			for (int k = 0; k < c; k++) {
				float s = 0;
				for (auto &t : ty[y]) s += t.second * tmp[((size_t)t.first * ow + x) * c + k];
				int v = (int)std::lround(s);
				out.px[((size_t)y * ow + x) * c + k] = (uint8_t)std::min(255, std::max(0, v));
			}
	return out;
}

int level_size(int n, int level) {
	int s = (int)std::lround(std::ldexp((double)n, -level));
	return s < 1 ? 1 : s;
}

// ---------------------------------------------------------------- patch distance
/**
 * Features: per pixel Cp int16 values (Cp = channels rounded up to 8), value*scale[c]
 * with scale[c] = 16*sqrt(w[c]/wmax), so a plain SSD of features is the weighted SSD
 * times 256/wmax (rounding the scaled values costs < 0.25 of an 8-bit level for the
 * smallest weights). Lanes are int32, flushed to int64 every 32 madds.
 */
inline int64_t row_ssd(const int16_t *a, const int16_t *b, int n) {
#if defined(__SSE2__)
	// one madd lane adds <= 2*4080^2 < 2^25: flush the int32 lanes to int64 every 32 madds
	int64_t total = 0;
	for (int start = 0; start < n; start += 256) {
		int end = std::min(n, start + 256);
		__m128i acc = _mm_setzero_si128();
		for (int i = start; i < end; i += 8) {
			__m128i d = _mm_sub_epi16(_mm_loadu_si128((const __m128i *)(a + i)), _mm_loadu_si128((const __m128i *)(b + i)));
			acc = _mm_add_epi32(acc, _mm_madd_epi16(d, d));
		}
		alignas(16) uint32_t lanes[4];
		_mm_store_si128((__m128i *)lanes, acc);
		total += (int64_t)lanes[0] + lanes[1] + lanes[2] + lanes[3];
	}
	return total;
#else
	int64_t s = 0;
	for (int i = 0; i < n; i++) {
		int d = a[i] - b[i];
		s += d * d;
	}
	return s;
#endif
}

struct Level {
	int sw, sh, tw, th;
	int Cp;         // padded feature channels
	int cs;         // style channels
	std::vector<int16_t> S, T;      // features (style channels first, then guides)
	std::vector<uint8_t> sstyle;    // source style at this level (cs channels)
	std::vector<uint8_t> tstyle;    // current synthesised style (cs channels)
};

struct Ctx {
	const Job &job;
	int r;                      // patch radius
	int cs, cg, Cp;
	std::vector<float> scale;   // per feature channel
	double dscale;              // real weighted SSD = int SSD * dscale
	std::atomic<int> cancelled{0};
	explicit Ctx(const Job &j) : job(j) {}

	bool poll_cancel() {
		if (cancelled.load(std::memory_order_relaxed)) return true;
		if (job.cancel && *job.cancel) { cancelled = 1; return true; }
		return false;
	}
};

/** Distance of target patch at (x,y) to source patch at (ux,uy), over the target's in-bounds part. */
inline int64_t patch_ssd(const Level &L, int r, int x, int y, int ux, int uy, int64_t limit) {
	const int Cp = L.Cp;
	int dx0 = -std::min(r, x), dx1 = std::min(r, L.tw - 1 - x);
	int dy0 = -std::min(r, y), dy1 = std::min(r, L.th - 1 - y);
	int n = (dx1 - dx0 + 1) * Cp;
	const int16_t *a = L.T.data() + ((size_t)(y + dy0) * L.tw + x + dx0) * Cp;
	const int16_t *b = L.S.data() + ((size_t)(uy + dy0) * L.sw + ux + dx0) * Cp;
	size_t as = (size_t)L.tw * Cp, bs = (size_t)L.sw * Cp;
	int64_t sum = 0;
	for (int dy = dy0; dy <= dy1; dy++, a += as, b += bs) {
		sum += row_ssd(a, b, n);
		if (sum >= limit) return sum;
	}
	return sum;
}

/** Valid source centres for target pixel x: every in-bounds target pixel of the patch maps inside the source. */
inline void valid_range(int x, int tn, int sn, int r, int &lo, int &hi) {
	lo = std::min(r, x);
	hi = sn - 1 - std::min(r, tn - 1 - x);
}

inline uint32_t pack(int x, int y) { return (uint32_t)x | ((uint32_t)y << 16); }
inline int ux_of(uint32_t v) { return (int)(v & 0xffff); }
inline int uy_of(uint32_t v) { return (int)(v >> 16); }

/** Per channel: the scaled int16 feature of each 8-bit value. */
std::vector<int16_t> feature_lut(const Ctx &C) {
	std::vector<int16_t> lut((size_t)(C.cs + C.cg) * 256);
	for (int k = 0; k < C.cs + C.cg; k++)
		for (int v = 0; v < 256; v++) lut[(size_t)k * 256 + v] = (int16_t)std::lround(v * C.scale[k]);
	return lut;
}

void build_features(Ctx &C, Level &L, const uint8_t *style, int w, int h, const uint8_t *guides,
	std::vector<int16_t> &F, bool styleOn) {
	const std::vector<int16_t> lut = feature_lut(C);
	F.assign((size_t)w * h * L.Cp, 0);
	for (size_t i = 0; i < (size_t)w * h; i++) {
		int16_t *f = &F[i * L.Cp];
		if (styleOn)
			for (int k = 0; k < C.cs; k++) f[k] = lut[(size_t)k * 256 + style[i * C.cs + k]];
		for (int k = 0; k < C.cg; k++) f[C.cs + k] = lut[(size_t)(C.cs + k) * 256 + guides[i * C.cg + k]];
	}
}

void set_target_style(Ctx &C, Level &L, bool styleOn) {
	const std::vector<int16_t> lut = feature_lut(C);
	const size_t n = (size_t)L.tw * L.th;
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < C.cs; k++)
			L.T[i * L.Cp + k] = styleOn ? lut[(size_t)k * 256 + L.tstyle[i * C.cs + k]] : 0;
}

/**
 * Plain voting: each target pixel is the average of the values all overlapping patches give it.
 * With a mask, only pixels whose mask is set are recomputed (the others keep out's value).
 */
void vote(Ctx &C, Level &L, const std::vector<uint32_t> &nnf, std::vector<uint8_t> &out, Team &team,
	const std::vector<uint8_t> *mask = nullptr) {
	const int r = C.r, cs = C.cs;
	out.resize((size_t)L.tw * L.th * cs);
	team.run(L.th, [&](int y, int) {
		int sum[64];  // style_channels <= 64 (validated)
		for (int x = 0; x < L.tw; x++) {
			if (mask && !(*mask)[(size_t)y * L.tw + x]) continue;
			std::fill(sum, sum + cs, 0);
			int count = 0;
			for (int dy = -r; dy <= r; dy++) {
				int py = y - dy;
				if (py < 0 || py >= L.th) continue;
				for (int dx = -r; dx <= r; dx++) {
					int px = x - dx;
					if (px < 0 || px >= L.tw) continue;
					uint32_t u = nnf[(size_t)py * L.tw + px];
					const uint8_t *s = &L.sstyle[((size_t)(uy_of(u) + dy) * L.sw + ux_of(u) + dx) * cs];
					for (int k = 0; k < cs; k++) sum[k] += s[k];
					count++;
				}
			}
			uint8_t *o = &out[((size_t)y * L.tw + x) * cs];
			for (int k = 0; k < cs; k++) o[k] = (uint8_t)((sum[k] + count / 2) / count);
		}
	});
}

/** Occurrence bookkeeping: cov[q] = how many matched source windows cover source pixel q. */
inline void stamp(int *cov, int sw, int sh, int r, uint32_t u, int delta) {
	int ux = ux_of(u), uy = uy_of(u);
	int x0 = std::max(0, ux - r), x1 = std::min(sw - 1, ux + r);
	int y0 = std::max(0, uy - r), y1 = std::min(sh - 1, uy + r);
	for (int y = y0; y <= y1; y++)
		for (int x = x0; x <= x1; x++) cov[(size_t)y * sw + x] += delta;
}

struct Change {
	uint32_t from, to;
};

struct Sweeper {
	Ctx &C;
	Level &L;
	std::vector<uint32_t> &nnf;
	std::vector<int64_t> &dist;     // int SSD of each target pixel's current match
	const std::vector<uint8_t> &active;
	std::vector<uint8_t> &moved;    // set where the match changed since the last vote
	const std::vector<uint8_t> *recent; // if set: skip pixels with no change nearby in the previous sweep
	std::vector<uint8_t> &changedNow;   // set where the match changes in this sweep
	std::vector<int> &cov;
	double penScale;                // lambda / (|T|/|S|)
	uint64_t key;                   // RNG key for this sweep
	int maxR;                       // first random-search radius

	inline double penalty(const int *delta, uint32_t u, uint32_t cur) const {
		int ux = ux_of(u), uy = uy_of(u);
		size_t q = (size_t)uy * L.sw + ux;
		int self = (std::abs(ux - ux_of(cur)) <= C.r && std::abs(uy - uy_of(cur)) <= C.r) ? 1 : 0;
		int nx = std::min(ux, C.r) + std::min(L.sw - 1 - ux, C.r) + 1;
		int ny = std::min(uy, C.r) + std::min(L.sh - 1 - uy, C.r) + 1;
		return penScale * (double)(cov[q] + delta[q] - self) / (double)(nx * ny);
	}

	/** Whether any pixel within 2 of (x,y) changed its match in the previous sweep. */
	inline bool near_change(const std::vector<uint8_t> &ch, int x, int y) const {
		int x0 = std::max(0, x - 2), x1 = std::min(L.tw - 1, x + 2);
		for (int yy = std::max(0, y - 2); yy <= std::min(L.th - 1, y + 2); yy++) {
			const uint8_t *row = &ch[(size_t)yy * L.tw];
			for (int xx = x0; xx <= x1; xx++)
				if (row[xx]) return true;
		}
		return false;
	}

	inline void prefetch_candidate(int cx, int cy, int x, int y, const int *delta) const {
		int dx0 = -std::min(C.r, x), dy0 = -std::min(C.r, y);
		size_t q = (size_t)cy * L.sw + cx;
		__builtin_prefetch(&cov[q]);
		__builtin_prefetch(&delta[q]);
		const int16_t *b = L.S.data() + ((size_t)(cy + dy0) * L.sw + cx + dx0) * L.Cp;
		size_t bs = (size_t)L.sw * L.Cp;
		for (int k = 0; k < 2; k++, b += bs) {
			__builtin_prefetch(b);
			__builtin_prefetch(b + 32);
			__builtin_prefetch(b + 64);
		}
	}

	/** Tries candidate u for pixel (x,y); updates best. */
	inline void attempt(const int *delta, int x, int y, uint32_t u, uint32_t cur, uint32_t &best, double &bestCost,
		int64_t &bestDist) const {
		if (u == best) return;
		double pen = penalty(delta, u, cur);
		double room = bestCost - pen;
		if (room <= 0) return;
		double lim = room / C.dscale;
		int64_t limit = lim >= 9.0e18 ? INT64_MAX : (int64_t)std::ceil(lim);
		int64_t d = patch_ssd(L, C.r, x, y, ux_of(u), uy_of(u), limit);
		double cost = d * C.dscale + pen;
		if (d < limit && cost < bestCost) {
			best = u;
			bestCost = cost;
			bestDist = d;
		}
	}

	void band(int y0, int y1, bool reverse, int *delta, std::vector<Change> &changes) {
		const int r = C.r;
		for (int yy = y0; yy < y1; yy++) {
			if (C.poll_cancel()) return;
			int y = reverse ? y1 - 1 - (yy - y0) : yy;
			int ylo, yhi;
			valid_range(y, L.th, L.sh, r, ylo, yhi);
			for (int xx = 0; xx < L.tw; xx++) {
				int x = reverse ? L.tw - 1 - xx : xx;
				size_t p = (size_t)y * L.tw + x;
				if (!active[p]) continue;
				if (recent && !near_change(*recent, x, y)) continue;
				int xlo, xhi;
				valid_range(x, L.tw, L.sw, r, xlo, xhi);
				uint32_t cur = nnf[p];
				uint32_t best = cur;
				int64_t bestDist = dist[p];
				double bestCost = bestDist * C.dscale + penalty(delta, cur, cur);
				// propagation from the already-visited neighbours
				int step = reverse ? 1 : -1;
				int nx = x + step, ny = y + step;
				if (nx >= 0 && nx < L.tw) {
					uint32_t v = nnf[(size_t)y * L.tw + nx];
					int cx = std::min(xhi, std::max(xlo, ux_of(v) - step)), cy = std::min(yhi, std::max(ylo, uy_of(v)));
					attempt(delta, x, y, pack(cx, cy), cur, best, bestCost, bestDist);
				}
				if (ny >= 0 && ny < L.th) {
					uint32_t v = nnf[(size_t)ny * L.tw + x];
					int cx = std::min(xhi, std::max(xlo, ux_of(v))), cy = std::min(yhi, std::max(ylo, uy_of(v) - step));
					attempt(delta, x, y, pack(cx, cy), cur, best, bestCost, bestDist);
				}
				// random search around the best match after propagation, radius halving; all
				// candidates are drawn first and prefetched so their memory loads overlap
				Rng rng(mix64(key ^ (uint64_t)p * 0xd1342543de82ef95ULL));
				uint32_t cand[40];
				int nc = 0;
				const int bx = ux_of(best), by = uy_of(best);
				for (int R = maxR; R >= 1 && nc < 40; R /= 2) {
					int cx = rng.range(std::max(xlo, bx - R), std::min(xhi, bx + R));
					int cy = rng.range(std::max(ylo, by - R), std::min(yhi, by + R));
					cand[nc++] = pack(cx, cy);
					prefetch_candidate(cx, cy, x, y, delta);
				}
				for (int i = 0; i < nc; i++) attempt(delta, x, y, cand[i], cur, best, bestCost, bestDist);
				if (best != cur) {
					stamp(delta, L.sw, L.sh, r, cur, -1);
					stamp(delta, L.sw, L.sh, r, best, +1);
					changes.push_back({cur, best});
					nnf[p] = best;
					moved[p] = 1;
					changedNow[p] = 1;
				}
				dist[p] = bestDist;
			}
		}
	}
};

/** out = max of in over a (2r+1)^2 window (separable; tmp is scratch). */
void dilate(const std::vector<uint8_t> &in, std::vector<uint8_t> &tmp, std::vector<uint8_t> &out, int w, int h, int r) {
	for (int y = 0; y < h; y++) {
		const uint8_t *a = &in[(size_t)y * w];
		uint8_t *b = &tmp[(size_t)y * w];
		for (int x = 0; x < w; x++) {
			uint8_t m = 0;
			for (int k = std::max(0, x - r); k <= std::min(w - 1, x + r) && !m; k++) m = a[k];
			b[x] = m;
		}
	}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t m = 0;
			for (int k = std::max(0, y - r); k <= std::min(h - 1, y + r) && !m; k++) m = tmp[(size_t)k * w + x];
			out[(size_t)y * w + x] = m;
		}
}

class CpuSynth {
public:
	explicit CpuSynth(const Job &job) : C(job) {}

	rr_status run(std::string &msg);

private:
	Ctx C;
	Team *team = nullptr;

	bool report(int level, int levels, int it, int its) {
		if (C.job.progress && C.job.progress(C.job.user, level, levels, it, its)) C.cancelled = 1;
		return C.poll_cancel();
	}

	void compute_all_dist(Level &L, const std::vector<uint32_t> &nnf, std::vector<int64_t> &dist,
		const std::vector<uint8_t> *active) {
		team->run(L.th, [&](int y, int) {
			for (int x = 0; x < L.tw; x++) {
				size_t p = (size_t)y * L.tw + x;
				if (active && !(*active)[p]) continue;
				dist[p] = patch_ssd(L, C.r, x, y, ux_of(nnf[p]), uy_of(nnf[p]), INT64_MAX);
			}
		});
	}
};

rr_status CpuSynth::run(std::string &msg) {
	const Job &job = C.job;
	const rr_synth_input &in = job.in;
	const rr_synth_params &P = job.params;
	Team members(P.threads);
	team = &members;
	const int threads = members.size();
	C.r = P.patch_size / 2;
	C.cs = in.style_channels;
	C.cg = in.guide_channels;
	C.Cp = (C.cs + C.cg + 7) / 8 * 8;
	float wmax = 0;
	for (int k = 0; k < C.cs; k++) wmax = std::max(wmax, in.style_weights[k]);
	for (int k = 0; k < C.cg; k++) wmax = std::max(wmax, in.guide_weights[k]);
	C.scale.assign(C.Cp, 0.f);
	for (int k = 0; k < C.cs; k++) C.scale[k] = 16.f * std::sqrt(in.style_weights[k] / wmax);
	for (int k = 0; k < C.cg; k++) C.scale[C.cs + k] = 16.f * std::sqrt(in.guide_weights[k] / wmax);
	C.dscale = wmax / 256.0;

	const int levels = job.levels;
	const int SV = P.search_vote_iterations, PM = P.patchmatch_iterations;
	std::vector<uint32_t> nnf, prevNnf;
	Level prev;
	int prevTw = 0, prevTh = 0, prevSw = 0, prevSh = 0;

	for (int li = 0; li < levels; li++) {
		const int lvl = levels - 1 - li;  // pyramid level, 0 = full size
		Level L;
		L.sw = level_size(in.source_width, lvl);
		L.sh = level_size(in.source_height, lvl);
		L.tw = level_size(in.target_width, lvl);
		L.th = level_size(in.target_height, lvl);
		L.Cp = C.Cp;
		L.cs = C.cs;
		Image8 sstyle = resize_area(in.style, in.source_width, in.source_height, C.cs, L.sw, L.sh);
		Image8 sg = resize_area(in.source_guides, in.source_width, in.source_height, C.cg, L.sw, L.sh);
		Image8 tg = resize_area(in.target_guides, in.target_width, in.target_height, C.cg, L.tw, L.th);
		L.sstyle = std::move(sstyle.px);
		const size_t nT = (size_t)L.tw * L.th, nS = (size_t)L.sw * L.sh;
		const bool coarsest = li == 0;

		// initial field: random at the coarsest level, else upsampled from the coarser one
		nnf.assign(nT, 0);
		for (int y = 0; y < L.th; y++) {
			int ylo, yhi;
			valid_range(y, L.th, L.sh, C.r, ylo, yhi);
			for (int x = 0; x < L.tw; x++) {
				int xlo, xhi;
				valid_range(x, L.tw, L.sw, C.r, xlo, xhi);
				int ux, uy;
				if (coarsest) {
					Rng rng(mix64(P.seed ^ 0x5851f42d4c957f2dULL) ^ mix64((uint64_t)y * L.tw + x));
					ux = rng.range(xlo, xhi);
					uy = rng.range(ylo, yhi);
				}
				else {
					int cx = std::min(prevTw - 1, (int)((x + 0.5) * prevTw / L.tw));
					int cy = std::min(prevTh - 1, (int)((y + 0.5) * prevTh / L.th));
					uint32_t u = prevNnf[(size_t)cy * prevTw + cx];
					// position of the coarse pixel's centre at this level, and our offset from it
					double ox = (cx + 0.5) * L.tw / prevTw - 0.5, oy = (cy + 0.5) * L.th / prevTh - 0.5;
					ux = (int)std::lround((ux_of(u) + 0.5) * L.sw / prevSw - 0.5 + (x - ox));
					uy = (int)std::lround((uy_of(u) + 0.5) * L.sh / prevSh - 0.5 + (y - oy));
				}
				nnf[(size_t)y * L.tw + x] = pack(std::min(xhi, std::max(xlo, ux)), std::min(yhi, std::max(ylo, uy)));
			}
		}
		build_features(C, L, L.sstyle.data(), L.sw, L.sh, sg.px.data(), L.S, !coarsest);
		build_features(C, L, nullptr, L.tw, L.th, tg.px.data(), L.T, false);
		if (!coarsest) {
			vote(C, L, nnf, L.tstyle, members);
			set_target_style(C, L, true);
		}
		else {
			L.tstyle.assign(nT * C.cs, 0);
		}

		std::vector<int> cov(nS, 0);
		for (size_t p = 0; p < nT; p++) stamp(cov.data(), L.sw, L.sh, C.r, nnf[p], +1);
		// Random search starts at the whole image on the coarsest level; finer levels start at
		// 8 patch sizes (long jumps were already found coarser) unless params.full_search is set.
		const int maxR = (coarsest || P.full_search) ? std::max(L.sw, L.sh)
			: std::min(std::max(L.sw, L.sh), 8 * P.patch_size);
		const double penScale = (double)P.uniformity_weight * (double)nS / (double)nT;

		std::vector<int64_t> dist(nT, 0);
		std::vector<uint8_t> active(nT, 1), moved(nT, 0), dirty(nT, 0), rowMax(nT, 0), chPrev(nT, 0), chNow(nT, 0);
		std::vector<std::vector<int>> deltas(threads, std::vector<int>(nS, 0));
		const int bands = std::max(2, std::min(64, L.th / 16)) / 2 * 2;
		std::vector<std::vector<Change>> changes(bands);
		std::vector<uint8_t> voted;

		for (int sv = 0; sv < SV; sv++) {
			// the first round on the coarsest level matches guides only (the style there is unknown)
			if (coarsest && sv == 1) {
				build_features(C, L, L.sstyle.data(), L.sw, L.sh, sg.px.data(), L.S, true);
				set_target_style(C, L, true);
			}
			compute_all_dist(L, nnf, dist, sv == 0 ? nullptr : &active);
			for (int pm = 0; pm < PM; pm++) {
				if (report(li, levels, sv * PM + pm, SV * PM)) return RR_CANCELLED;
				bool reverse = pm % 2 == 1;
				uint64_t key = mix64(P.seed + 0x9e3779b97f4a7c15ULL * (uint64_t)(1 + li))
					^ mix64(((uint64_t)sv << 32) | (uint64_t)pm);
				// after the first sweep of a round, only pixels near a match that changed in the previous sweep are revisited
				const bool skipQuiet = pm >= 1 && !P.full_search;
				Sweeper sw{C, L, nnf, dist, active, moved, skipQuiet ? &chPrev : nullptr, chNow, cov, penScale, key, maxR};
				for (int phase = 0; phase < 2; phase++) {
					team->run((bands - phase + 1) / 2, [&](int i, int t) {
						const int b = phase + 2 * i;
						int *delta = deltas[t].data();
						auto &ch = changes[b];
						ch.clear();
						int y0 = (int)((int64_t)L.th * b / bands), y1 = (int)((int64_t)L.th * (b + 1) / bands);
						sw.band(y0, y1, reverse, delta, ch);
						for (const Change &c : ch) {  // undo the band's private view
							stamp(delta, L.sw, L.sh, C.r, c.to, -1);
							stamp(delta, L.sw, L.sh, C.r, c.from, +1);
						}
					});
					for (int b = phase; b < bands; b += 2)
						for (const Change &c : changes[b]) {
							stamp(cov.data(), L.sw, L.sh, C.r, c.from, -1);
							stamp(cov.data(), L.sw, L.sh, C.r, c.to, +1);
						}
					if (C.poll_cancel()) return RR_CANCELLED;
				}
				chPrev.swap(chNow);
				std::fill(chNow.begin(), chNow.end(), 0);
			}
			if (coarsest && sv == 0) {
				vote(C, L, nnf, voted, members);
			}
			else {
				// re-vote only pixels within a patch radius of a moved match (the vote depends on nothing else)
				dilate(moved, rowMax, dirty, L.tw, L.th, C.r);
				voted = L.tstyle;
				vote(C, L, nnf, voted, members, &dirty);
			}
			std::fill(moved.begin(), moved.end(), 0);
			// stop threshold: pixels whose vote barely changed stop improving at this level
			size_t nActive = 0;
			for (size_t p = 0; p < nT; p++) {
				int change = 0;
				for (int k = 0; k < C.cs; k++)
					change = std::max(change, std::abs((int)voted[p * C.cs + k] - (int)L.tstyle[p * C.cs + k]));
				active[p] = (coarsest && sv == 0) || change >= P.stop_threshold;
				nActive += active[p];
			}
			L.tstyle.swap(voted);
			set_target_style(C, L, true);
			if (std::getenv("RR_SYNTH_DEBUG"))
				std::fprintf(stderr, "level %d (%dx%d) sv %d: active %zu / %zu\n", lvl, L.tw, L.th, sv, nActive, nT);
			if (nActive == 0 && !(coarsest && sv == 0)) break;
		}
		prevNnf.swap(nnf);
		prevTw = L.tw;
		prevTh = L.th;
		prevSw = L.sw;
		prevSh = L.sh;
		if (li == levels - 1) {
			std::memcpy(job.out.image, L.tstyle.data(), L.tstyle.size());
			if (job.out.error) {
				compute_all_dist(L, prevNnf, dist, nullptr);
				for (size_t p = 0; p < nT; p++) job.out.error[p] = (float)(dist[p] * C.dscale);
			}
		}
	}
	(void)msg;
	return RR_OK;
}

bool cpu_available() { return true; }

rr_status cpu_run(const Job &job, std::string &msg) {
	CpuSynth s(job);
	return s.run(msg);
}

}  // namespace

const Backend cpu_backend = {"cpu", cpu_available, cpu_run};

}  // namespace rr
