// Native benchmark driver: times rr_synth_run on the PPM inputs that the Java benchmark
// (PatchSynthesisBenchmark) writes to target/synth-bench/WxH/, and reports the peak
// resident memory of this process (one configuration per process).
//   synth_bench DIR THREADS FULL_SEARCH REPS
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rerender_synth.h"

struct Img {
	int w = 0, h = 0;
	std::vector<uint8_t> px;
};

static Img read_ppm(const std::string &path) {
	Img img;
	FILE *f = std::fopen(path.c_str(), "rb");
	if (!f) { std::fprintf(stderr, "cannot open %s\n", path.c_str()); std::exit(2); }
	int maxv = 0;
	if (std::fscanf(f, "P6 %d %d %d", &img.w, &img.h, &maxv) != 3 || maxv != 255) { std::fprintf(stderr, "bad ppm %s\n", path.c_str()); std::exit(2); }
	std::fgetc(f);
	img.px.resize((size_t)img.w * img.h * 3);
	if (std::fread(img.px.data(), 1, img.px.size(), f) != img.px.size()) { std::fprintf(stderr, "short ppm %s\n", path.c_str()); std::exit(2); }
	std::fclose(f);
	return img;
}

static bool grey(const Img &a) {
	for (size_t i = 0; i < a.px.size(); i += 3)
		if (a.px[i] != a.px[i + 1] || a.px[i] != a.px[i + 2]) return false;
	return true;
}

int main(int argc, char **argv) {
	if (argc < 5) { std::fprintf(stderr, "usage: synth_bench DIR THREADS FULL_SEARCH REPS\n"); return 2; }
	std::string dir = argv[1];
	int threads = std::atoi(argv[2]), full = std::atoi(argv[3]), reps = std::atoi(argv[4]);
	Img style = read_ppm(dir + "/style.ppm"), truth = read_ppm(dir + "/truth.ppm");
	const char *names[] = {"colour", "edge", "temporal", "positional"};
	const float weights[] = {6.f, 0.5f, 0.5f, 2.f};
	std::vector<Img> src, tgt;
	for (auto n : names) {
		src.push_back(read_ppm(dir + "/src_" + n + ".ppm"));
		tgt.push_back(read_ppm(dir + "/tgt_" + n + ".ppm"));
	}
	int tw = tgt[0].w, th = tgt[0].h, sw = style.w, sh = style.h;
	std::vector<int> ch;
	int gc = 0;
	for (int i = 0; i < 4; i++) { ch.push_back(grey(src[i]) && grey(tgt[i]) ? 1 : 3); gc += ch.back(); }
	std::vector<uint8_t> sg((size_t)sw * sh * gc), tg((size_t)tw * th * gc);
	std::vector<float> gw;
	for (int i = 0, off = 0; i < 4; off += ch[i], i++) {
		for (int k = 0; k < ch[i]; k++) gw.push_back(weights[i] / ch[i]);
		for (size_t p = 0; p < (size_t)sw * sh; p++)
			for (int k = 0; k < ch[i]; k++) sg[p * gc + off + k] = src[i].px[p * 3 + k];
		for (size_t p = 0; p < (size_t)tw * th; p++)
			for (int k = 0; k < ch[i]; k++) tg[p * gc + off + k] = tgt[i].px[p * 3 + k];
	}
	float stw[3] = {1 / 3.f, 1 / 3.f, 1 / 3.f};
	rr_synth_input in{};
	in.source_width = sw; in.source_height = sh; in.target_width = tw; in.target_height = th;
	in.style_channels = 3; in.style = style.px.data(); in.style_weights = stw;
	in.guide_channels = gc; in.source_guides = sg.data(); in.target_guides = tg.data(); in.guide_weights = gw.data();
	std::vector<uint8_t> out((size_t)tw * th * 3);
	std::vector<float> err((size_t)tw * th);
	rr_synth_output o{out.data(), err.data()};
	rr_synth_params p;
	rr_synth_params_init(&p);
	p.threads = threads;
	p.full_search = full;
	std::vector<double> ms;
	char msg[256];
	for (int r = 0; r < reps; r++) {
		auto t0 = std::chrono::steady_clock::now();
		rr_status st = rr_synth_run(&in, &p, &o, nullptr, nullptr, nullptr, msg, sizeof msg);
		auto t1 = std::chrono::steady_clock::now();
		if (st != RR_OK) { std::fprintf(stderr, "failed: %s\n", msg); return 1; }
		ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
	}
	std::sort(ms.begin(), ms.end());
	double se = 0;
	for (size_t i = 0; i < out.size(); i++) { double d = (double)out[i] - truth.px[i]; se += d * d; }
	double psnr = 10 * std::log10(255.0 * 255.0 / (se / out.size()));
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	std::printf("%dx%d | threads %d | %-11s | median %8.1f ms | min %8.1f ms | PSNR %6.2f dB | peak RSS %6.1f MB\n", tw, th,
		threads, full ? "plain PM" : "ours", ms[ms.size() / 2], ms[0], psnr, ru.ru_maxrss / 1024.0);
	return 0;
}
