// JNI entries for org.rerender.propagate.synth.EbsynthNative. Every entry catches all C++
// exceptions and turns failures into Java exceptions with a clear message.
#include <jni.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "rerender_synth.h"
#include "team.h"

namespace {

void throw_java(JNIEnv *env, const char *cls, const std::string &msg) {
	if (env->ExceptionCheck()) return;  // keep the first exception
	jclass c = env->FindClass(cls);
	if (c) env->ThrowNew(c, msg.c_str());
}

#define RR_JNI_TRY try {
#define RR_JNI_CATCH(env, ret)                                                                          \
	}                                                                                                    \
	catch (const std::bad_alloc &) {                                                                     \
		throw_java(env, "java/lang/OutOfMemoryError", "out of native memory in RerenderSynth");            \
		return ret;                                                                                      \
	}                                                                                                    \
	catch (const std::exception &e) {                                                                    \
		throw_java(env, "java/lang/IllegalStateException", std::string("RerenderSynth: ") + e.what());     \
		return ret;                                                                                      \
	}                                                                                                    \
	catch (...) {                                                                                        \
		throw_java(env, "java/lang/IllegalStateException", "RerenderSynth: unknown native error");         \
		return ret;                                                                                      \
	}

struct CallbackCtx {
	JNIEnv *env;
	jobject callback;
	jmethodID poll;
};

int progress_trampoline(void *user, int level, int levels, int it, int its) {
	auto *ctx = static_cast<CallbackCtx *>(user);
	if (!ctx->callback) return 0;
	jboolean stop = ctx->env->CallBooleanMethod(ctx->callback, ctx->poll, level, levels, it, its);
	if (ctx->env->ExceptionCheck()) return 1;  // stop; the Java exception propagates on return
	return stop ? 1 : 0;
}

bool check_len(JNIEnv *env, jarray a, long long expected, const char *name) {
	if (!a) {
		throw_java(env, "java/lang/IllegalArgumentException", std::string(name) + " is null");
		return false;
	}
	long long n = env->GetArrayLength(a);
	if (n != expected) {
		throw_java(env, "java/lang/IllegalArgumentException",
			std::string(name) + " has " + std::to_string(n) + " elements, expected " + std::to_string(expected));
		return false;
	}
	return true;
}

/**
 * The error paths the shipped build depends on (static libstdc++ with libgcc_s's unwinder, our std::__throw_*
 * helpers in throw.cpp, an exception moved from a worker thread to the caller): "ok" or what failed.
 */
std::string self_check() {
	std::string failed;
	try {
		std::vector<int> v;
		v.reserve(v.max_size() + 1);  // libstdc++ calls std::__throw_length_error
		failed += "no exception from vector::reserve beyond max_size; ";
	}
	catch (const std::exception &e) {
		if (!std::strstr(e.what(), "length_error")) failed += std::string("vector::reserve threw '") + e.what() + "'; ";
	}
	try {
		volatile size_t huge = (size_t)1 << 62;
		std::vector<char> v(huge);  // operator new fails
		volatile char *p = v.data();
		p[0] = 1;  // (keeps the allocation from being optimised away)
		failed += "no exception from a 4 EiB allocation; ";
	}
	catch (const std::bad_alloc &) {
	}
	try {
		rr::Team team(3);
		team.run(64, [](int i, int) {
			if (i == 40) throw std::bad_alloc();
		});
		failed += "no exception from a worker thread; ";
	}
	catch (const std::bad_alloc &) {
	}
	return failed.empty() ? "ok" : failed;
}

/**
 * The version as a tagged string in the file, so that NativeLibrary can read a library's version from its bytes
 * before choosing which copy to load (a loaded JNI library cannot be swapped for another).
 */
const char version_tag[] = "RerenderSynth-version=" RR_SYNTH_VERSION;
constexpr size_t version_tag_prefix = sizeof("RerenderSynth-version=") - 1;

}  // namespace

