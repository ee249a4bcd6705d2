// Standalone checks of the C core, built with -fsanitize=address,undefined by
// `make sanitize-check` (also run by `mvn verify -Psanitize`). Exit code 0 = all passed.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <vector>

#include "rerender_synth.h"
#include "team.h"

static int failures = 0;
#define CHECK(cond, what)                                        \
	do {                                                         \
		if (!(cond)) {                                           \
			std::fprintf(stderr, "FAIL: %s (%s)\n", what, #cond); \
			failures++;                                          \
		}                                                        \
		else std::printf("ok: %s\n", what);                      \
	} while (0)

// A smooth but non-repeating texture (sum of sines), 3 channels.
static std::vector<uint8_t> texture(int w, int h, double phase) {
	std::vector<uint8_t> img((size_t)w * h * 3);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < 3; c++) {
				double v = 128 + 60 * std::sin(0.31 * x + 0.17 * y * (c + 1) + phase) + 50 * std::cos(0.053 * x * y + c);
				img[((size_t)y * w + x) * 3 + c] = (uint8_t)std::lround(std::fmax(0, std::fmin(255, v)));
			}
	return img;
}

struct Run {
	std::vector<uint8_t> out;
	std::vector<float> err;
	rr_status st;
};

static Run run(int sw, int sh, const std::vector<uint8_t> &style, const std::vector<uint8_t> &sg, int tw, int th,
	const std::vector<uint8_t> &tg, rr_synth_params p, float guideWeight = 2.f, const volatile int *cancel = nullptr) {
	float stw[3] = {1 / 3.f, 1 / 3.f, 1 / 3.f};
	float gw[3] = {guideWeight, guideWeight, guideWeight};
	rr_synth_input in{};
	in.source_width = sw;
	in.source_height = sh;
	in.target_width = tw;
	in.target_height = th;
	in.style_channels = 3;
	in.style = style.data();
	in.style_weights = stw;
	in.guide_channels = 3;
	in.source_guides = sg.data();
	in.target_guides = tg.data();
	in.guide_weights = gw;
	Run r;
	r.out.assign((size_t)tw * th * 3, 0);
	r.err.assign((size_t)tw * th, -1.f);
	rr_synth_output o{r.out.data(), r.err.data()};
	char msg[256];
	r.st = rr_synth_run(&in, &p, &o, nullptr, nullptr, cancel, msg, sizeof msg);
	if (r.st != RR_OK) std::printf("  (status %d: %s)\n", (int)r.st, msg);
	return r;
}

// The thread team that runs the parallel loops: every item once, member ids in range, exceptions reach the caller.
static void team_checks() {
	for (int n : {1, 3, 8}) {
		rr::Team team(n);
		std::vector<std::atomic<int>> hits(1000);
		std::atomic<int> badMember{0};
		for (int round = 0; round < 50; round++)
			team.run(1000, [&](int i, int t) {
				hits[i]++;
				if (t < 0 || t >= team.size()) badMember++;
			});
		bool all = true;
		for (auto &h : hits) all = all && h.load() == 50;
		CHECK(all && badMember.load() == 0, "thread team runs every item once per round with valid member ids");
		bool caught = false;
		try {
			team.run(200, [](int i, int) {
				if (i == 123) throw std::bad_alloc();
			});
		}
		catch (const std::bad_alloc &) {
			caught = true;
		}
		CHECK(caught, "an exception in a team item reaches the caller");
		int after = 0;
		team.run(10, [&](int, int) { __atomic_add_fetch(&after, 1, __ATOMIC_RELAXED); });
		CHECK(after == 10, "the team is usable after an exception");
	}
}

int main() {
	team_checks();
	const int w = 64, h = 48;
	std::vector<uint8_t> style = texture(w, h, 0.0), guide = texture(w, h, 1.0);
	rr_synth_params p;
	rr_synth_params_init(&p);
	p.threads = 2;
	p.search_vote_iterations = 4;
	p.patchmatch_iterations = 3;

	Run same = run(w, h, style, guide, w, h, guide, p);
	CHECK(same.st == RR_OK, "identity run succeeds");
	CHECK(same.out == style, "identity guides reproduce the exemplar exactly");
	double maxErr = 0;
	for (float e : same.err) maxErr = std::fmax(maxErr, e);
	CHECK(maxErr == 0.0, "identity error map is zero");

	std::vector<uint8_t> target = texture(80, 40, 2.0);
	Run a = run(w, h, style, guide, 80, 40, target, p);
	rr_synth_params p1 = p;
	p1.threads = 1;
	Run b = run(w, h, style, guide, 80, 40, target, p1);
	CHECK(a.st == RR_OK && b.st == RR_OK, "different-size target runs");
	CHECK(a.out == b.out && std::memcmp(a.err.data(), b.err.data(), a.err.size() * sizeof(float)) == 0,
		"1 and 2 threads give bitwise-equal results");
	rr_synth_params p2 = p;
	p2.seed = 7;
	Run c = run(w, h, style, guide, 80, 40, target, p2);
	CHECK(c.st == RR_OK && c.out != a.out, "another seed gives another result");

	Run nanW = run(w, h, style, guide, w, h, guide, p, NAN);
	CHECK(nanW.st == RR_INVALID_ARGUMENT, "NaN weight rejected");
	Run neg = run(w, h, style, guide, w, h, guide, p, -1.f);
	CHECK(neg.st == RR_INVALID_ARGUMENT, "negative weight rejected");
	std::vector<uint8_t> tiny = texture(8, 8, 0.0);
	Run small = run(w, h, style, guide, 8, 8, tiny, p);
	CHECK(small.st == RR_INVALID_ARGUMENT, "too small target rejected");
	rr_synth_params bad = p;
	bad.patch_size = 4;
	CHECK(run(w, h, style, guide, w, h, guide, bad).st == RR_INVALID_ARGUMENT, "even patch size rejected");
	bad = p;
	bad.backend = RR_BACKEND_CUDA;
	CHECK(run(w, h, style, guide, w, h, guide, bad).st == RR_BACKEND_UNAVAILABLE, "CUDA backend reported unavailable");

	volatile int cancel = 1;
	CHECK(run(w, h, style, guide, w, h, guide, p, 2.f, &cancel).st == RR_CANCELLED, "cancel flag stops the run");

	CHECK(rr_synth_max_levels(512, 512, 512, 512, 5) == 6, "512x512 fits 6 levels for patch 5");
	std::printf(failures ? "%d FAILED\n" : "all passed\n", failures);
	return failures ? 1 : 0;
}
