// Helpers shared by the JNI files of libRerenderTorchExt.
#pragma once
#include <jni.h>

#include <ATen/ATen.h>

#include <string>
#include <utility>

namespace torchext {

// A DJL PtNDArray handle is a pointer to a heap at::Tensor (made by DJL's JNI with new, freed by its close()).
inline const at::Tensor& tensor(jlong handle) { return *reinterpret_cast<const at::Tensor*>(handle); }

// A result handed to DJL the way DJL's own JNI does: a new heap tensor that DJL's close() deletes.
inline jlong release(at::Tensor t) { return reinterpret_cast<jlong>(new at::Tensor(std::move(t))); }

inline void throwJava(JNIEnv* env, const std::string& msg) {
	jclass c = env->FindClass("ai/djl/engine/EngineException");
	if (c == nullptr) {
		env->ExceptionClear();
		c = env->FindClass("java/lang/IllegalStateException");
	}
	env->ThrowNew(c, ("torchext: " + msg).c_str());
}

// Runs f and turns any C++ exception into a pending Java exception (none may cross into the JVM); true when f
// completed. Every JNI entry point of the library goes through it.
template <class F>
bool guard(JNIEnv* env, F&& f) {
	try {
		f();
		return true;
	} catch (const c10::Error& e) {
		throwJava(env, e.what_without_backtrace());
	} catch (const std::exception& e) {
		throwJava(env, e.what());
	} catch (...) {
		throwJava(env, "unknown C++ exception in libRerenderTorchExt");
	}
	return false;
}

}  // namespace torchext