extern "C" {

JNIEXPORT jstring JNICALL Java_org_rerender_propagate_synth_EbsynthNative_selfCheck(JNIEnv *env, jclass) {
	RR_JNI_TRY
	return env->NewStringUTF(self_check().c_str());
	RR_JNI_CATCH(env, nullptr)
}

JNIEXPORT jstring JNICALL Java_org_rerender_propagate_synth_EbsynthNative_version(JNIEnv *env, jclass) {
	RR_JNI_TRY
	return env->NewStringUTF(version_tag + version_tag_prefix);
	RR_JNI_CATCH(env, nullptr)
}

JNIEXPORT jint JNICALL Java_org_rerender_propagate_synth_EbsynthNative_synthesize(JNIEnv *env, jclass,
	jint styleCh, jint sw, jint sh, jbyteArray style, jint guideCh, jbyteArray sourceGuides, jint tw, jint th,
	jbyteArray targetGuides, jfloatArray styleWeights, jfloatArray guideWeights, jint patchSize, jfloat uniformity,
	jint levels, jint svIters, jint pmIters, jint stopThreshold, jlong seed, jint threads, jboolean fullSearch, jbyteArray outImage,
	jfloatArray outError, jobject callback) {
	RR_JNI_TRY
	if (styleCh < 1 || guideCh < 1 || sw < 1 || sh < 1 || tw < 1 || th < 1) {
		throw_java(env, "java/lang/IllegalArgumentException", "sizes and channel counts must be positive");
		return -1;
	}
	long long sPx = (long long)sw * sh, tPx = (long long)tw * th;
	if (!check_len(env, style, sPx * styleCh, "style") || !check_len(env, sourceGuides, sPx * guideCh, "sourceGuides")
		|| !check_len(env, targetGuides, tPx * guideCh, "targetGuides")
		|| !check_len(env, styleWeights, styleCh, "styleWeights") || !check_len(env, guideWeights, guideCh, "guideWeights")
		|| !check_len(env, outImage, tPx * styleCh, "outImage") || !check_len(env, outError, tPx, "outError"))
		return -1;

	std::vector<uint8_t> st(sPx * styleCh), sg(sPx * guideCh), tg(tPx * guideCh), out(tPx * styleCh);
	std::vector<float> stw(styleCh), gw(guideCh), err(tPx);
	env->GetByteArrayRegion(style, 0, (jsize)st.size(), reinterpret_cast<jbyte *>(st.data()));
	env->GetByteArrayRegion(sourceGuides, 0, (jsize)sg.size(), reinterpret_cast<jbyte *>(sg.data()));
	env->GetByteArrayRegion(targetGuides, 0, (jsize)tg.size(), reinterpret_cast<jbyte *>(tg.data()));
	env->GetFloatArrayRegion(styleWeights, 0, styleCh, stw.data());
	env->GetFloatArrayRegion(guideWeights, 0, guideCh, gw.data());

	rr_synth_input in{};
	in.source_width = sw;
	in.source_height = sh;
	in.target_width = tw;
	in.target_height = th;
	in.style_channels = styleCh;
	in.style = st.data();
	in.style_weights = stw.data();
	in.guide_channels = guideCh;
	in.source_guides = sg.data();
	in.target_guides = tg.data();
	in.guide_weights = gw.data();
	rr_synth_params p;
	rr_synth_params_init(&p);
	p.patch_size = patchSize;
	p.uniformity_weight = uniformity;
	p.pyramid_levels = levels;
	p.search_vote_iterations = svIters;
	p.patchmatch_iterations = pmIters;
	p.stop_threshold = stopThreshold;
	p.seed = (uint64_t)seed;
	p.threads = threads;
	p.full_search = fullSearch ? 1 : 0;
	rr_synth_output o{out.data(), err.data()};

	CallbackCtx ctx{env, callback, nullptr};
	if (callback) {
		jclass cls = env->GetObjectClass(callback);
		ctx.poll = env->GetMethodID(cls, "poll", "(IIII)Z");
		if (!ctx.poll) return -1;  // NoSuchMethodError pending
	}
	char msg[512] = {0};
	rr_status rc = rr_synth_run(&in, &p, &o, progress_trampoline, &ctx, nullptr, msg, sizeof msg);
	if (env->ExceptionCheck()) return -1;  // thrown by the callback
	switch (rc) {
	case RR_OK:
		env->SetByteArrayRegion(outImage, 0, (jsize)out.size(), reinterpret_cast<const jbyte *>(out.data()));
		env->SetFloatArrayRegion(outError, 0, (jsize)err.size(), err.data());
		return 0;
	case RR_CANCELLED: return 1;
	case RR_INVALID_ARGUMENT: throw_java(env, "java/lang/IllegalArgumentException", msg); return -1;
	case RR_OUT_OF_MEMORY: throw_java(env, "java/lang/OutOfMemoryError", msg); return -1;
	default: throw_java(env, "java/lang/IllegalStateException", std::string("native synthesis failed: ") + msg); return -1;
	}
	RR_JNI_CATCH(env, -1)
}

}  // extern "C"
