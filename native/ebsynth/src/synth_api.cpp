// C entry points: parameter defaults, validation, backend dispatch. No exception escapes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "backend.h"
#include "rerender_synth.h"

namespace rr {

const Backend *find_backend(rr_backend which) {
	switch (which) {
	case RR_BACKEND_CPU: return &cpu_backend;
	default: return nullptr;  // RR_BACKEND_CUDA: not built in this version
	}
}

namespace {

int level_size(int n, int level) {
	int s = (int)std::lround(std::ldexp((double)n, -level));
	return s < 1 ? 1 : s;
}

bool weights_ok(const float *w, int n, const char *what, std::string &msg, bool &any_positive) {
	for (int i = 0; i < n; i++) {
		if (!std::isfinite(w[i]) || w[i] < 0) {
			msg = std::string(what) + " weight " + std::to_string(i) + " must be finite and >= 0, got "
				+ std::to_string(w[i]);
			return false;
		}
		if (w[i] > 0) any_positive = true;
	}
	return true;
}

std::string size_str(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

rr_status validate(const rr_synth_input *in, const rr_synth_params *p, const rr_synth_output *out, std::string &msg) {
	if (!in || !p || !out) { msg = "input, params and output must not be null"; return RR_INVALID_ARGUMENT; }
	if (p->patch_size < 3 || p->patch_size > 31 || p->patch_size % 2 == 0) {
		msg = "patch size must be odd and in 3..31, got " + std::to_string(p->patch_size);
		return RR_INVALID_ARGUMENT;
	}
	if (!std::isfinite(p->uniformity_weight) || p->uniformity_weight < 0) {
		msg = "uniformity weight must be finite and >= 0";
		return RR_INVALID_ARGUMENT;
	}
	if (p->pyramid_levels < 0 || p->pyramid_levels > 32) { msg = "pyramid levels must be 0..32"; return RR_INVALID_ARGUMENT; }
	if (p->search_vote_iterations < 1 || p->patchmatch_iterations < 1) {
		msg = "search-vote and PatchMatch iterations must be >= 1";
		return RR_INVALID_ARGUMENT;
	}
	if (p->stop_threshold < 0 || p->stop_threshold > 255) { msg = "stop threshold must be 0..255"; return RR_INVALID_ARGUMENT; }
	if (p->threads < 1 || p->threads > 1024) { msg = "threads must be 1..1024"; return RR_INVALID_ARGUMENT; }
	if (in->style_channels < 1 || in->style_channels > 64 || in->guide_channels < 1 || in->guide_channels > 256) {
		msg = "style channels must be 1..64 and guide channels 1..256, got " + std::to_string(in->style_channels)
			+ " and " + std::to_string(in->guide_channels);
		return RR_INVALID_ARGUMENT;
	}
	if (!in->style || !in->style_weights || !in->source_guides || !in->target_guides || !in->guide_weights || !out->image) {
		msg = "a required buffer is null";
		return RR_INVALID_ARGUMENT;
	}
	int minSide = 2 * p->patch_size + 1;
	if (in->source_width < minSide || in->source_height < minSide || in->target_width < minSide
		|| in->target_height < minSide) {
		msg = "images must be at least " + size_str(minSide, minSide) + " for patch size " + std::to_string(p->patch_size)
			+ " (source " + size_str(in->source_width, in->source_height) + ", target "
			+ size_str(in->target_width, in->target_height) + ")";
		return RR_INVALID_ARGUMENT;
	}
	if ((long long)in->source_width * in->source_height > (1LL << 26)
		|| (long long)in->target_width * in->target_height > (1LL << 26)
		|| in->source_width > 32767 || in->source_height > 32767) {
		msg = "images larger than 64 megapixels (or a side over 32767) are not supported";
		return RR_INVALID_ARGUMENT;
	}
	bool anyStyle = false, anyGuide = false;
	if (!weights_ok(in->style_weights, in->style_channels, "style", msg, anyStyle)) return RR_INVALID_ARGUMENT;
	if (!weights_ok(in->guide_weights, in->guide_channels, "guide", msg, anyGuide)) return RR_INVALID_ARGUMENT;
	if (!anyGuide) { msg = "all guide weights are zero"; return RR_INVALID_ARGUMENT; }
	return RR_OK;
}

void set_message(char *buf, size_t size, const std::string &msg) {
	if (!buf || size == 0) return;
	std::snprintf(buf, size, "%s", msg.c_str());
}

}  // namespace
}  // namespace rr

extern "C" {

void rr_synth_params_init(rr_synth_params *p) {
	if (!p) return;
	p->patch_size = 5;
	p->uniformity_weight = 3500.0f;
	p->pyramid_levels = 0;
	p->search_vote_iterations = 12;
	p->patchmatch_iterations = 6;
	p->stop_threshold = 5;
	p->seed = 0;
	p->threads = 1;
	p->backend = RR_BACKEND_CPU;
	p->full_search = 0;
}

int rr_synth_backend_available(rr_backend backend) {
	const rr::Backend *b = rr::find_backend(backend);
	return b && b->available() ? 1 : 0;
}

int rr_synth_max_levels(int sw, int sh, int tw, int th, int patch) {
	int minSide = 2 * patch + 1;
	int levels = 0;
	while (levels < 32) {
		int m = rr::level_size(sw, levels);
		m = std::min(m, rr::level_size(sh, levels));
		m = std::min(m, rr::level_size(tw, levels));
		m = std::min(m, rr::level_size(th, levels));
		if (m < minSide) break;
		levels++;
	}
	return levels;
}

const char *rr_synth_version(void) { return RR_SYNTH_VERSION; }

rr_status rr_synth_run(const rr_synth_input *in, const rr_synth_params *p, rr_synth_output *out, rr_progress_fn progress,
	void *user, const volatile int *cancel, char *message, size_t message_size) {
	std::string msg;
	try {
		rr_status st = rr::validate(in, p, out, msg);
		if (st != RR_OK) { rr::set_message(message, message_size, msg); return st; }
		const rr::Backend *b = rr::find_backend(p->backend);
		if (!b || !b->available()) {
			rr::set_message(message, message_size, "backend " + std::to_string((int)p->backend) + " is not available in this build");
			return RR_BACKEND_UNAVAILABLE;
		}
		int fit = rr_synth_max_levels(in->source_width, in->source_height, in->target_width, in->target_height, p->patch_size);
		int levels = p->pyramid_levels == 0 ? fit : std::min(fit, p->pyramid_levels);
		rr::Job job{*in, *p, *out, progress, user, cancel, levels};
		st = b->run(job, msg);
		if (st != RR_OK) rr::set_message(message, message_size, msg);
		return st;
	}
	catch (const std::bad_alloc &) {
		rr::set_message(message, message_size, "out of memory in native synthesis");
		return RR_OUT_OF_MEMORY;
	}
	catch (const std::exception &e) {
		rr::set_message(message, message_size, std::string("internal error in native synthesis: ") + e.what());
		return RR_INTERNAL_ERROR;
	}
	catch (...) {
		rr::set_message(message, message_size, "unknown internal error in native synthesis");
		return RR_INTERNAL_ERROR;
	}
}

}  // extern "C"
